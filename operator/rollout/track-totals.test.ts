import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS, type RepoCounters, ZERO_COUNTERS } from './gateway-metrics.ts';
import {
  addCounters,
  countersSince,
  EMPTY_TOTALS,
  foldTrackSamples,
  type PodSample,
  type TrackTotals,
} from './track-totals.ts';

/** Counters where every field and bucket is `n`, with `requests` and `linesInvalid` overridable. */
function c(n: number, extra: Partial<RepoCounters> = {}): RepoCounters {
  return {
    requests: n,
    retryableFailures: n,
    linesReceived: n,
    linesInvalid: n,
    deliveryFailures: n,
    latencyBuckets: LATENCY_BUCKETS.map(() => n),
    ...extra,
  };
}

function sample(pod: string, repos: Record<string, RepoCounters>): PodSample {
  return { pod, counters: new Map(Object.entries(repos)) };
}

/** Folds rounds one after the other, each keeping exactly the pods it samples plus `keep`. */
function foldRounds(rounds: readonly (readonly PodSample[])[], keep: readonly string[] = []): TrackTotals {
  return rounds.reduce(
    (totals, round) => foldTrackSamples(totals, round, new Set([...keep, ...round.map((s) => s.pod)])),
    EMPTY_TOTALS,
  );
}

describe('foldTrackSamples', () => {
  it.each([
    {
      name: 'a first sample is the baseline',
      rounds: [[sample('p1', { a: c(100) }), sample('p2', { a: c(50) })]],
      expected: {},
    },
    {
      name: 'steady increases over 3 rounds with 2 pods',
      rounds: [
        [sample('p1', { a: c(100) }), sample('p2', { a: c(50), b: c(1) })],
        [sample('p1', { a: c(110) }), sample('p2', { a: c(53), b: c(2) })],
        [sample('p1', { a: c(130) }), sample('p2', { a: c(60), b: c(2) })],
      ],
      expected: { a: c(40), b: c(1) },
    },
    {
      name: 'a restart counts the values after it',
      rounds: [[sample('p1', { a: c(100) })], [sample('p1', { a: c(120) })], [sample('p1', { a: c(7) })]],
      expected: { a: c(27) },
    },
    {
      name: 'a restart is decided per pod: a repo that climbed past its old values counts whole',
      rounds: [
        [sample('p1', { a: c(100), b: c(5) })],
        [sample('p1', { a: c(3), b: c(8) })],
        [sample('p1', { a: c(4), b: c(9) })],
      ],
      expected: { a: c(4), b: c(9) },
    },
    {
      name: 'one histogram bucket going down is a restart',
      rounds: [
        [sample('p1', { a: c(10) })],
        [sample('p1', { a: c(12, { latencyBuckets: LATENCY_BUCKETS.map((_, i) => (i === 3 ? 2 : 12)) }) })],
      ],
      expected: { a: c(12, { latencyBuckets: LATENCY_BUCKETS.map((_, i) => (i === 3 ? 2 : 12)) }) },
    },
    {
      name: 'a repo dropping out of a restarted pod is measured from 0 when it returns',
      rounds: [
        [sample('p1', { a: c(100), b: c(50) })],
        [sample('p1', { a: c(1) })],
        [sample('p1', { a: c(2), b: c(4) })],
      ],
      expected: { a: c(2), b: c(4) },
    },
    {
      name: 'a repo missing from a live pod keeps its last values',
      rounds: [
        [sample('p1', { a: c(100), b: c(50) })],
        [sample('p1', { a: c(101) })],
        [sample('p1', { a: c(102), b: c(52) })],
      ],
      expected: { a: c(2), b: c(2) },
    },
    {
      name: 'a repo new on a known pod began during observation',
      rounds: [[sample('p1', { a: c(10) })], [sample('p1', { a: c(10), b: c(6) })]],
      expected: { a: c(0), b: c(6) },
    },
    {
      name: 'a new pod joins with its own baseline',
      rounds: [
        [sample('p1', { a: c(10) })],
        [sample('p1', { a: c(15) }), sample('p2', { a: c(1000) })],
        [sample('p1', { a: c(16) }), sample('p2', { a: c(1004) })],
      ],
      expected: { a: c(10) },
    },
    {
      name: 'a pod missing a poll, then back after a restart',
      rounds: [
        [sample('p1', { a: c(10) }), sample('p2', { a: c(100) })],
        [sample('p1', { a: c(12) })],
        [sample('p1', { a: c(13) }), sample('p2', { a: c(9) })],
      ],
      keep: ['p2'],
      expected: { a: c(12) },
    },
    {
      name: 'a pod missing a poll, then back without a restart',
      rounds: [[sample('p2', { a: c(100) })], [], [sample('p2', { a: c(140) })]],
      keep: ['p2'],
      expected: { a: c(40) },
    },
    {
      name: 'a pod forgotten (not kept) is a new baseline when it comes back',
      rounds: [
        [sample('p2', { a: c(100) })],
        [],
        [sample('p2', { a: c(140) })],
        [sample('p2', { a: c(141) })],
      ],
      expected: { a: c(1) },
    },
    {
      name: 'a pod sampled twice in a round is measured from its earlier sample',
      rounds: [[sample('p1', { a: c(10) })], [sample('p1', { a: c(12) }), sample('p1', { a: c(15) })]],
      expected: { a: c(5) },
    },
  ])('$name', ({ rounds, keep, expected }) => {
    expect(Object.fromEntries(foldRounds(rounds, keep).totals)).toEqual(expected);
  });

  it('holds only pods kept or sampled, and never changes its input', () => {
    const first = foldTrackSamples(
      EMPTY_TOTALS,
      [sample('p1', { a: c(1) }), sample('p2', { a: c(1) }), sample('p3', { a: c(1) })],
      new Set(),
    );
    const second = foldTrackSamples(first, [sample('p1', { a: c(2) })], new Set(['p2', 'p9']));
    expect([...second.lastByPod.keys()]).toEqual(['p1', 'p2']);
    expect([...first.lastByPod.keys()]).toEqual(['p1', 'p2', 'p3']);
    expect(first.totals.size).toBe(0);
    expect(second.totals.get('a')).toEqual(c(1));
  });
});

describe('countersSince and addCounters', () => {
  it.each([
    { name: 'a window', now: c(10), baseline: c(4), expected: c(6) },
    { name: 'nothing new', now: c(4), baseline: c(4), expected: c(0) },
    { name: 'requests went back', now: c(10, { requests: 3 }), baseline: c(4), expected: undefined },
    { name: 'invalid lines went back', now: c(10, { linesInvalid: 3 }), baseline: c(4), expected: undefined },
    {
      name: 'a bucket went back',
      now: c(10, { latencyBuckets: [...Array(13).fill(10), 3] }),
      baseline: c(4),
      expected: undefined,
    },
  ])('countersSince: $name', ({ now, baseline, expected }) => {
    expect(countersSince(now, baseline)).toEqual(expected);
  });

  it.each([
    { name: 'zero is neutral', a: c(3), b: ZERO_COUNTERS, expected: c(3) },
    { name: 'field-wise', a: c(3, { requests: 10 }), b: c(4), expected: c(7, { requests: 14 }) },
    {
      name: 'shorter bucket lists are padded with 0',
      a: c(1, { latencyBuckets: [1] }),
      b: c(1, { latencyBuckets: [1, 2] }),
      expected: c(2, { latencyBuckets: [2, 2] }),
    },
  ])('addCounters: $name', ({ a, b, expected }) => {
    expect(addCounters(a, b)).toEqual(expected);
  });
});

describe('foldTrackSamples properties', () => {
  const REPOS = ['a', 'b', 'c'];
  const delta = fc.record({
    requests: fc.nat({ max: 50 }),
    retryableFailures: fc.nat({ max: 50 }),
    linesReceived: fc.nat({ max: 500 }),
    linesInvalid: fc.nat({ max: 50 }),
    deliveryFailures: fc.nat({ max: 50 }),
    // Increments per bucket, summed into cumulative counts.
    latencyBuckets: fc.array(fc.nat({ max: 5 }), {
      minLength: LATENCY_BUCKETS.length,
      maxLength: LATENCY_BUCKETS.length,
    }),
  });
  const cumulative = (d: RepoCounters): RepoCounters => {
    let sum = 0;
    return { ...d, latencyBuckets: d.latencyBuckets.map((n) => (sum += n)) };
  };
  // Per pod and round: traffic (some repos grow), a restart (the counters begin again: what
  // the pod counts after it), or a missed poll (no traffic, not sampled).
  const event = fc.oneof(
    {
      arbitrary: fc.record({
        kind: fc.constant('traffic' as const),
        repos: fc.dictionary(fc.constantFrom(...REPOS), delta),
      }),
      weight: 6,
    },
    {
      arbitrary: fc.record({
        kind: fc.constant('restart' as const),
        repos: fc.dictionary(fc.constantFrom(...REPOS), delta),
        shrink: fc.nat(),
      }),
      weight: 2,
    },
    { arbitrary: fc.record({ kind: fc.constant('missed' as const) }), weight: 2 },
  );
  const history = fc.array(fc.array(event, { minLength: 3, maxLength: 3 }), { minLength: 1, maxLength: 10 });

  it('folded totals equal the sum of the true increases since each pod was first seen', () => {
    fc.assert(
      fc.property(history, (rounds) => {
        const pods = ['p0', 'p1', 'p2'];
        const state = pods.map(() => new Map<string, RepoCounters>());
        const seen = pods.map(() => false);
        const truth = new Map<string, RepoCounters>();
        const credit = (pod: number, repo: string, increase: RepoCounters) => {
          if (seen[pod]) truth.set(repo, addCounters(truth.get(repo) ?? ZERO_COUNTERS, increase));
        };
        let folded = EMPTY_TOTALS;
        for (const round of rounds) {
          const samples: PodSample[] = [];
          round.forEach((e, pod) => {
            const counters = state[pod] as Map<string, RepoCounters>;
            if (e.kind === 'missed') return;
            if (e.kind === 'restart') {
              // A restart shows as some counter below its last value; with nothing counted
              // yet there is nothing to go below, so it is plain traffic then.
              const victim = [...counters].find(([, v]) => v.requests > 0);
              if (victim) {
                counters.clear();
                for (const [repo, d] of Object.entries(e.repos)) counters.set(repo, cumulative(d));
                const [repo, before] = victim;
                const after = counters.get(repo) ?? ZERO_COUNTERS;
                counters.set(repo, { ...after, requests: e.shrink % before.requests });
                for (const [r, v] of counters) credit(pod, r, v);
                samples.push({ pod: pods[pod] as string, counters: new Map(counters) });
                seen[pod] = true;
                return;
              }
            }
            for (const [repo, d] of Object.entries(e.repos)) {
              const increase = cumulative(d);
              counters.set(repo, addCounters(counters.get(repo) ?? ZERO_COUNTERS, increase));
              credit(pod, repo, increase);
            }
            samples.push({ pod: pods[pod] as string, counters: new Map(counters) });
            seen[pod] = true;
          });
          folded = foldTrackSamples(folded, samples, new Set(pods));
        }
        for (const repo of REPOS) {
          expect(folded.totals.get(repo) ?? ZERO_COUNTERS).toEqual(truth.get(repo) ?? ZERO_COUNTERS);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('totals never go down from one round to the next', () => {
    const counters = fc.dictionary(fc.constantFrom(...REPOS), delta.map(cumulative));
    const round = fc.array(
      fc.record({
        pod: fc.constantFrom('p0', 'p1'),
        counters: counters.map((o) => new Map(Object.entries(o))),
      }),
      { maxLength: 3 },
    );
    fc.assert(
      fc.property(fc.array(round, { maxLength: 8 }), (rounds) => {
        let folded = EMPTY_TOTALS;
        for (const samples of rounds) {
          const next = foldTrackSamples(folded, samples, new Set(['p0']));
          for (const [repo, total] of folded.totals) {
            expect(countersSince(next.totals.get(repo) ?? ZERO_COUNTERS, total)).toBeDefined();
          }
          expect(
            [...next.lastByPod.keys()].every((pod) => pod === 'p0' || samples.some((s) => s.pod === pod)),
          ).toBe(true);
          folded = next;
        }
      }),
      { numRuns: 300 },
    );
  });
});
