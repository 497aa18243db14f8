import { canonicalJson } from '../../kernel/canonical-json.ts';
import {
  ANNOTATIONS,
  FIELD_MANAGER,
  GATEWAY_CONFIG_MAP,
  GATEWAY_NAMES,
  LABELS,
  MANAGED_BY,
} from '../api/constants.ts';
import type { RolloutStatus } from '../api/rollout-status.ts';
import type { KubeObject, ResourceRef } from '../kube/kube-client.ts';
import type { FleetObserver } from '../observe/fleet-observer.ts';
import type { FleetSettings, RouteSettings } from '../operator-config.ts';
import { needsApply } from '../render/applied-digest.ts';
import { type RepoCounters, ZERO_COUNTERS } from '../rollout/gateway-metrics.ts';
import { PROMOTED_COMPONENT, readPromoted } from '../rollout/rollout-pipeline.ts';
import { countersSince } from '../rollout/track-totals.ts';
import type { DesiredNamespace, ObservedFleet } from './desired-namespace.ts';
import { lostOwnership } from './field-ownership.ts';
import { DEPLOYMENTS, routeResource } from './fleet-resources.ts';
import type { Caches, ReconcileDeps } from './reconcile-namespace.ts';
import { CONFIG_MAPS } from './resources.ts';

/** What the fleet part of the operator needs besides the common reconcile dependencies. */
export interface FleetOptions {
  readonly settings: FleetSettings;
  readonly routes: RouteSettings;
  /** Milliseconds since the epoch; injected so the canary grace period is testable. */
  readonly clockMs: () => number;
  /**
   * Idle-since times this process decided, by namespace, until the canary Deployment's
   * annotation shows them: a reconcile that runs before the cache caught up keeps the same
   * time instead of writing a later one.
   */
  readonly idleSince: Map<string, string>;
  /** Namespaces with a rollout under analysis, so the observer reads their pods' metrics too. */
  readonly analysing: Set<string>;
  /** The gateway pods' last reports; absent where nothing observes them (tests of the reconcile alone). */
  observer?: Pick<FleetObserver, 'pods' | 'totals'>;
  /**
   * Each rollout step's baseline (the observer's totals when its window began), by
   * namespace/repo. In memory on purpose: the totals are this process's own, so after a
   * restart the window begins again from new totals.
   */
  readonly baselines: Map<string, RolloutBaseline>;
}

export interface RolloutBaseline {
  /** target|step|stepStartedAt: a new step (or a new change) takes a new baseline. */
  readonly key: string;
  readonly canary: RepoCounters;
  readonly stable: RepoCounters;
}

/** The fleet state the desired state depends on, as the caches show it. */
export function observeFleet(caches: Caches, namespace: string, fleet: FleetOptions): ObservedFleet {
  const deployment = (track: 'stable' | 'canary') =>
    caches.get(DEPLOYMENTS, namespace, GATEWAY_NAMES[track].workload);
  const status = (object: KubeObject | undefined) =>
    object?.status as { availableReplicas?: number; readyReplicas?: number } | undefined;
  const canary = deployment('canary');
  const stable = deployment('stable');
  const routeRef = routeResource(fleet.routes.provider);
  const image = (object: KubeObject | undefined) =>
    (object?.spec as { template?: { spec?: { containers?: Array<{ image?: string }> } } } | undefined)
      ?.template?.spec?.containers?.[0]?.image;
  // The Deployment controller finished rolling a track to its current template: every pod runs its image.
  const rolled = (object: KubeObject | undefined) => {
    const rollout = object?.status as
      | {
          observedGeneration?: number;
          replicas?: number;
          updatedReplicas?: number;
          availableReplicas?: number;
        }
      | undefined;
    const wanted = (object?.spec as { replicas?: number } | undefined)?.replicas;
    return (
      object !== undefined &&
      (rollout?.observedGeneration ?? 0) >= (object.metadata.generation ?? 0) &&
      rollout?.updatedReplicas === rollout?.replicas &&
      rollout?.availableReplicas === rollout?.replicas &&
      (wanted === undefined || rollout?.replicas === wanted)
    );
  };
  return {
    deployments: { ...(stable ? { stable } : {}), ...(canary ? { canary } : {}) },
    stableImage: image(stable),
    canaryImage: image(canary),
    stableRolled: rolled(stable),
    canaryRolled: rolled(canary),
    canaryDeployed: canary !== undefined && canary.metadata.deletionTimestamp === undefined,
    canaryIdleSince:
      canary?.metadata.annotations?.[ANNOTATIONS.canaryIdleSince] ?? fleet.idleSince.get(namespace),
    canaryAvailableReplicas: status(canary)?.availableReplicas ?? 0,
    readyReplicas: {
      stable: status(stable)?.readyReplicas ?? 0,
      canary: status(canary)?.readyReplicas ?? 0,
    },
    routes: new Map(
      (routeRef ? caches.list(routeRef, namespace) : []).map((route) => [route.metadata.name, route]),
    ),
    ...(fleet.observer
      ? { pods: fleet.observer.pods(namespace), requestsByRepo: requestsByRepo(fleet, namespace) }
      : {}),
    promoted: new Map(
      caches
        .list(CONFIG_MAPS, namespace)
        .filter((object) => object.metadata.labels?.[LABELS.component] === PROMOTED_COMPONENT)
        .flatMap((object) => {
          const repo = object.metadata.labels?.[LABELS.repo];
          const pipeline = readPromoted(object);
          return repo !== undefined && pipeline !== undefined ? [[repo, pipeline] as const] : [];
        }),
    ),
  };
}

/** Requests each repo received on both tracks, as the observer's totals have it (under analysis only). */
function requestsByRepo(fleet: FleetOptions, namespace: string): Map<string, number> | undefined {
  if (!fleet.observer) return undefined;
  const out = new Map<string, number>();
  for (const track of ['stable', 'canary'] as const) {
    for (const [repo, counters] of fleet.observer.totals(namespace, track).totals) {
      out.set(repo, (out.get(repo) ?? 0) + counters.requests);
    }
  }
  return out.size === 0 ? undefined : out;
}

/**
 * The counters of each rollout's step window on both tracks: the observer's totals now, less
 * those when the window began. The first sight of a window (a new step, a new change, a
 * restarted operator) takes the baseline and has nothing to compare yet. Baselines of
 * windows no longer running are dropped, so the map holds at most one per rollout.
 */
export function rolloutWindows(
  namespace: string,
  rollouts: ReadonlyArray<{ readonly repo: string; readonly status: RolloutStatus | undefined }>,
  fleet: FleetOptions,
): Map<string, { canary: RepoCounters; stable: RepoCounters }> {
  const out = new Map<string, { canary: RepoCounters; stable: RepoCounters }>();
  const live = new Set<string>();
  for (const { repo, status } of rollouts) {
    if (!fleet.observer || status?.state !== 'Progressing' || status.stepStartedAt === undefined) continue;
    const id = `${namespace}/${repo}`;
    live.add(id);
    const key = `${status.target}|${status.step}|${status.stepStartedAt}`;
    const now = {
      canary: fleet.observer.totals(namespace, 'canary').totals.get(repo) ?? ZERO_COUNTERS,
      stable: fleet.observer.totals(namespace, 'stable').totals.get(repo) ?? ZERO_COUNTERS,
    };
    const baseline = fleet.baselines.get(id);
    const canary = baseline?.key === key ? countersSince(now.canary, baseline.canary) : undefined;
    const stable = baseline?.key === key ? countersSince(now.stable, baseline.stable) : undefined;
    if (canary === undefined || stable === undefined) {
      fleet.baselines.set(id, { key, ...now });
      continue;
    }
    out.set(repo, { canary, stable });
  }
  for (const id of [...fleet.baselines.keys()]) {
    if (id.startsWith(`${namespace}/`) && !live.has(id)) fleet.baselines.delete(id);
  }
  return out;
}

export interface AppliedNamespace {
  /** The stable ConfigMap was applied or deleted. */
  readonly configMapWritten: boolean;
  /** Other objects (canary ConfigMap, workloads, upstreams, routes) applied or deleted. */
  readonly fleetWrites: number;
}

/**
 * Makes the namespace's objects what `desired` says, in its order: applies its objects
 * (configs, workloads, routes), prunes the kinds it names of what it does not keep, then
 * removes what it lists. Creation goes before routing and routing before removal, so no
 * route ever points at a track that is not there. Every object is applied only when it moved
 * (a ConfigMap's text, another object's desired digest) or another field manager took a field
 * of it: an unchanged world writes nothing. Throws on API errors so the caller retries.
 */
export async function applyDesired(
  namespace: string,
  desired: DesiredNamespace,
  deps: Pick<ReconcileDeps, 'client' | 'caches' | 'logger' | 'signal'>,
): Promise<AppliedNamespace> {
  const { client, caches, logger } = deps;
  const call = { signal: deps.signal };
  let configMapWritten = false;
  let fleetWrites = 0;
  const count = (ref: ResourceRef, name: string) => {
    if (ref === CONFIG_MAPS && name === GATEWAY_CONFIG_MAP) configMapWritten = true;
    else fleetWrites += 1;
  };

  for (const { ref, object } of desired.objects) {
    deps.signal?.throwIfAborted();
    const stored = caches.get(ref, namespace, object.metadata.name);
    // The content says whether the desired object moved; ownership, whether another manager moved ours.
    const drifted =
      stored !== undefined &&
      stored.metadata.deletionTimestamp === undefined &&
      lostOwnership(object, stored, FIELD_MANAGER);
    if (!drifted && !moved(ref, object, stored)) continue;
    await client.apply(ref, object, FIELD_MANAGER, call);
    count(ref, object.metadata.name);
    if (ref === CONFIG_MAPS) {
      const revision = object.metadata.annotations?.[ANNOTATIONS.revision];
      logger.info({ revision, configMap: object.metadata.name }, 'gateway config applied');
    }
  }
  if (desired.stable?.tooLarge) {
    logger.warn({ bytes: desired.stable.sizeBytes }, 'gateway config too large for a ConfigMap');
  }
  if (desired.canary?.tooLarge) {
    logger.warn({ bytes: desired.canary.sizeBytes }, 'canary gateway config too large for a ConfigMap');
  }

  const doomed = [
    ...desired.prune.flatMap(({ ref, keep }) =>
      caches
        .list(ref, namespace)
        .filter((stored) => !keep.has(stored.metadata.name))
        .map((stored) => ({ ref, name: stored.metadata.name })),
    ),
    ...desired.remove,
  ];
  const before = fleetWrites;
  for (const { ref, name } of doomed) {
    deps.signal?.throwIfAborted();
    if (await deleteOwned(deps, ref, namespace, name)) count(ref, name);
  }
  if (fleetWrites > before) logger.info({ deleted: fleetWrites - before }, 'fleet objects removed');
  if (configMapWritten && desired.stable === undefined)
    logger.info('no LogRepos left: gateway config removed');
  return { configMapWritten, fleetWrites };
}

/**
 * Whether a desired object differs from the stored one. A ConfigMap by its data (the
 * apiserver stores ConfigMap data as written, so the text says it all); anything else by its
 * applied digest, since the apiserver adds defaults to what it stores.
 */
function moved(ref: ResourceRef, desired: KubeObject, stored: KubeObject | undefined): boolean {
  if (ref === CONFIG_MAPS) {
    // Every key: the gateway configs hold one, a rollout's promoted pipeline another.
    return stored === undefined || canonicalJson(stored.data ?? {}) !== canonicalJson(desired.data ?? {});
  }
  return needsApply(desired, stored);
}

/**
 * Deletes an object this operator manages, as the caches show it: nothing when it is absent,
 * already being deleted, or lacks the managed-by label. True when it sent a delete.
 */
export async function deleteOwned(
  deps: Pick<ReconcileDeps, 'client' | 'caches' | 'signal'>,
  ref: ResourceRef,
  namespace: string,
  name: string,
): Promise<boolean> {
  const stored = deps.caches.get(ref, namespace, name);
  if (stored === undefined || stored.metadata.deletionTimestamp !== undefined) return false;
  if (stored.metadata.labels?.[LABELS.managedBy] !== MANAGED_BY) return false;
  await deps.client.delete(ref, namespace, name, { signal: deps.signal });
  return true;
}
