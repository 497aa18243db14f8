import { describe, expect, it } from 'vitest';
import { windowOf } from '../../test/support/repo-counters.ts';
import type { RolloutStatus } from '../api/rollout-status.ts';
import { decideRollout, type RolloutInputs, rolloutPlan } from './rollout-decision.ts';

const T0 = Date.parse('2026-12-03T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z');

const plan = rolloutPlan({
  steps: [
    { weight: 10, pauseSeconds: 60 },
    { weight: 50, pauseSeconds: 60 },
  ],
  analysis: { intervalSeconds: 30, minRequests: 100, minLines: 1000, maxWaitSeconds: 600 },
});

const window = (requests: number, invalid = 0, failures = 0) => windowOf(requests, { invalid, failures });
const healthy = { canary: window(200), stable: window(2000) };

const running = (overrides: Partial<RolloutStatus> = {}): RolloutStatus => ({
  state: 'Progressing',
  target: 'new',
  promoted: 'old',
  step: 0,
  steps: 2,
  weight: 10,
  stepStartedAt: at(0),
  message: 'step 1/2: 10% on the canary',
  ...overrides,
});

const inputs = (overrides: Partial<RolloutInputs>): RolloutInputs => ({
  plan,
  target: 'new',
  promoted: 'old',
  previous: undefined,
  controls: { paused: false },
  canaryServing: true,
  stableApplied: true,
  windows: undefined,
  nowMs: T0,
  ...overrides,
});

describe('decideRollout', () => {
  it.each([
    ['nothing to roll out', inputs({ target: 'old' }), 'Promoted', 0, false],
    [
      'a new change starts at step 1, clock not started',
      inputs({ canaryServing: false }),
      'Progressing',
      10,
      false,
    ],
    [
      'a change of the change starts over',
      inputs({ target: 'newer', previous: running({ step: 1, weight: 50 }) }),
      'Progressing',
      10,
      false,
    ],
    [
      'the clock starts once a canary pod runs it',
      inputs({ previous: running({ stepStartedAt: undefined }), nowMs: T0 + 5000 }),
      'Progressing',
      10,
      false,
    ],
    [
      'too little traffic waits',
      inputs({
        previous: running(),
        windows: { canary: window(20), stable: window(200) },
        nowMs: T0 + 30_000,
      }),
      'Progressing',
      10,
      false,
    ],
    [
      'passing but pausing',
      inputs({ previous: running(), windows: healthy, nowMs: T0 + 30_000 }),
      'Progressing',
      10,
      false,
    ],
    [
      'passing and paused long enough: next step',
      inputs({ previous: running(), windows: healthy, nowMs: T0 + 61_000 }),
      'Progressing',
      50,
      false,
    ],
    [
      'the last step passes: promote, the share stays until stable runs it',
      inputs({ previous: running({ step: 1, weight: 50 }), windows: healthy, nowMs: T0 + 61_000 }),
      'Promoting',
      50,
      true,
    ],
    [
      'promoted but stable pods still catching up',
      inputs({
        target: 'new',
        promoted: 'new',
        previous: running({ state: 'Promoting', step: 2, weight: 50 }),
        stableApplied: false,
      }),
      'Promoting',
      50,
      false,
    ],
    [
      'promoted and stable runs it: share 0',
      inputs({
        target: 'new',
        promoted: 'new',
        previous: running({ state: 'Promoting', step: 2, weight: 50 }),
      }),
      'Promoted',
      0,
      false,
    ],
    [
      'most lines invalid: rolled back at once',
      inputs({
        previous: running(),
        windows: { canary: window(200, 1800), stable: window(2000) },
        nowMs: T0 + 30_000,
      }),
      'RolledBack',
      0,
      false,
    ],
    [
      'retryable failures: rolled back',
      inputs({
        previous: running(),
        windows: { canary: window(200, 0, 150), stable: window(2000) },
        nowMs: T0 + 30_000,
      }),
      'RolledBack',
      0,
      false,
    ],
    [
      'rolled back stays back for the same change',
      inputs({
        previous: running({ state: 'RolledBack', weight: 0 }),
        windows: healthy,
        nowMs: T0 + 300_000,
      }),
      'RolledBack',
      0,
      false,
    ],
    [
      'paused by annotation holds the step',
      inputs({ previous: running(), controls: { paused: true }, windows: healthy, nowMs: T0 + 61_000 }),
      'Paused',
      10,
      false,
    ],
    [
      'promote by annotation',
      inputs({ previous: running(), controls: { paused: false, promote: 'new' } }),
      'Promoting',
      10,
      true,
    ],
    [
      'a promote naming another change does nothing',
      inputs({ previous: running(), controls: { paused: false, promote: 'other' }, nowMs: T0 + 1000 }),
      'Progressing',
      10,
      false,
    ],
    [
      'abort by annotation',
      inputs({ previous: running(), controls: { paused: false, abort: 'new' } }),
      'Aborted',
      0,
      false,
    ],
    [
      'judged less than an interval ago: no new judgement',
      inputs({
        previous: running({ lastAnalysisAt: at(50) }),
        windows: { canary: window(200, 1800), stable: window(2000) },
        nowMs: T0 + 61_000,
      }),
      'Progressing',
      10,
      false,
    ],
  ])('%s', (_name, input, state, weight, promote) => {
    const decision = decideRollout(input);
    expect(decision.status.state).toBe(state);
    expect(decision.weight).toBe(weight);
    expect(decision.promote).toBe(promote);
  });

  it('names the failed threshold with both tracks’ figures', () => {
    const decision = decideRollout(
      inputs({
        previous: running(),
        windows: { canary: window(200, 1800), stable: window(2000, 20) },
        nowMs: T0 + 30_000,
      }),
    );
    expect(decision.status.failed).toMatchObject({ threshold: 'invalidRate', canary: 90, stable: 0.1 });
    expect(decision.status.message).toMatch(/^rolled back at step 1\/2: .*90.*0\.1/);
    expect(decision.condition).toMatchObject({ status: 'False', reason: 'RolledBack' });
    expect(decision.event).toMatchObject({ type: 'Warning', reason: 'RolloutRolledBack' });
  });

  it.each([
    ['Pause', 'Progressing', 10, 'WaitingForTraffic'],
    ['Promote', 'Progressing', 50, 'RolloutProgressing'],
    ['Rollback', 'RolledBack', 0, 'RolledBack'],
  ] as const)(
    'low traffic past maxWaitSeconds with onLowTraffic %s',
    (onLowTraffic, state, weight, reason) => {
      const low = rolloutPlan({
        steps: plan.steps.map((s) => ({ ...s })),
        analysis: { minRequests: 100, minLines: 1000, maxWaitSeconds: 120, onLowTraffic },
      });
      const decision = decideRollout(
        inputs({
          plan: low,
          previous: running(),
          windows: { canary: window(3), stable: window(30) },
          nowMs: T0 + 121_000,
        }),
      );
      expect(decision.status.state).toBe(state);
      expect(decision.weight).toBe(weight);
      expect(decision.condition.reason).toBe(reason);
    },
  );

  it('resumes from what status recorded after an operator restart: same step, a fresh window', () => {
    // The restarted operator has no baseline yet: windows undefined, so the step waits for a new sample.
    const decision = decideRollout(
      inputs({
        previous: running({ step: 1, weight: 50, lastAnalysisAt: at(30) }),
        windows: undefined,
        nowMs: T0 + 90_000,
      }),
    );
    expect(decision.status).toMatchObject({
      state: 'Progressing',
      step: 1,
      weight: 50,
      stepStartedAt: at(0),
    });
    expect(decision.analysing).toBe(true);
  });

  it('onFailure Pause holds the step and stays paused until a human acts', () => {
    const pausing = rolloutPlan({ steps: [{ weight: 10, pauseSeconds: 0 }], onFailure: 'Pause' });
    const bad = { canary: window(200, 1800), stable: window(2000) };
    const first = decideRollout(
      inputs({ plan: pausing, previous: running({ steps: 1 }), windows: bad, nowMs: T0 + 30_000 }),
    );
    expect(first.status).toMatchObject({ state: 'Paused', pausedBy: 'failure', weight: 10 });
    const later = decideRollout(
      inputs({ plan: pausing, previous: first.status, windows: healthy, nowMs: T0 + 300_000 }),
    );
    expect(later.status.state).toBe('Paused');
    const aborted = decideRollout(
      inputs({ plan: pausing, previous: first.status, controls: { paused: false, abort: 'new' } }),
    );
    expect(aborted.status.state).toBe('Aborted');
  });

  it('emits one event per transition, none while nothing moves', () => {
    expect(decideRollout(inputs({})).event?.reason).toBe('RolloutStarted');
    expect(
      decideRollout(inputs({ previous: running(), windows: healthy, nowMs: T0 + 30_000 })).event,
    ).toBeUndefined();
    expect(
      decideRollout(inputs({ previous: running(), windows: healthy, nowMs: T0 + 61_000 })).event?.reason,
    ).toBe('RolloutStepPassed');
  });
});
