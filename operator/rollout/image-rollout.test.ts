import { describe, expect, it } from 'vitest';
import { windowOf } from '../../test/support/repo-counters.ts';
import type { RolloutStatus } from '../api/rollout-status.ts';
import { decideImageRollout, type ImageRolloutInputs, type ImageRolloutStatus } from './image-rollout.ts';
import { rolloutPlan } from './rollout-decision.ts';

const T0 = Date.parse('2026-12-03T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
const plan = {
  ...rolloutPlan({
    steps: [{ weight: 10, pauseSeconds: 0 }],
    analysis: { intervalSeconds: 30, minRequests: 100, minLines: 1000 },
  }),
  repos: ['a', 'b'],
  pauseBetweenReposSeconds: 60,
};
const window = (requests: number, failures = 0) => windowOf(requests, { failures });
const healthy = { canary: window(200), stable: window(2000) };
const failing = { canary: window(200, 150), stable: window(2000) };
const stepOf = (overrides: Partial<RolloutStatus> = {}): RolloutStatus => ({
  state: 'Progressing',
  target: 'gw:2',
  promoted: 'gw:1',
  step: 0,
  steps: 1,
  weight: 10,
  stepStartedAt: at(0),
  message: 'step 1/1',
  ...overrides,
});
const fleet = (overrides: Partial<ImageRolloutStatus> = {}): ImageRolloutStatus => ({
  state: 'Progressing',
  image: 'gw:2',
  from: 'gw:1',
  repo: 'a',
  moved: [],
  pending: 2,
  movedSummary: '0/2',
  repoRollout: stepOf(),
  message: '',
  ...overrides,
});
const inputs = (overrides: Partial<ImageRolloutInputs>): ImageRolloutInputs => ({
  plan,
  target: 'gw:2',
  promoted: 'gw:1',
  previous: undefined,
  controls: { paused: false },
  canaryServing: () => true,
  stableRolled: false,
  windows: () => healthy,
  nowMs: T0 + 31_000,
  ...overrides,
});
const weights = (decision: ReturnType<typeof decideImageRollout>) => Object.fromEntries(decision.weights);

describe('decideImageRollout', () => {
  it.each([
    ['nothing to roll out', inputs({ target: 'gw:1' }), undefined, {}, 'gw:1'],
    ['a new image: the first repo starts its steps', inputs({}), 'Progressing', { a: 10 }, 'gw:1'],
    [
      'a passed its steps: it stays on canary, b waits for the pause',
      inputs({ previous: fleet() }),
      'Progressing',
      { a: 100 },
      'gw:1',
    ],
    [
      'during the pause between repos b stays on stable',
      inputs({
        previous: fleet({ repo: 'b', moved: ['a'], repoRollout: undefined, nextRepoAt: at(90) }),
        nowMs: T0 + 60_000,
      }),
      'Progressing',
      { a: 100 },
      'gw:1',
    ],
    [
      'b fails: every repo back on stable, stable keeps its image',
      inputs({ previous: fleet({ repo: 'b', moved: ['a'], repoRollout: stepOf() }), windows: () => failing }),
      'RolledBack',
      {},
      'gw:1',
    ],
    [
      'the last repo passes: stable takes the image, the moved repos stay on canary',
      inputs({ previous: fleet({ repo: 'b', moved: ['a'], repoRollout: stepOf() }) }),
      'Promoting',
      { a: 100, b: 100 },
      'gw:2',
    ],
    [
      'stable is rolling: the shares hold',
      inputs({
        promoted: 'gw:2',
        previous: fleet({ state: 'Promoting', repo: undefined, moved: ['a', 'b'] }),
      }),
      'Promoting',
      { a: 100, b: 100 },
      'gw:2',
    ],
    [
      'every stable pod runs it: promoted, shares 0',
      inputs({
        promoted: 'gw:2',
        stableRolled: true,
        previous: fleet({ state: 'Promoting', repo: undefined, moved: ['a', 'b'] }),
      }),
      'Promoted',
      {},
      'gw:2',
    ],
    [
      'abort by annotation',
      inputs({ previous: fleet(), controls: { paused: false, abort: 'gw:2' } }),
      'Aborted',
      {},
      'gw:1',
    ],
    [
      'promote by annotation',
      inputs({ previous: fleet(), controls: { paused: false, promote: 'gw:2' } }),
      'Promoting',
      {},
      'gw:2',
    ],
    [
      'rolled back stays back for the same image',
      inputs({ previous: fleet({ state: 'RolledBack' }) }),
      'RolledBack',
      {},
      'gw:1',
    ],
    [
      'a newer image starts over',
      inputs({ target: 'gw:3', previous: fleet({ state: 'RolledBack' }) }),
      'Progressing',
      { a: 10 },
      'gw:1',
    ],
  ])('%s', (_name, input, state, expectedWeights, stableImage) => {
    const decision = decideImageRollout(input);
    expect(decision.status?.state).toBe(state);
    expect(weights(decision)).toEqual(expectedWeights);
    expect(decision.stableImage).toBe(stableImage);
  });

  it('names the repo, the threshold and both tracks’ figures when it rolls back', () => {
    const decision = decideImageRollout(
      inputs({ previous: fleet({ repo: 'b', moved: ['a'], repoRollout: stepOf() }), windows: () => failing }),
    );
    expect(decision.status?.failed).toMatchObject({
      repo: 'b',
      threshold: 'retryableFailureRate',
      canary: 75,
      stable: 0,
    });
    expect(decision.status?.message).toMatch(/^rolled back at b: /);
    expect(decision.events.map((e) => e.reason)).toContain('ImageRolloutRolledBack');
  });

  it('records each move and the promotion as events', () => {
    expect(decideImageRollout(inputs({})).events.map((e) => e.reason)).toContain('ImageRolloutStarted');
    expect(decideImageRollout(inputs({ previous: fleet() })).events.map((e) => e.reason)).toContain(
      'ImageRolloutRepoMoved',
    );
    expect(
      decideImageRollout(
        inputs({
          promoted: 'gw:2',
          stableRolled: true,
          previous: fleet({ state: 'Promoting', repo: undefined, moved: ['a', 'b'] }),
        }),
      ).events.map((e) => e.reason),
    ).toEqual(['ImageRolloutPromoted']);
  });

  it('tells which repo is under analysis while its step is judged', () => {
    const decision = decideImageRollout(
      inputs({ previous: fleet({ repoRollout: stepOf({ lastAnalysisAt: at(20) }) }), nowMs: T0 + 25_000 }),
    );
    expect(decision.analysing).toBe('a');
  });
});
