/**
 * Sum of every sample of `name` in a Prometheus text exposition, across all label sets, e.g.
 * `sumSamples(text, 'sluice_batch_messages_count')`. 0 when the metric has no samples, so a
 * difference of two scrapes works before the first batch.
 */
export function sumSamples(exposition: string, name: string): number {
  let sum = 0;
  for (const line of exposition.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    // Exactly this metric: `name{...} v` or `name v`, not `name_suffix ...`.
    if (rest[0] !== '{' && rest[0] !== ' ') continue;
    const value = Number(rest.slice(rest.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}
