/**
 * Polls `probe` until `accept` holds, then returns the value; throws with the
 * last value seen when `timeoutMs` passes first. For tests that wait on a
 * controller or a broker to converge.
 */
export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  timeoutMs = 15_000,
  intervalMs = 100,
): Promise<T> {
  const until = Date.now() + timeoutMs;
  let value = await probe();
  while (!accept(value) && Date.now() < until) {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    value = await probe();
  }
  if (!accept(value)) {
    throw new Error(`not reached within ${timeoutMs} ms: ${JSON.stringify(value)?.slice(0, 800)}`);
  }
  return value;
}
