// Summary statistics for benchmark figures. Pure; every function copes with empty input by
// returning NaN rather than throwing, so one failed phase still renders as "n/a".

/**
 * The p-th percentile (0 < p ≤ 100) by the nearest-rank method: the smallest sample such that
 * at least p% of the samples are ≤ it. `sorted` must be ascending.
 */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/** Median of the finite values (mean of the middle two for an even count); NaN when there are none. */
export function median(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v)).sort((a, b) => a - b);
  if (finite.length === 0) return Number.NaN;
  const mid = finite.length >> 1;
  return finite.length % 2 === 1
    ? (finite[mid] as number)
    : ((finite[mid - 1] as number) + (finite[mid] as number)) / 2;
}

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** Percentiles of latency samples (any unit; the summary keeps it). */
export function summarizeLatencies(samples: readonly number[]): LatencySummary {
  const sorted = Float64Array.from(samples).sort();
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p90: percentile(sorted, 90),
    p99: percentile(sorted, 99),
    max: sorted.length === 0 ? Number.NaN : (sorted[sorted.length - 1] as number),
  };
}

/**
 * Spread of repeated measurements, as (max − min) / median, e.g. 0.12 for ±6 %. NaN for fewer
 * than two finite values: one run says nothing about noise.
 */
export function relativeSpread(values: readonly number[]): number {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length < 2) return Number.NaN;
  const mid = median(finite);
  if (mid === 0) return Number.NaN;
  return (Math.max(...finite) - Math.min(...finite)) / Math.abs(mid);
}
