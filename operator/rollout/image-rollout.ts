import type { FleetRolloutStatus } from '../api/gateway-fleet-spec.ts';
import type { RepoCounters } from './gateway-metrics.ts';
import {
  decideRollout,
  type RolloutControls,
  type RolloutEvent,
  type RolloutPlan,
} from './rollout-decision.ts';

/** A GatewayFleet's `status.rollout` (its schema is the one source): a new image taking the repos over one by one. */
export type ImageRolloutStatus = FleetRolloutStatus;

export interface ImageRolloutPlan extends RolloutPlan {
  /** The order repos move in (LogRepos of the namespace the canary track can serve). */
  readonly repos: readonly string[];
  readonly pauseBetweenReposSeconds: number;
}

export interface ImageRolloutInputs {
  readonly plan: ImageRolloutPlan;
  /** The image the fleet asks stable to run. */
  readonly target: string;
  /** The image the stable Deployment runs now. */
  readonly promoted: string;
  readonly previous: ImageRolloutStatus | undefined;
  readonly controls: RolloutControls;
  /** A canary pod (running the target image) serves this repo. */
  readonly canaryServing: (repo: string) => boolean;
  /** Every stable pod runs the target image (the Deployment's rollout is complete). */
  readonly stableRolled: boolean;
  readonly windows: (
    repo: string,
  ) => { readonly canary: RepoCounters; readonly stable: RepoCounters } | undefined;
  readonly nowMs: number;
}

export interface ImageRolloutDecision {
  readonly status: ImageRolloutStatus | undefined;
  /** The canary share of each repo (absent: 0). */
  readonly weights: ReadonlyMap<string, number>;
  /** The image to apply on the stable Deployment: the promoted one until every repo passed. */
  readonly stableImage: string;
  /** The image of the canary track while a rollout runs (undefined: the fleet's canary image). */
  readonly canaryImage?: string | undefined;
  readonly events: readonly RolloutEvent[];
  readonly requeueAfterMs?: number | undefined;
  /** The repo whose step is under analysis (the observer reads metrics for it). */
  readonly analysing?: string | undefined;
}

const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

/**
 * The image rollout of one namespace's fleet, as the team we replace did it by hand: the
 * canary track runs the new image; repos move to it one at a time, each through the steps
 * and analysis of a pipeline rollout (decideRollout, with the image as the target); a repo
 * that passed stays wholly on the canary track; after the last repo, stable takes the image
 * (a rolling update) while the moved repos stay on canary, and once every stable pod runs it
 * the shares return to 0. On a failure every repo returns to stable at once, and stable keeps
 * its image. Pure: the world comes in as arguments, the clock as `nowMs`.
 */
export function decideImageRollout(inputs: ImageRolloutInputs): ImageRolloutDecision {
  const { plan, target, promoted, controls, nowMs } = inputs;
  const total = plan.repos.length;
  const previous = inputs.previous?.image === target ? inputs.previous : undefined;
  const summary = (moved: readonly string[]) => `${moved.length}/${total}`;
  const holdAll = (moved: readonly string[]) => new Map(moved.map((repo) => [repo, 100]));

  if (target === promoted) {
    if (previous?.state === 'Promoting' && !inputs.stableRolled) {
      return {
        status: {
          ...previous,
          message: `stable is rolling to ${target}; the moved repos stay on the canary track until it is done`,
        },
        weights: holdAll(previous.moved),
        stableImage: target,
        canaryImage: target,
        events: [],
        requeueAfterMs: 5000,
      };
    }
    if (previous === undefined && inputs.previous === undefined) {
      return { status: undefined, weights: new Map(), stableImage: promoted, events: [] };
    }
    const done: ImageRolloutStatus = {
      state: 'Promoted',
      image: target,
      from: previous?.from ?? inputs.previous?.from ?? promoted,
      moved: previous?.moved ?? [],
      pending: 0,
      movedSummary: summary(previous?.moved ?? []),
      message: `stable runs ${target}`,
    };
    return {
      status: done,
      weights: new Map(),
      stableImage: target,
      events:
        previous?.state === 'Promoting'
          ? [
              {
                type: 'Normal',
                reason: 'ImageRolloutPromoted',
                message: `stable runs ${target}; canary shares back to 0`,
              },
            ]
          : [],
    };
  }

  if (previous?.state === 'RolledBack' || previous?.state === 'Aborted') {
    return { status: previous, weights: new Map(), stableImage: promoted, events: [] };
  }

  const started: ImageRolloutStatus = previous ?? {
    state: 'Progressing',
    image: target,
    from: promoted,
    repo: plan.repos[0],
    moved: [],
    pending: total,
    movedSummary: summary([]),
    message: total === 0 ? 'no repo to move: stable takes the image' : `moving ${plan.repos[0]} to ${target}`,
  };
  const startEvents: RolloutEvent[] = previous
    ? []
    : [
        {
          type: 'Normal',
          reason: 'ImageRolloutStarted',
          message: `rolling out ${target} (stable runs ${promoted}), repo by repo: ${plan.repos.join(', ') || 'none'}`,
        },
      ];

  const back = (state: 'RolledBack' | 'Aborted', message: string, failed?: ImageRolloutStatus['failed']) => ({
    status: { ...started, state, message, ...(failed ? { failed } : {}) },
    weights: new Map<string, number>(),
    stableImage: promoted,
    events: [
      ...startEvents,
      {
        type: 'Warning' as const,
        reason: state === 'RolledBack' ? 'ImageRolloutRolledBack' : 'ImageRolloutAborted',
        message,
      },
    ],
  });

  if (controls.abort === target) {
    return back(
      'Aborted',
      `aborted by annotation with ${summary(started.moved)} repos moved; every repo back on stable, which keeps ${promoted}`,
    );
  }
  const promoting = (reason: string) => ({
    status: {
      ...started,
      state: 'Promoting' as const,
      repo: undefined,
      repoRollout: undefined,
      pending: 0,
      message: `stable takes ${target} (${reason})`,
    },
    weights: holdAll(started.moved),
    stableImage: target,
    canaryImage: target,
    events: [
      ...startEvents,
      {
        type: 'Normal' as const,
        reason: 'ImageRolloutPromoting',
        message: `stable takes ${target} (${reason})`,
      },
    ],
    requeueAfterMs: 5000,
  });
  if (controls.promote === target) return promoting('promoted by annotation');
  if (started.state === 'Promoting' || started.repo === undefined)
    return promoting(`every repo passed: ${started.moved.join(', ') || 'none'}`);

  // The pause between two repos: the next one waits at 0.
  if (started.nextRepoAt !== undefined && nowMs < Date.parse(started.nextRepoAt)) {
    return {
      status: { ...started, message: `${started.repo} moves at ${started.nextRepoAt} (pause between repos)` },
      weights: holdAll(started.moved),
      stableImage: promoted,
      canaryImage: target,
      events: startEvents,
      requeueAfterMs: Math.max(1000, Date.parse(started.nextRepoAt) - nowMs),
    };
  }

  const repo = started.repo;
  const step = decideRollout({
    plan,
    target,
    promoted,
    previous: started.repoRollout,
    controls: { paused: controls.paused },
    canaryServing: inputs.canaryServing(repo),
    stableApplied: true,
    windows: inputs.windows(repo),
    nowMs,
  });
  const events = [
    ...startEvents,
    ...(step.event ? [{ ...step.event, message: `${repo}: ${step.event.message}` }] : []),
  ];

  if (step.status.state === 'RolledBack' || step.status.state === 'Aborted') {
    const failed = step.status.failed ? { repo, ...step.status.failed } : undefined;
    return {
      ...back(
        'RolledBack',
        `rolled back at ${repo}: ${step.status.message}; every repo back on stable, which keeps ${promoted}`,
        failed,
      ),
      events: [
        ...events,
        {
          type: 'Warning',
          reason: 'ImageRolloutRolledBack',
          message: `rolled back at ${repo}; stable keeps ${promoted}`,
        },
      ],
    };
  }
  if (step.promote) {
    const moved = [...started.moved, repo];
    const next = plan.repos.find((name) => !moved.includes(name));
    if (next === undefined) {
      const done = promoting(`every repo passed: ${moved.join(', ')}`);
      return {
        ...done,
        status: { ...done.status, moved, movedSummary: summary(moved) },
        weights: holdAll(moved),
        events: [...events, ...done.events],
      };
    }
    const nextRepoAt =
      plan.pauseBetweenReposSeconds > 0 ? iso(nowMs + plan.pauseBetweenReposSeconds * 1000) : undefined;
    return {
      status: {
        ...started,
        state: 'Progressing',
        repo: next,
        repoRollout: undefined,
        moved,
        pending: total - moved.length,
        movedSummary: summary(moved),
        nextRepoAt,
        message: `${repo} moved to ${target}; ${next} is next`,
      },
      weights: holdAll(moved),
      stableImage: promoted,
      canaryImage: target,
      events: [
        ...events,
        {
          type: 'Normal',
          reason: 'ImageRolloutRepoMoved',
          message: `${repo} runs ${target}; ${next} is next`,
        },
      ],
      requeueAfterMs: Math.max(1000, plan.pauseBetweenReposSeconds * 1000),
    };
  }
  const weights = holdAll(started.moved);
  weights.set(repo, step.weight);
  const { nextRepoAt: _waited, ...current } = started;
  return {
    status: {
      ...current,
      state: step.status.state === 'Paused' ? 'Paused' : 'Progressing',
      repoRollout: step.status,
      message: `${repo} (${started.moved.length + 1}/${total}): ${step.status.message}`,
    },
    weights,
    stableImage: promoted,
    canaryImage: target,
    events,
    ...(step.requeueAfterMs === undefined ? {} : { requeueAfterMs: step.requeueAfterMs }),
    ...(step.analysing ? { analysing: repo } : {}),
  };
}
