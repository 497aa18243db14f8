import { describe, expect, it } from 'vitest';
import type { PodObservation } from '../observe/pod-report.ts';
import { configApplied, type TrackExpectation } from './config-applied.ts';

const reported = (
  pod: string,
  digest: string | null,
  rejected?: { revision: string; message: string },
): PodObservation => ({
  pod,
  state: 'reported',
  report: {
    revision: 'r',
    draining: false,
    repos: new Map([['access', digest]]),
    ...(rejected ? { rejected } : {}),
  },
});
const unknown = (pod: string): PodObservation => ({
  pod,
  state: 'unknown',
  problem: 'no answer within 2000 ms',
});
const stable = (...pods: PodObservation[]): TrackExpectation => ({
  track: 'stable',
  digest: 'new',
  revision: 'rev-2',
  pods,
});
const canary = (...pods: PodObservation[]): TrackExpectation => ({
  track: 'canary',
  digest: 'can',
  revision: 'rev-c',
  pods,
});

describe('configApplied', () => {
  it.each([
    [
      'every pod current',
      [stable(reported('a', 'new'), reported('b', 'new'))],
      'True',
      'Applied',
      'True',
      { stable: { applied: 2, ready: 2 } },
    ],
    [
      'one pod behind',
      [stable(reported('a', 'new'), reported('b', 'old'))],
      'False',
      'Progressing',
      'True',
      { stable: { applied: 1, ready: 2 } },
    ],
    [
      'every pod behind',
      [stable(reported('a', 'old'))],
      'False',
      'Progressing',
      'False',
      { stable: { applied: 0, ready: 1 } },
    ],
    [
      'a pod refused this revision',
      [
        stable(
          reported('a', 'new'),
          reported('b', 'old', { revision: 'rev-2', message: '/repos/access/executers/0/type: unknown' }),
        ),
      ],
      'False',
      'ReloadRejected',
      'False',
      { stable: { applied: 1, ready: 2 } },
    ],
    [
      'a refusal of an older revision is only lag',
      [stable(reported('a', 'old', { revision: 'rev-1', message: 'old news' }))],
      'False',
      'Progressing',
      'False',
      { stable: { applied: 0, ready: 1 } },
    ],
    ['no ready pod', [stable()], 'False', 'NoReadyPods', 'False', { stable: { applied: 0, ready: 0 } }],
    [
      'an unknown pod beside a current one',
      [stable(reported('a', 'new'), unknown('b'))],
      'Unknown',
      'PodsNotObserved',
      'True',
      { stable: { applied: 1, ready: 2 } },
    ],
    [
      'only unknown pods',
      [stable(unknown('a'))],
      'Unknown',
      'PodsNotObserved',
      'Unknown',
      { stable: { applied: 0, ready: 1 } },
    ],
    [
      'an old gateway that reports no digest',
      [stable(reported('a', null))],
      'False',
      'Progressing',
      'False',
      { stable: { applied: 0, ready: 1 } },
    ],
    [
      'both tracks current',
      [stable(reported('a', 'new')), canary(reported('c', 'can'))],
      'True',
      'Applied',
      'True',
      { stable: { applied: 1, ready: 1 }, canary: { applied: 1, ready: 1 } },
    ],
    [
      'the canary track without a ready pod',
      [stable(reported('a', 'new')), canary()],
      'False',
      'NoReadyPods',
      'False',
      { stable: { applied: 1, ready: 1 }, canary: { applied: 0, ready: 0 } },
    ],
  ])('%s', (_name, expectations, status, reason, served, counts) => {
    const result = configApplied('access', expectations, 4);
    expect(result.condition).toMatchObject({ type: 'ConfigApplied', status, reason, observedGeneration: 4 });
    expect(result.served.status).toBe(served);
    expect(result.counts).toEqual(counts);
  });

  it("quotes the gateway's own words when a pod refused the config", () => {
    const result = configApplied(
      'access',
      [
        stable(
          reported('b', 'old', {
            revision: 'rev-2',
            message: '/repos/access/executers/0/type: unknown executer',
          }),
        ),
      ],
      1,
    );
    expect(result.condition.message).toContain(
      'stable pod b said: /repos/access/executers/0/type: unknown executer',
    );
  });
});
