import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS, type RepoCounters, ZERO_COUNTERS } from './gateway-metrics.ts';
import { type AnalysisThresholds, analyzeStep, measureTrack, quantileMs } from './step-analysis.ts';

interface WindowSpec {
  requests?: number;
  retryable?: number;
  lines?: number;
  invalid?: number;
  delivery?: number;
  /** Index of the LATENCY_BUCKETS bound the p99 lands on exactly (99 of 100 durations up to it). */
  p99At?: number;
}

function win(spec: WindowSpec = {}): RepoCounters {
  const at = spec.p99At;
  return {
    requests: spec.requests ?? 1000,
    retryableFailures: spec.retryable ?? 0,
    linesReceived: spec.lines ?? 10_000,
    linesInvalid: spec.invalid ?? 0,
    deliveryFailures: spec.delivery ?? 0,
    latencyBuckets:
      at === undefined
        ? ZERO_COUNTERS.latencyBuckets
        : LATENCY_BUCKETS.map((_, i) => (i === LATENCY_BUCKETS.length - 1 ? 100 : i >= at ? 99 : 0)),
  };
}

const IDLE = win({ requests: 0, lines: 0 });
const MINIMUM = { requests: 100, lines: 1000 };
const THRESHOLDS: AnalysisThresholds = {
  maxRetryableFailureIncrease: 1,
  maxInvalidIncrease: 5,
  maxDeliveryFailureIncrease: 0.5,
  maxP99LatencyRatio: 1.5,
  p99LatencyToleranceMs: 50,
};

describe('analyzeStep', () => {
  it.each<{
    name: string;
    canary: RepoCounters;
    stable: RepoCounters;
    thresholds?: Partial<AnalysisThresholds>;
    expected: string;
  }>([
    {
      name: 'retryable failures at the limit',
      canary: win({ requests: 200, retryable: 4 }),
      stable: win({ requests: 1000, retryable: 10 }),
      expected: 'pass',
    },
    {
      name: 'retryable failures over the limit',
      canary: win({ requests: 200, retryable: 5 }),
      stable: win({ requests: 1000, retryable: 10 }),
      expected: 'fail retryableFailureRate 2.5 vs 1 limit 2',
    },
    {
      name: '0.1 + 0.2 at the limit (no float drift)',
      canary: win({ requests: 1000, retryable: 3 }),
      stable: win({ requests: 1000, retryable: 1 }),
      thresholds: { maxRetryableFailureIncrease: 0.2 },
      expected: 'pass',
    },
    {
      name: 'invalid lines at the limit',
      canary: win({ lines: 1000, invalid: 60 }),
      stable: win({ lines: 10_000, invalid: 100 }),
      expected: 'pass',
    },
    {
      name: 'invalid lines over the limit',
      canary: win({ lines: 10_000, invalid: 601 }),
      stable: win({ lines: 10_000, invalid: 100 }),
      expected: 'fail invalidRate 6.01 vs 1 limit 6',
    },
    {
      name: 'delivery failures at the limit',
      canary: win({ lines: 2000, delivery: 10 }),
      stable: IDLE,
      expected: 'pass',
    },
    {
      name: 'delivery failures over the limit',
      canary: win({ lines: 2000, delivery: 11 }),
      stable: IDLE,
      expected: 'fail deliveryFailureRate 0.55 vs 0 limit 0.5',
    },
    {
      name: 'latency at ratio × stable',
      canary: win({ p99At: 7 }), // 250 ms
      stable: win({ p99At: 6 }), // 100 ms
      thresholds: { maxP99LatencyRatio: 2.5 },
      expected: 'pass',
    },
    {
      name: 'latency over ratio × stable and over the tolerance',
      canary: win({ p99At: 7 }),
      stable: win({ p99At: 6 }),
      thresholds: { maxP99LatencyRatio: 2.4 },
      expected: 'fail p99Latency 250 vs 100 limit 240',
    },
    {
      name: 'latency within the tolerance of stable, far over the ratio',
      canary: win({ p99At: 5 }), // 50 ms
      stable: win({ p99At: 0 }), // 1 ms
      expected: 'pass',
    },
    {
      name: 'latency just over the tolerance',
      canary: win({ p99At: 5 }),
      stable: win({ p99At: 0 }),
      thresholds: { p99LatencyToleranceMs: 48.99 },
      expected: 'fail p99Latency 50 vs 1 limit 49.99',
    },
    {
      name: 'an idle stable track is a zero baseline for latency: the tolerance is the limit',
      canary: win({ p99At: 5 }),
      stable: IDLE,
      expected: 'pass',
    },
    {
      name: 'an idle stable track, latency over the tolerance',
      canary: win({ p99At: 6 }),
      stable: IDLE,
      expected: 'fail p99Latency 100 vs 0 limit 50',
    },
    {
      name: 'an idle stable track is a zero baseline for rates',
      canary: win({ lines: 1000, invalid: 50 }),
      stable: IDLE,
      expected: 'pass',
    },
    {
      name: 'a canary without observed durations has no latency to judge',
      canary: win(),
      stable: win({ p99At: 0 }),
      thresholds: { p99LatencyToleranceMs: 0, maxP99LatencyRatio: 0 },
      expected: 'pass',
    },
    {
      name: 'checks run in order: retryable failures before invalid lines and latency',
      canary: win({ requests: 100, retryable: 50, lines: 1000, invalid: 900, p99At: 12 }),
      stable: win(),
      expected: 'fail retryableFailureRate 50 vs 0 limit 1',
    },
    {
      name: 'invalid lines before delivery failures',
      canary: win({ lines: 1000, invalid: 900, delivery: 900 }),
      stable: win(),
      expected: 'fail invalidRate 90 vs 0 limit 5',
    },
    {
      name: 'a threshold that is not a number fails its check (fail closed)',
      canary: win(),
      stable: win(),
      thresholds: { maxDeliveryFailureIncrease: Number.NaN },
      expected: 'fail deliveryFailureRate 0 vs 0 limit NaN',
    },
    {
      name: 'exactly the minimum sample is judged',
      canary: win({ requests: 100, lines: 1000, retryable: 2 }),
      stable: win(),
      expected: 'fail retryableFailureRate 2 vs 0 limit 1',
    },
    {
      name: 'too few requests',
      canary: win({ requests: 99, retryable: 99 }),
      stable: win(),
      expected: 'insufficient',
    },
    {
      name: 'too few lines',
      canary: win({ lines: 999, invalid: 999 }),
      stable: win(),
      expected: 'insufficient',
    },
  ])('$name → $expected', ({ canary, stable, thresholds, expected }) => {
    const verdict = analyzeStep({ canary, stable }, MINIMUM, { ...THRESHOLDS, ...thresholds });
    const summary =
      verdict.verdict === 'fail'
        ? `fail ${verdict.threshold} ${verdict.canary} vs ${verdict.stable} limit ${verdict.limit}`
        : verdict.verdict;
    expect(summary).toBe(expected);
    expect(verdict.measured).toEqual({ canary: measureTrack(canary), stable: measureTrack(stable) });
  });

  it.each([
    {
      name: 'invalid lines',
      canary: win({ lines: 3000, invalid: 2500 }),
      stable: win({ lines: 27_000 }),
      message:
        'invalid-line rate 83.33% on canary vs 0.00% on stable exceeds the allowed +5 points ' +
        '(3000 lines on canary, 27000 on stable)',
    },
    {
      name: 'retryable failures',
      canary: win({ requests: 400, retryable: 50 }),
      stable: win({ requests: 3600, retryable: 9 }),
      message:
        'retryable-failure rate 12.50% on canary vs 0.25% on stable exceeds the allowed +1 points ' +
        '(400 requests on canary, 3600 on stable)',
    },
    {
      name: 'delivery failures',
      canary: win({ lines: 1000, delivery: 7 }),
      stable: IDLE,
      message:
        'delivery-failure rate 0.70% on canary vs 0.00% on stable exceeds the allowed +0.5 points ' +
        '(1000 lines on canary, 0 on stable)',
    },
    {
      name: 'latency',
      canary: win({ requests: 400, p99At: 8 }),
      stable: win({ requests: 3600, p99At: 5 }),
      message:
        'p99 latency 500 ms on canary vs 50 ms on stable exceeds the allowed 100 ms (×1.5 or +50 ms) ' +
        '(400 requests on canary, 3600 on stable)',
    },
    {
      name: 'latency against an idle stable track',
      canary: win({ requests: 400, p99At: 6 }),
      stable: IDLE,
      message:
        'p99 latency 100 ms on canary vs none on stable exceeds the allowed 50 ms (×1.5 or +50 ms) ' +
        '(400 requests on canary, 0 on stable)',
    },
  ])('a fail names the threshold and both tracks: $name', ({ canary, stable, message }) => {
    const verdict = analyzeStep({ canary, stable }, MINIMUM, THRESHOLDS);
    expect(verdict.verdict === 'fail' && verdict.message).toBe(message);
  });

  it('an insufficient sample says how far the canary is', () => {
    const verdict = analyzeStep(
      { canary: win({ requests: 12, lines: 240 }), stable: win() },
      MINIMUM,
      THRESHOLDS,
    );
    expect(verdict).toEqual({
      verdict: 'insufficient',
      measured: expect.anything(),
      message: 'canary has 12 of 100 requests and 240 of 1000 lines needed',
    });
  });
});

describe('measureTrack', () => {
  it.each([
    {
      name: 'rates in percent with 2 decimals',
      window: win({ requests: 3, retryable: 1, lines: 3, invalid: 2, delivery: 1, p99At: 4 }),
      expected: {
        requests: 3,
        lines: 3,
        retryableFailureRate: 33.33,
        invalidRate: 66.67,
        deliveryFailureRate: 33.33,
        p99LatencyMs: 25,
      },
    },
    {
      name: 'an idle window',
      window: IDLE,
      expected: {
        requests: 0,
        lines: 0,
        retryableFailureRate: 0,
        invalidRate: 0,
        deliveryFailureRate: 0,
        p99LatencyMs: null,
      },
    },
    {
      name: 'p99 rounded to hundredths of a ms',
      window: { ...IDLE, latencyBuckets: LATENCY_BUCKETS.map((_, i) => (i >= 1 ? 3 : 0)) },
      // rank 2.97 of 3 in (1, 2.5] ms: 1 + 1.5 × 0.99
      expected: expect.objectContaining({ p99LatencyMs: 2.49 }),
    },
  ])('$name', ({ window, expected }) => {
    expect(measureTrack(window)).toEqual(expected);
  });
});

describe('quantileMs', () => {
  // 50 durations up to 1 ms, 40 in (1, 2.5] ms, 10 in (2.5, 5] ms.
  const spread = LATENCY_BUCKETS.map((_, i) => (i === 0 ? 50 : i === 1 ? 90 : 100));
  const cumulative = (counts: number[]) => {
    let sum = 0;
    return counts.map((n) => (sum += n));
  };
  it.each([
    { name: 'p99 inside the third bucket', buckets: spread, q: 0.99, expected: 4.75 },
    { name: 'p95', buckets: spread, q: 0.95, expected: 3.75 },
    { name: 'p90 on a bound', buckets: spread, q: 0.9, expected: 2.5 },
    { name: 'p50 in the first bucket (starts at 0)', buckets: spread, q: 0.5, expected: 1 },
    { name: 'p25 in the first bucket', buckets: spread, q: 0.25, expected: 0.5 },
    {
      name: 'one duration in (10, 25] ms',
      buckets: cumulative([0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
      q: 0.99,
      expected: 24.85,
    },
    {
      name: 'the +Inf bucket answers the largest finite bound',
      buckets: cumulative([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 10]),
      q: 0.99,
      expected: 10_000,
    },
    {
      name: 'p99 in +Inf, most below',
      buckets: cumulative([98, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2]),
      q: 0.99,
      expected: 10_000,
    },
    { name: 'no durations', buckets: ZERO_COUNTERS.latencyBuckets, q: 0.99, expected: null },
    { name: 'no buckets', buckets: [], q: 0.99, expected: null },
    {
      name: 'counts going down across bounds read as their running maximum',
      buckets: [5, 3, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 10],
      q: 0.5,
      expected: 1,
    },
    { name: 'q above 1 is clamped', buckets: spread, q: 2, expected: 5 },
    { name: 'q below 0 is clamped', buckets: spread, q: -1, expected: 0 },
    { name: 'q NaN', buckets: spread, q: Number.NaN, expected: null },
  ])('$name → $expected', ({ buckets, q, expected }) => {
    const value = quantileMs(buckets, LATENCY_BUCKETS, q);
    if (expected === null) expect(value).toBeNull();
    else expect(value).toBeCloseTo(expected, 9);
  });
});
