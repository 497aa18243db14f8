import type { Static } from '@sinclair/typebox';
import { CONDITION, REASON } from '../api/constants.ts';
import type { LogRepoRolloutSchema } from '../api/log-repo-spec.ts';
import type { RolloutStatus } from '../api/rollout-status.ts';
import type { DesiredCondition } from '../status/conditions.ts';
import { type RepoCounters, ZERO_COUNTERS } from './gateway-metrics.ts';
import { type AnalysisThresholds, analyzeStep, type StepVerdict } from './step-analysis.ts';

type Defaulted = Static<typeof LogRepoRolloutSchema>;
/** spec.rollout as written: every field with a default may be left out (the apiserver fills them in). */
export interface RolloutSpec {
  readonly steps: ReadonlyArray<{ readonly weight: number; readonly pauseSeconds?: number | undefined }>;
  readonly analysis?: Partial<NonNullable<Defaulted['analysis']>> | undefined;
  readonly onFailure?: Defaulted['onFailure'] | undefined;
}

/** spec.rollout with every default filled in (the apiserver fills them too; files and tests may not). */
export interface RolloutPlan {
  readonly steps: ReadonlyArray<{ readonly weight: number; readonly pauseSeconds: number }>;
  readonly intervalSeconds: number;
  readonly minimum: { readonly requests: number; readonly lines: number };
  readonly thresholds: AnalysisThresholds;
  readonly maxWaitSeconds: number;
  readonly onLowTraffic: 'Pause' | 'Promote' | 'Rollback';
  readonly onFailure: 'Rollback' | 'Pause';
}

export function rolloutPlan(spec: RolloutSpec): RolloutPlan {
  const analysis = spec.analysis ?? {};
  return {
    steps: spec.steps.map((step) => ({ weight: step.weight, pauseSeconds: step.pauseSeconds ?? 60 })),
    intervalSeconds: analysis.intervalSeconds ?? 30,
    minimum: { requests: analysis.minRequests ?? 50, lines: analysis.minLines ?? 500 },
    thresholds: {
      maxRetryableFailureIncrease: analysis.maxRetryableFailureIncrease ?? 1,
      maxInvalidIncrease: analysis.maxInvalidIncrease ?? 1,
      maxDeliveryFailureIncrease: analysis.maxDeliveryFailureIncrease ?? 0.5,
      maxP99LatencyRatio: analysis.maxP99LatencyRatio ?? 2,
      p99LatencyToleranceMs: analysis.p99LatencyToleranceMs ?? 50,
    },
    maxWaitSeconds: analysis.maxWaitSeconds ?? 900,
    onLowTraffic: analysis.onLowTraffic ?? 'Pause',
    onFailure: spec.onFailure ?? 'Rollback',
  };
}

/** The manual controls, read from the LogRepo's annotations (docs/canary.md). */
export interface RolloutControls {
  /** `sluice.dev/rollout-paused: "true"`: hold the current step (no advance, no judgement). */
  readonly paused: boolean;
  /** `sluice.dev/rollout-promote: <target digest>`: promote that change now. */
  readonly promote?: string | undefined;
  /** `sluice.dev/rollout-abort: <target digest>`: roll that change back now. */
  readonly abort?: string | undefined;
}

export interface RolloutInputs {
  readonly plan: RolloutPlan;
  /** Digest of the repo's pipeline as the spec says now. */
  readonly target: string;
  /** Digest of the pipeline last promoted (what stable serves). */
  readonly promoted: string;
  /** status.rollout as last written (it survives an operator restart). */
  readonly previous: RolloutStatus | undefined;
  readonly controls: RolloutControls;
  /** A canary pod runs the target pipeline and the route can send it a share. */
  readonly canaryServing: boolean;
  /** Every ready stable pod runs the promoted pipeline (ends Promoting). */
  readonly stableApplied: boolean;
  /**
   * This repo's counters on each track since the step's window began; undefined when there is
   * nothing to compare yet (the window just began, or the operator restarted and took a new
   * baseline).
   */
  readonly windows: { readonly canary: RepoCounters; readonly stable: RepoCounters } | undefined;
  readonly nowMs: number;
}

export interface RolloutEvent {
  readonly type: 'Normal' | 'Warning';
  readonly reason: string;
  readonly message: string;
}

export interface RolloutDecision {
  readonly status: RolloutStatus;
  /** The canary share the route should carry for the repo. */
  readonly weight: number;
  /** Write the target as the promoted pipeline (stable takes it). */
  readonly promote: boolean;
  readonly condition: Omit<DesiredCondition, 'observedGeneration'>;
  /** One per transition (a step passed, a promotion, a rollback), for an Event and a metric. */
  readonly event?: RolloutEvent;
  /** Reconcile again after this long: the next judgement, or the end of a pause. */
  readonly requeueAfterMs?: number;
  /** The observer should read the pods' metrics for this repo's namespace. */
  readonly analysing: boolean;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const sinceMs = (at: string | undefined, nowMs: number) =>
  at === undefined ? 0 : Math.max(0, nowMs - Date.parse(at));

/**
 * The rollout state machine of one LogRepo: from what the spec asks (target), what stable
 * serves (promoted), what was recorded (previous) and what the pods measured (windows), the
 * next state, the canary share, and whether to promote. Pure and deterministic: the clock is
 * `nowMs`, the world comes in as arguments. Recorded progress is status only, so an operator
 * restarted mid-rollout resumes at the same step; its metric window starts again (the
 * counters it compares are its own), which costs at most one more minimum sample.
 *
 * No change to roll out (target = promoted): the share is 0, except while Promoting, when the
 * last step's share stays on the canary until every stable pod runs the promoted pipeline.
 */
export function decideRollout(inputs: RolloutInputs): RolloutDecision {
  const { plan, target, promoted, controls, nowMs } = inputs;
  const steps = plan.steps.length;
  const previous = inputs.previous?.target === target ? inputs.previous : undefined;
  const base = { target, promoted, steps };

  if (target === promoted) {
    if (previous?.state === 'Promoting' && !inputs.stableApplied) {
      return hold(
        {
          ...previous,
          ...base,
          message:
            'stable is taking the promoted pipeline; the canary keeps its share until every stable pod runs it',
        },
        'Promoting',
        REASON.rolloutProgressing,
      );
    }
    const done: RolloutStatus = {
      state: 'Promoted',
      ...base,
      step: steps,
      weight: 0,
      message:
        inputs.previous === undefined
          ? 'stable serves the current pipeline'
          : `stable serves pipeline ${target}`,
      ...(previous?.measured ? { measured: previous.measured } : {}),
    };
    return {
      status: done,
      weight: 0,
      promote: false,
      condition: {
        type: CONDITION.rollout,
        status: 'True',
        reason: REASON.rolloutPromoted,
        message: done.message,
      },
      analysing: false,
      ...(previous?.state === 'Promoting'
        ? {
            event: {
              type: 'Normal',
              reason: 'RolloutPromoted',
              message: `pipeline ${target} promoted: stable serves it, canary share 0`,
            },
          }
        : {}),
    };
  }

  // Finished with this target: it stays back until the spec changes again.
  if (previous?.state === 'RolledBack' || previous?.state === 'Aborted') {
    return {
      status: { ...previous, ...base, weight: 0 },
      weight: 0,
      promote: false,
      condition: {
        type: CONDITION.rollout,
        status: 'False',
        reason: previous.state === 'RolledBack' ? REASON.rolloutRolledBack : REASON.rolloutAborted,
        message: previous.message,
      },
      analysing: false,
    };
  }

  if (controls.abort === target) {
    const message = `aborted by annotation at step ${(previous?.step ?? 0) + 1}/${steps}; stable keeps pipeline ${promoted}`;
    return rolledBack(
      { ...(previous ?? fresh(base, plan)), ...base, state: 'Aborted', weight: 0, message },
      'Aborted',
    );
  }
  if (controls.promote === target || previous?.state === 'Promoting') {
    const message = `promoting pipeline ${target}${controls.promote === target ? ' (by annotation)' : ''}`;
    const status: RolloutStatus = {
      ...(previous ?? fresh(base, plan)),
      ...base,
      state: 'Promoting',
      step: steps,
      message,
    };
    return {
      status,
      weight: status.weight,
      promote: true,
      condition: { type: CONDITION.rollout, status: 'Unknown', reason: REASON.rolloutProgressing, message },
      analysing: false,
      ...(previous?.state === 'Promoting'
        ? {}
        : { event: { type: 'Normal', reason: 'RolloutPromoting', message } }),
    };
  }

  // A new change (or the first sight of one): step 1, clock not started until the canary serves it.
  if (previous === undefined) {
    const status = fresh(base, plan);
    return {
      ...progress(status, plan),
      event: {
        type: 'Normal',
        reason: 'RolloutStarted',
        message: `rolling out pipeline ${target} (stable keeps ${promoted}): step 1/${steps} at ${status.weight}%`,
      },
    };
  }

  if (controls.paused) {
    return hold(
      {
        ...previous,
        ...base,
        state: 'Paused',
        pausedBy: 'annotation',
        message: `paused by annotation at step ${previous.step + 1}/${steps}`,
      },
      'Paused',
      REASON.rolloutPaused,
    );
  }
  if (previous.state === 'Paused' && previous.pausedBy === 'failure') {
    return hold({ ...previous, ...base }, 'Paused', REASON.rolloutPaused);
  }
  const running: RolloutStatus = { ...withoutPause(previous), ...base, state: 'Progressing' };

  if (running.stepStartedAt === undefined) {
    if (!inputs.canaryServing) {
      return progress(
        {
          ...running,
          message: `step ${running.step + 1}/${steps}: waiting for a canary pod to run the new pipeline`,
        },
        plan,
      );
    }
    return progress(
      {
        ...running,
        stepStartedAt: iso(nowMs),
        message: `step ${running.step + 1}/${steps}: ${running.weight}% on the canary`,
      },
      plan,
    );
  }

  const intervalMs = plan.intervalSeconds * 1000;
  const sinceJudged =
    running.lastAnalysisAt === undefined ? Number.POSITIVE_INFINITY : sinceMs(running.lastAnalysisAt, nowMs);
  if (sinceJudged < intervalMs) return progress(running, plan, intervalMs - sinceJudged);

  // No window yet (the step just began, or this operator restarted): nothing measured so far.
  const verdict: StepVerdict = analyzeStep(
    inputs.windows ?? { canary: ZERO_COUNTERS, stable: ZERO_COUNTERS },
    plan.minimum,
    plan.thresholds,
  );
  const judged: RolloutStatus = { ...running, lastAnalysisAt: iso(nowMs), measured: verdict.measured };
  const elapsedMs = sinceMs(running.stepStartedAt, nowMs);
  const step = plan.steps[running.step] ?? { weight: running.weight, pauseSeconds: 0 };

  if (verdict.verdict === 'fail') {
    const failed = {
      threshold: verdict.threshold,
      canary: verdict.canary,
      stable: verdict.stable,
      limit: verdict.limit,
    };
    if (plan.onFailure === 'Pause') {
      return hold(
        {
          ...judged,
          state: 'Paused',
          pausedBy: 'failure',
          failed,
          message: `step ${running.step + 1}/${steps} failed, paused (onFailure: Pause): ${verdict.message}`,
        },
        'Paused',
        REASON.rolloutPaused,
        { type: 'Warning', reason: 'RolloutPaused', message: verdict.message },
      );
    }
    return rolledBack(
      {
        ...judged,
        state: 'RolledBack',
        weight: 0,
        failed,
        message: `rolled back at step ${running.step + 1}/${steps}: ${verdict.message}; stable keeps pipeline ${promoted}`,
      },
      'RolledBack',
    );
  }

  let passed = verdict.verdict === 'pass';
  if (verdict.verdict === 'insufficient') {
    const waitedOut = elapsedMs >= plan.maxWaitSeconds * 1000;
    if (!waitedOut) {
      return progress(
        {
          ...judged,
          message: `step ${running.step + 1}/${steps} at ${running.weight}%: waiting for traffic: ${verdict.message}`,
        },
        plan,
        intervalMs,
        REASON.rolloutWaitingForTraffic,
      );
    }
    if (plan.onLowTraffic === 'Rollback') {
      return rolledBack(
        {
          ...judged,
          state: 'RolledBack',
          weight: 0,
          message: `rolled back at step ${running.step + 1}/${steps}: too little traffic after ${plan.maxWaitSeconds}s (onLowTraffic: Rollback): ${verdict.message}`,
        },
        'RolledBack',
      );
    }
    if (plan.onLowTraffic === 'Pause') {
      return progress(
        {
          ...judged,
          message: `step ${running.step + 1}/${steps} at ${running.weight}%: still too little traffic after ${plan.maxWaitSeconds}s (onLowTraffic: Pause): ${verdict.message}; it goes on when traffic comes, or promote or abort by hand`,
        },
        plan,
        intervalMs,
        REASON.rolloutWaitingForTraffic,
      );
    }
    passed = true;
  }
  if (!passed) return progress(judged, plan, intervalMs);

  const pauseLeftMs = step.pauseSeconds * 1000 - elapsedMs;
  if (pauseLeftMs > 0) {
    return progress(
      {
        ...judged,
        message: `step ${running.step + 1}/${steps} at ${running.weight}%: passing, ${Math.ceil(pauseLeftMs / 1000)}s of its pause left`,
      },
      plan,
      Math.min(pauseLeftMs, intervalMs),
    );
  }
  const nextIndex = running.step + 1;
  const next = plan.steps[nextIndex];
  if (next === undefined) {
    const message = `every step passed; promoting pipeline ${target}`;
    return {
      status: { ...judged, state: 'Promoting', step: steps, message },
      weight: judged.weight,
      promote: true,
      condition: { type: CONDITION.rollout, status: 'Unknown', reason: REASON.rolloutProgressing, message },
      event: { type: 'Normal', reason: 'RolloutPromoting', message },
      analysing: false,
    };
  }
  const { stepStartedAt: _started, lastAnalysisAt: _judged, ...rest } = judged;
  const message = `step ${nextIndex + 1}/${steps}: ${next.weight}% on the canary`;
  return {
    ...progress({ ...rest, step: nextIndex, weight: next.weight, message }, plan),
    event: {
      type: 'Normal',
      reason: 'RolloutStepPassed',
      message: `step ${running.step + 1}/${steps} passed; ${message}`,
    },
  };
}

function fresh(base: { target: string; promoted: string; steps: number }, plan: RolloutPlan): RolloutStatus {
  const first = plan.steps[0] ?? { weight: 0 };
  return {
    state: 'Progressing',
    ...base,
    step: 0,
    weight: first.weight,
    message: `step 1/${base.steps}: waiting for a canary pod to run the new pipeline`,
  };
}

function withoutPause(status: RolloutStatus): RolloutStatus {
  const { pausedBy: _pausedBy, ...rest } = status;
  return rest;
}

function progress(
  status: RolloutStatus,
  plan: RolloutPlan,
  requeueAfterMs = plan.intervalSeconds * 1000,
  reason: DesiredCondition['reason'] = REASON.rolloutProgressing,
): RolloutDecision {
  return {
    status,
    weight: status.weight,
    promote: false,
    condition: { type: CONDITION.rollout, status: 'Unknown', reason, message: status.message },
    requeueAfterMs: Math.max(1000, Math.round(requeueAfterMs)),
    analysing: status.stepStartedAt !== undefined,
  };
}

function hold(
  status: RolloutStatus,
  state: 'Paused' | 'Promoting',
  reason: DesiredCondition['reason'],
  event?: RolloutEvent,
): RolloutDecision {
  const next = { ...status, state };
  return {
    status: next,
    weight: next.weight,
    promote: false,
    condition: { type: CONDITION.rollout, status: 'Unknown', reason, message: next.message },
    analysing: false,
    ...(state === 'Promoting' ? { requeueAfterMs: 5000 } : {}),
    ...(event ? { event } : {}),
  };
}

function rolledBack(status: RolloutStatus, state: 'RolledBack' | 'Aborted'): RolloutDecision {
  return {
    status,
    weight: 0,
    promote: false,
    condition: {
      type: CONDITION.rollout,
      status: 'False',
      reason: state === 'RolledBack' ? REASON.rolloutRolledBack : REASON.rolloutAborted,
      message: status.message,
    },
    event: {
      type: 'Warning',
      reason: state === 'RolledBack' ? 'RolloutRolledBack' : 'RolloutAborted',
      message: status.message,
    },
    analysing: false,
  };
}
