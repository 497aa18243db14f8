import { LATENCY_BUCKETS, type RepoCounters } from './gateway-metrics.ts';

// Judges one step of a progressive rollout for one repo: the canary track's window (its
// counters since the step began) against the stable track's over the same time. The numbers
// judged are the ones shown in status, rounded to hundredths, so a verdict can always be read
// off the message that explains it: rates and limits are compared as whole hundredths of a
// percent (of a millisecond for latency), never as sums of floats.

export interface AnalysisThresholds {
  /** Canary's retryable-failure rate (5xx+429 per request) may exceed stable's by at most this many percentage points. */
  readonly maxRetryableFailureIncrease: number;
  /** Canary's invalid-line rate (invalid per received line) may exceed stable's by at most this many percentage points. */
  readonly maxInvalidIncrease: number;
  /** Canary's delivery-failure rate (failed per received line) may exceed stable's by at most this many percentage points. */
  readonly maxDeliveryFailureIncrease: number;
  /** Canary's p99 request latency may be at most this multiple of stable's … */
  readonly maxP99LatencyRatio: number;
  /** … and latencies within this many milliseconds of stable's always pass (bucket resolution, idle tracks). */
  readonly p99LatencyToleranceMs: number;
}

/**
 * The smallest canary window judged. Only the canary's is counted: stable usually carries most
 * of the traffic, and a stable track with no traffic at all is a baseline of 0% on every rate
 * and 0 ms of latency (so an idle stable still lets a canary pass, on absolute terms).
 */
export interface SampleMinimum {
  readonly requests: number;
  readonly lines: number;
}

export type FailedThreshold = 'retryableFailureRate' | 'invalidRate' | 'deliveryFailureRate' | 'p99Latency';

export type StepVerdict =
  | { readonly verdict: 'pass'; readonly measured: Measured }
  | {
      readonly verdict: 'fail';
      readonly threshold: FailedThreshold;
      /** In the threshold's unit: percent for rates, milliseconds for latency. */
      readonly canary: number;
      readonly stable: number;
      /** The highest canary value that would have passed. */
      readonly limit: number;
      readonly message: string;
      readonly measured: Measured;
    }
  | { readonly verdict: 'insufficient'; readonly measured: Measured; readonly message: string };

export interface TrackMeasure {
  readonly requests: number;
  readonly lines: number;
  /** Percent (0..100) with 2 decimals; 0 when there is nothing to divide by. */
  readonly retryableFailureRate: number;
  readonly invalidRate: number;
  readonly deliveryFailureRate: number;
  /** p99 in milliseconds with 2 decimals; null when no request duration was observed. */
  readonly p99LatencyMs: number | null;
}

export interface Measured {
  readonly canary: TrackMeasure;
  readonly stable: TrackMeasure;
}

/** Rates in percent (0..100) and p99 in ms, rounded to 2 decimals for status display. */
export function measureTrack(window: RepoCounters): TrackMeasure {
  const p99 = quantileMs(window.latencyBuckets, LATENCY_BUCKETS, 0.99);
  return {
    requests: window.requests,
    lines: window.linesReceived,
    retryableFailureRate: percent(window.retryableFailures, window.requests),
    invalidRate: percent(window.linesInvalid, window.linesReceived),
    deliveryFailureRate: percent(window.deliveryFailures, window.linesReceived),
    p99LatencyMs: p99 === null ? null : hundredths(p99) / 100,
  };
}

/**
 * Judges a step once the canary window holds `minimum` requests and lines (before that:
 * 'insufficient'; an early fail would rest on too few samples to tell a bad canary from bad
 * luck). Checks run in a fixed order — retryable failures, invalid lines, delivery failures,
 * p99 latency — and the first one failed is the verdict. A rate fails when canary > stable +
 * the allowed points; latency fails when canary > max(stable × ratio, stable + tolerance).
 * Allowed points and the tolerance count in hundredths (0.005 points rounds to 0.01). A canary
 * with no observed durations has no latency to judge. Thresholds that are not numbers fail the
 * check they belong to (fail closed); validating them is the caller's (the CRD schema's).
 */
export function analyzeStep(
  windows: { readonly canary: RepoCounters; readonly stable: RepoCounters },
  minimum: SampleMinimum,
  thresholds: AnalysisThresholds,
): StepVerdict {
  const canary = measureTrack(windows.canary);
  const stable = measureTrack(windows.stable);
  const measured: Measured = { canary, stable };
  if (canary.requests < minimum.requests || canary.lines < minimum.lines) {
    return {
      verdict: 'insufficient',
      measured,
      message:
        `canary has ${canary.requests} of ${minimum.requests} requests and ` +
        `${canary.lines} of ${minimum.lines} lines needed`,
    };
  }
  const requestCounts = `(${canary.requests} requests on canary, ${stable.requests} on stable)`;
  const lineCounts = `(${canary.lines} lines on canary, ${stable.lines} on stable)`;
  const rateChecks = [
    {
      threshold: 'retryableFailureRate',
      label: 'retryable-failure rate',
      canary: canary.retryableFailureRate,
      stable: stable.retryableFailureRate,
      allowed: thresholds.maxRetryableFailureIncrease,
      counts: requestCounts,
    },
    {
      threshold: 'invalidRate',
      label: 'invalid-line rate',
      canary: canary.invalidRate,
      stable: stable.invalidRate,
      allowed: thresholds.maxInvalidIncrease,
      counts: lineCounts,
    },
    {
      threshold: 'deliveryFailureRate',
      label: 'delivery-failure rate',
      canary: canary.deliveryFailureRate,
      stable: stable.deliveryFailureRate,
      allowed: thresholds.maxDeliveryFailureIncrease,
      counts: lineCounts,
    },
  ] as const;
  for (const check of rateChecks) {
    const limit = hundredths(check.stable) + hundredths(check.allowed);
    if (hundredths(check.canary) <= limit) continue;
    return {
      verdict: 'fail',
      threshold: check.threshold,
      canary: check.canary,
      stable: check.stable,
      limit: limit / 100,
      message:
        `${check.label} ${check.canary.toFixed(2)}% on canary vs ${check.stable.toFixed(2)}% on stable ` +
        `exceeds the allowed +${check.allowed} points ${check.counts}`,
      measured,
    };
  }
  if (canary.p99LatencyMs !== null) {
    const base = hundredths(stable.p99LatencyMs ?? 0);
    const limit = Math.max(
      Math.round(base * thresholds.maxP99LatencyRatio),
      base + hundredths(thresholds.p99LatencyToleranceMs),
    );
    if (!(hundredths(canary.p99LatencyMs) <= limit)) {
      const stableText = stable.p99LatencyMs === null ? 'none' : `${stable.p99LatencyMs} ms`;
      return {
        verdict: 'fail',
        threshold: 'p99Latency',
        canary: canary.p99LatencyMs,
        stable: stable.p99LatencyMs ?? 0,
        limit: limit / 100,
        message:
          `p99 latency ${canary.p99LatencyMs} ms on canary vs ${stableText} on stable exceeds the allowed ` +
          `${limit / 100} ms (×${thresholds.maxP99LatencyRatio} or +${thresholds.p99LatencyToleranceMs} ms) ` +
          requestCounts,
        measured,
      };
    }
  }
  return { verdict: 'pass', measured };
}

/**
 * A quantile in ms from cumulative bucket counts, as Prometheus' histogram_quantile computes
 * it: find the bucket holding rank q × count and interpolate linearly inside it (the first
 * bucket starts at 0). Null when the count (the last, +Inf bucket) is 0; a rank in the +Inf
 * bucket answers the largest finite bound. Counts that go down across bounds are read as
 * their running maximum (Prometheus does the same); q is clamped to [0, 1] (NaN: null); bounds and buckets
 * are paired up to the shorter list.
 */
export function quantileMs(buckets: readonly number[], bounds: readonly number[], q: number): number | null {
  const length = Math.min(buckets.length, bounds.length);
  const cumulative: number[] = [];
  let running = 0;
  for (let i = 0; i < length; i++) {
    running = Math.max(running, buckets[i] ?? 0);
    cumulative.push(running);
  }
  const count = cumulative[length - 1] ?? 0;
  if (!(count > 0) || Number.isNaN(q)) return null;
  const rank = Math.min(Math.max(q, 0), 1) * count;
  let index = 0;
  while (index < length - 1 && (cumulative[index] ?? 0) < rank) index++;
  const upper = bounds[index] ?? 0;
  if (upper === Number.POSITIVE_INFINITY) return (bounds[index - 1] ?? 0) * 1000;
  const lower = index === 0 ? 0 : (bounds[index - 1] ?? 0);
  const before = index === 0 ? 0 : (cumulative[index - 1] ?? 0);
  const inBucket = (cumulative[index] ?? 0) - before;
  if (inBucket === 0) return lower * 1000;
  return (lower + ((upper - lower) * (rank - before)) / inBucket) * 1000;
}

/** num/den in percent, as whole hundredths of a percent divided back: 2 decimals, no float drift. */
function percent(num: number, den: number): number {
  return den > 0 ? Math.round((num * 10_000) / den) / 100 : 0;
}

/** A value with 2 decimals as a whole number of hundredths (absorbs 0.1 + 0.2 style noise). */
function hundredths(value: number): number {
  return Math.round(value * 100);
}
