/**
 * Capped exponential backoff for retrying a key after a transient error:
 * base · 2^(failures−1), never above `cap`. Pure; jitter-free so tests and
 * behaviour are deterministic.
 */
export function backoffDelay(failures: number, baseMs = 200, capMs = 60_000): number {
  if (failures <= 0) return 0;
  const exponent = Math.min(failures - 1, 30);
  return Math.min(capMs, baseMs * 2 ** exponent);
}
