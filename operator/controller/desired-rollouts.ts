import { ANNOTATIONS, CONDITION } from '../api/constants.ts';
import type { LogRepoSpec } from '../api/log-repo-spec.ts';
import type { RolloutStatus } from '../api/rollout-status.ts';
import type { KubeObject } from '../kube/kube-client.ts';
import type { PodObservation } from '../observe/pod-report.ts';
import type { Track } from '../render/render-gateway-config.ts';
import type { RepoCounters } from '../rollout/gateway-metrics.ts';
import {
  decideRollout,
  type RolloutControls,
  type RolloutDecision,
  rolloutPlan,
} from '../rollout/rollout-decision.ts';
import {
  pipelineDigest,
  pipelineOf,
  promotedConfigMap,
  type RepoPipeline,
  withPipeline,
} from '../rollout/rollout-pipeline.ts';
import type { DesiredCondition } from '../status/conditions.ts';

/** A repo with spec.rollout, as one reconcile decides it. */
export interface RepoRollout {
  readonly decision: RolloutDecision;
  /** What the stable track renders for the repo: the promoted pipeline (the target once promoted). */
  readonly stableSpec: LogRepoSpec;
  /** The owned ConfigMap holding the promoted pipeline, to apply. */
  readonly promotedObject: KubeObject;
  readonly condition: DesiredCondition;
}

export interface RolloutRepo {
  readonly metadata: {
    readonly name: string;
    readonly uid?: string | undefined;
    readonly generation?: number | undefined;
    readonly annotations?: Readonly<Record<string, string>> | undefined;
  };
  readonly spec: LogRepoSpec;
}

export interface RolloutWorld {
  readonly namespace: string;
  /** The promoted pipeline of each repo, read back from its ConfigMap. */
  readonly promoted: ReadonlyMap<string, RepoPipeline>;
  readonly previous: (name: string) => RolloutStatus | undefined;
  /** The ready pods of each track and what they report; absent without an observer. */
  readonly pods: Partial<Record<Track, readonly PodObservation[]>> | undefined;
  /** The repo's digest in the stable render of its promoted pipeline and in the canary render of its target. */
  readonly digests: (name: string) => {
    readonly stable?: string | undefined;
    readonly canary?: string | undefined;
  };
  readonly canaryAvailable: boolean;
  readonly windows: ReadonlyMap<string, { readonly canary: RepoCounters; readonly stable: RepoCounters }>;
  readonly nowMs: number;
}

/** The manual controls a LogRepo's annotations give (docs/canary.md). */
export function rolloutControls(annotations: Readonly<Record<string, string>> | undefined): RolloutControls {
  return {
    paused: annotations?.[ANNOTATIONS.rolloutPaused] === 'true',
    promote: annotations?.[ANNOTATIONS.rolloutPromote],
    abort: annotations?.[ANNOTATIONS.rolloutAbort],
  };
}

/**
 * The rollout of every repo with spec.rollout: its decision, what stable renders, and the
 * promoted pipeline to keep. A repo seen with spec.rollout for the first time has nothing to
 * roll from: its current pipeline is promoted as it is (docs/canary.md says so). Pure.
 */
export function desiredRollouts(
  repos: readonly RolloutRepo[],
  world: RolloutWorld,
): Map<string, RepoRollout> {
  const out = new Map<string, RepoRollout>();
  for (const repo of repos) {
    const spec = repo.spec;
    if (spec.rollout === undefined) continue;
    const name = repo.metadata.name;
    const target = pipelineOf(spec);
    const promoted = world.promoted.get(name) ?? target;
    const targetDigest = pipelineDigest(target);
    const promotedDigest = pipelineDigest(promoted);
    const digests = world.digests(name);
    const runs = (track: Track, digest: string | undefined) =>
      (world.pods?.[track] ?? []).filter(
        (pod) => pod.state === 'reported' && digest !== undefined && pod.report.repos.get(name) === digest,
      ).length;
    const stablePods = world.pods?.stable ?? [];
    const decision = decideRollout({
      plan: rolloutPlan(spec.rollout),
      target: targetDigest,
      promoted: promotedDigest,
      previous: world.previous(name),
      controls: rolloutControls(repo.metadata.annotations),
      // Without an observer nothing can confirm a pod runs it: the canary being available is all there is.
      canaryServing:
        world.canaryAvailable && (world.pods === undefined || runs('canary', digests.canary) > 0),
      stableApplied:
        world.pods === undefined ||
        (stablePods.length > 0 && runs('stable', digests.stable) === stablePods.length),
      windows: world.windows.get(name),
      nowMs: world.nowMs,
    });
    const stablePipeline = decision.promote ? target : promoted;
    out.set(name, {
      decision,
      stableSpec: withPipeline(spec, stablePipeline),
      promotedObject: promotedConfigMap(world.namespace, { name, uid: repo.metadata.uid }, stablePipeline),
      condition: {
        ...decision.condition,
        type: CONDITION.rollout,
        observedGeneration: repo.metadata.generation ?? 0,
      },
    });
  }
  return out;
}
