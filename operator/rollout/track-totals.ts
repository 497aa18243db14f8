import { type RepoCounters, ZERO_COUNTERS } from './gateway-metrics.ts';

// Turns the raw counters of a track's pods, polled round after round, into totals per repo
// that only grow: pods restart (their counters begin again at 0), come and go, and a poll may
// miss one. Only increases seen between two samples of the same pod are counted, so whatever a
// pod counted before it was first observed never reaches the totals.

/** One poll of one pod; `pod` is the pod's name (stable across container restarts). */
export interface PodSample {
  readonly pod: string;
  readonly counters: ReadonlyMap<string, RepoCounters>;
}

export interface TrackTotals {
  /** Monotonic totals per repo: the sum of every increase seen since observation began. */
  readonly totals: ReadonlyMap<string, RepoCounters>;
  /** The last sample of each pod seen (what the next increase is measured from). */
  readonly lastByPod: ReadonlyMap<string, ReadonlyMap<string, RepoCounters>>;
}

export const EMPTY_TOTALS: TrackTotals = Object.freeze({ totals: new Map(), lastByPod: new Map() });

/**
 * Folds one poll round of a track's pods in.
 *
 * - A pod seen for the first time is the baseline: it contributes nothing.
 * - A pod seen before contributes, per repo and field, current - last.
 * - A restart is decided per pod: when any field of any repo (requests, a line counter, a
 *   histogram bucket) went down, the process began again, and every repo's current values
 *   are the increase. prom-client counters only go down with the process, and a restart
 *   resets every repo at once, so deciding per repo would undercount the repos whose counters
 *   climbed past their old values since. (A restart after which no counter is below its last
 *   value yet cannot be told from traffic; it is undercounted, never overcounted.)
 * - A repo new on a known pod began at 0 during observation: its whole value is an increase.
 *   A repo missing from a live pod's sample keeps its last values (prom-client never removes a
 *   counter series; a missing one is not a reset), so its return is measured from them.
 * - Pods absent from `samples` keep their last sample when `keep` names them (the track's
 *   current endpoints: a missed poll is not a restart); others are forgotten, so `lastByPod`
 *   holds only pods in `keep` ∪ samples. A forgotten pod that comes back is a new baseline.
 *
 * Samples must be whole bodies: a cut one would read as counters going down. A pod sampled
 * twice in one round is measured from its earlier sample. Pure; `previous` is not changed.
 */
export function foldTrackSamples(
  previous: TrackTotals,
  samples: readonly PodSample[],
  keep: ReadonlySet<string>,
): TrackTotals {
  const totals = new Map(previous.totals);
  const lastByPod = new Map<string, ReadonlyMap<string, RepoCounters>>();
  for (const { pod, counters } of samples) {
    const last = lastByPod.get(pod) ?? previous.lastByPod.get(pod);
    lastByPod.set(pod, last === undefined ? counters : foldPod(last, counters, totals));
  }
  for (const [pod, last] of previous.lastByPod) {
    if (keep.has(pod) && !lastByPod.has(pod)) lastByPod.set(pod, last);
  }
  return { totals, lastByPod };
}

/** Adds one known pod's increases into `totals`; returns what its next sample is measured from. */
function foldPod(
  last: ReadonlyMap<string, RepoCounters>,
  current: ReadonlyMap<string, RepoCounters>,
  totals: Map<string, RepoCounters>,
): ReadonlyMap<string, RepoCounters> {
  let restarted = false;
  for (const [repo, now] of current) {
    const before = last.get(repo);
    if (before !== undefined && countersSince(now, before) === undefined) restarted = true;
  }
  const next = restarted ? new Map<string, RepoCounters>() : new Map(last);
  for (const [repo, now] of current) {
    const before = restarted ? undefined : last.get(repo);
    const increase = before === undefined ? now : (countersSince(now, before) ?? now);
    totals.set(repo, addCounters(totals.get(repo) ?? ZERO_COUNTERS, increase));
    next.set(repo, now);
  }
  return next;
}

/**
 * `now - baseline`, per field and bucket; undefined when any of them went backwards (the
 * observer restarted and its totals began again). A missing bucket counts as 0.
 */
export function countersSince(now: RepoCounters, baseline: RepoCounters): RepoCounters | undefined {
  const buckets = Math.max(now.latencyBuckets.length, baseline.latencyBuckets.length);
  const latencyBuckets: number[] = [];
  for (let i = 0; i < buckets; i++) {
    const delta = (now.latencyBuckets[i] ?? 0) - (baseline.latencyBuckets[i] ?? 0);
    if (delta < 0) return undefined;
    latencyBuckets.push(delta);
  }
  const since: RepoCounters = {
    requests: now.requests - baseline.requests,
    retryableFailures: now.retryableFailures - baseline.retryableFailures,
    linesReceived: now.linesReceived - baseline.linesReceived,
    linesInvalid: now.linesInvalid - baseline.linesInvalid,
    deliveryFailures: now.deliveryFailures - baseline.deliveryFailures,
    latencyBuckets,
  };
  const wentBack =
    since.requests < 0 ||
    since.retryableFailures < 0 ||
    since.linesReceived < 0 ||
    since.linesInvalid < 0 ||
    since.deliveryFailures < 0;
  return wentBack ? undefined : since;
}

/** Field-wise sum; bucket lists of different lengths are summed as if padded with 0. */
export function addCounters(a: RepoCounters, b: RepoCounters): RepoCounters {
  const buckets = Math.max(a.latencyBuckets.length, b.latencyBuckets.length);
  const latencyBuckets: number[] = [];
  for (let i = 0; i < buckets; i++)
    latencyBuckets.push((a.latencyBuckets[i] ?? 0) + (b.latencyBuckets[i] ?? 0));
  return {
    requests: a.requests + b.requests,
    retryableFailures: a.retryableFailures + b.retryableFailures,
    linesReceived: a.linesReceived + b.linesReceived,
    linesInvalid: a.linesInvalid + b.linesInvalid,
    deliveryFailures: a.deliveryFailures + b.deliveryFailures,
    latencyBuckets,
  };
}
