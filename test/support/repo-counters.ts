import { LATENCY_BUCKETS, type RepoCounters } from '../../operator/rollout/gateway-metrics.ts';

/**
 * A repo's counters over a step window, for rollout tests: `requests` requests of 10 lines
 * each, `invalid` of the lines refused, `failures` of the requests answered 5xx or 429, every
 * request under 5 ms (cumulative latency buckets from the 0.005 s bound on).
 */
export function windowOf(
  requests: number,
  options: { invalid?: number; failures?: number } = {},
): RepoCounters {
  return {
    requests,
    retryableFailures: options.failures ?? 0,
    linesReceived: requests * 10,
    linesInvalid: options.invalid ?? 0,
    deliveryFailures: 0,
    latencyBuckets: LATENCY_BUCKETS.map((bound) => (bound >= 0.005 ? requests : 0)),
  };
}
