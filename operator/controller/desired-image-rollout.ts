import { ANNOTATIONS, CONDITION, REASON } from '../api/constants.ts';
import type { Autoscaling, GatewayFleetSpec, GatewayFleetStatus } from '../api/gateway-fleet-spec.ts';
import type { FleetSettings } from '../operator-config.ts';
import { fleetSettingsFor } from '../render/fleet-overrides.ts';
import type { Track } from '../render/render-gateway-config.ts';
import type { RepoCounters } from '../rollout/gateway-metrics.ts';
import { decideImageRollout, type ImageRolloutDecision } from '../rollout/image-rollout.ts';
import { rolloutPlan } from '../rollout/rollout-decision.ts';
import type { DesiredCondition } from '../status/conditions.ts';

/** A namespace's GatewayFleet as the desired state needs it. */
export interface FleetInput {
  readonly metadata: {
    readonly name: string;
    readonly generation?: number | undefined;
    readonly annotations?: Readonly<Record<string, string>> | undefined;
  };
  readonly spec: GatewayFleetSpec;
  readonly status?: GatewayFleetStatus | undefined;
}

export interface ImageRolloutWorld {
  /** The repos the stable config serves, by name (the order a plan without `repos` takes); asked only with a plan. */
  readonly repos: () => readonly string[];
  readonly stableImage?: string | undefined;
  readonly stableRolled: boolean;
  /** A canary pod running `image` serves the repo. */
  readonly canaryServing: (repo: string, image: string) => boolean;
  readonly windows: (
    repo: string,
  ) => { readonly canary: RepoCounters; readonly stable: RepoCounters } | undefined;
  readonly nowMs: number;
}

export interface FleetView {
  /** The fleet settings to render with: the GatewayFleet's track settings over the operator's flags, images as the rollout says. */
  readonly settings: FleetSettings;
  /** Autoscaled tracks (an HPA each; the operator then stops owning replicas). */
  readonly autoscaling: Partial<Record<Track, Autoscaling>>;
  readonly decision: ImageRolloutDecision | undefined;
  readonly condition: DesiredCondition | undefined;
}

/**
 * The fleet a namespace runs: its GatewayFleet's settings and, with `spec.imageRollout`, the
 * image rollout's decision — the stable image stays the one the stable Deployment runs until
 * every repo passed, the canary track runs the new one, and each repo's canary share is the
 * rollout's. Without an imageRollout plan a new image applies at once (the Deployment rolls).
 * Pure.
 */
export function desiredFleetView(
  base: FleetSettings,
  fleet: FleetInput | undefined,
  world: ImageRolloutWorld,
): FleetView {
  const { autoscaling = {}, ...settings } = fleetSettingsFor(base, fleet?.spec);
  const plan = fleet?.spec.imageRollout;
  if (!fleet || !plan) return { settings, autoscaling, decision: undefined, condition: undefined };
  const target = settings.stable.image;
  const promoted = world.stableImage ?? target;
  const annotations = fleet.metadata.annotations;
  // The plan's order first (names that are not repos skipped), then every other repo by name.
  const served = world.repos();
  const listed = (plan.repos ?? []).filter((repo) => served.includes(repo));
  const order = [...listed, ...served.filter((repo) => !listed.includes(repo)).sort()];
  const decision = decideImageRollout({
    plan: {
      ...rolloutPlan(plan),
      repos: order,
      pauseBetweenReposSeconds: plan.pauseBetweenReposSeconds ?? 60,
    },
    target,
    promoted,
    previous: fleet.status?.rollout,
    controls: {
      paused: annotations?.[ANNOTATIONS.rolloutPaused] === 'true',
      promote: annotations?.[ANNOTATIONS.rolloutPromote],
      abort: annotations?.[ANNOTATIONS.rolloutAbort],
    },
    canaryServing: (repo) => world.canaryServing(repo, target),
    stableRolled: world.stableRolled,
    windows: world.windows,
    nowMs: world.nowMs,
  });
  const status = decision.status;
  const running = status !== undefined && ['Progressing', 'Paused', 'Promoting'].includes(status.state);
  return {
    settings: {
      ...settings,
      stable: { ...settings.stable, image: decision.stableImage },
      canary: {
        ...settings.canary,
        image: running ? (decision.canaryImage ?? target) : settings.canary.image,
      },
    },
    autoscaling,
    decision,
    condition: status && {
      type: CONDITION.imageRollout,
      status:
        status.state === 'Promoted'
          ? 'True'
          : status.state === 'RolledBack' || status.state === 'Aborted'
            ? 'False'
            : 'Unknown',
      reason:
        status.state === 'Promoted'
          ? REASON.rolloutPromoted
          : status.state === 'RolledBack'
            ? REASON.rolloutRolledBack
            : status.state === 'Aborted'
              ? REASON.rolloutAborted
              : status.state === 'Paused'
                ? REASON.rolloutPaused
                : REASON.rolloutProgressing,
      message: status.message,
      observedGeneration: fleet.metadata.generation ?? 0,
    },
  };
}

/**
 * The canary track's size while it carries shares of repos: the stable size times the share of
 * traffic it carries (requests counted per repo, both tracks), at least one pod. Without counts
 * every repo weighs the same. Pure.
 */
export function canaryReplicasFor(
  stableReplicas: number,
  weights: ReadonlyMap<string, number>,
  requests: (repo: string) => number | undefined,
  repos: readonly string[],
): number {
  if (weights.size === 0 || repos.length === 0) return 1;
  const known = repos.map((repo) => requests(repo));
  const counted = known.every((n) => n !== undefined) && known.some((n) => (n ?? 0) > 0);
  const traffic = repos.map((_, index) => (counted ? (known[index] ?? 0) : 1));
  const total = traffic.reduce((sum, n) => sum + n, 0);
  const carried = repos.reduce(
    (sum, repo, index) => sum + (traffic[index] ?? 0) * ((weights.get(repo) ?? 0) / 100),
    0,
  );
  return Math.max(1, Math.min(stableReplicas, Math.ceil(stableReplicas * (carried / total))));
}
