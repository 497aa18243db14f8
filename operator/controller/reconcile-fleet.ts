import {
  ANNOTATIONS,
  CONDITION,
  FIELD_MANAGER,
  GATEWAY_CANARY_CONFIG_MAP,
  GATEWAY_NAMES,
  LABELS,
  MANAGED_BY,
  REASON,
  type Reason,
} from '../api/constants.ts';
import { isDnsLabel } from '../api/dns-label.ts';
import type { KafkaProducerSpec } from '../api/kafka-producer-spec.ts';
import type { LogRepoSpec } from '../api/log-repo-spec.ts';
import type { KubeObject, ResourceRef } from '../kube/kube-client.ts';
import type { FleetSettings, RouteSettings } from '../operator-config.ts';
import { needsApply } from '../render/applied-digest.ts';
import {
  fleetRenderOptions,
  type RenderedConfig,
  renderGatewayConfig,
  type SpecObject,
  type Track,
} from '../render/render-gateway-config.ts';
import { fleetSecretNames, renderGatewayTrack } from '../render/render-gateway-track.ts';
import { type RouteWeights, renderPrefixRoute, renderRepoRoute } from '../render/render-routes.ts';
import type { DesiredCondition } from '../status/conditions.ts';
import { routeAcceptedCondition } from '../status/route-acceptance.ts';
import { type CanaryPhase, canaryPhase } from './canary-phase.ts';
import { lostOwnership } from './field-ownership.ts';
import {
  DEPLOYMENTS,
  POD_DISRUPTION_BUDGETS,
  routeResource,
  SERVICES,
  upstreamResource,
} from './fleet-resources.ts';
import { applyConfigMap } from './gateway-config-map.ts';
import type { ReconcileDeps } from './reconcile-namespace.ts';
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
}

/** The fleet fields of one LogRepo's status, plus the fleet's conditions (Canary, BackendTLS, RouteAccepted). */
export interface RepoFleetStatus {
  readonly route?: { readonly kind: string; readonly name: string };
  readonly weights: RouteWeights;
  readonly tracks: Partial<Record<Track, { readonly replicas: number; readonly readyReplicas: number }>>;
  readonly conditions: readonly DesiredCondition[];
}

export interface FleetResult {
  readonly writes: number;
  readonly canary: CanaryPhase['state'];
  /** Reconcile again after this long (the rest of the canary grace period). */
  readonly requeueAfterMs?: number;
  readonly repos: ReadonlyMap<string, RepoFleetStatus>;
}

const WORKLOAD_KINDS: ReadonlyArray<
  readonly [ResourceRef, 'deployment' | 'service' | 'podDisruptionBudget']
> = [
  [DEPLOYMENTS, 'deployment'],
  [SERVICES, 'service'],
  [POD_DISRUPTION_BUDGETS, 'podDisruptionBudget'],
];

/**
 * The canary share a repo's route applies: its weight while the canary track runs, its config
 * serves the repo and it has an available pod. Raising a weight on a cold canary track would
 * otherwise send that share to a Service with no endpoints, which every proxy answers with
 * 5xx until the pods are up; so the share waits on stable until one is available.
 */
export function effectiveWeights(
  specWeight: number,
  phase: CanaryPhase['state'],
  canaryServes: boolean,
  canaryAvailable: boolean,
): RouteWeights {
  const canary = phase === 'active' && canaryServes && canaryAvailable ? specWeight : 0;
  return { stable: 100 - canary, canary };
}

/** At least one pod of the Deployment is available (ready for minReadySeconds), as its status says. */
export function hasAvailablePod(deployment: KubeObject | undefined): boolean {
  const status = deployment?.status as { availableReplicas?: number } | undefined;
  return (status?.availableReplicas ?? 0) > 0;
}

/**
 * Reconciles the gateway fleet of a namespace that has LogRepos, after its stable ConfigMap:
 * the canary ConfigMap (rendered with the repos' canary overrides) while a canary track
 * exists, a Deployment, Service and PodDisruptionBudget per track (with listener TLS and
 * APISIX also an ApisixUpstream per Service), a route per LogRepo and the prefix route; then
 * removes what is no longer wanted (routes of deleted repos, upstreams of removed tracks or
 * once TLS is off, the canary track once its grace period is over). Creation goes before
 * routing and routing before removal, so no route ever points at a track that is not there.
 * Every object is applied only when its desired digest moved: an unchanged world writes
 * nothing.
 */
export async function reconcileFleet(
  namespace: string,
  input: { readonly repos: readonly KubeObject[]; readonly producers: readonly KubeObject[] },
  deps: ReconcileDeps,
  fleet: FleetOptions,
): Promise<FleetResult> {
  const { client, caches, logger } = deps;
  let writes = 0;
  const apply = async (ref: ResourceRef, desired: KubeObject) => {
    const stored = caches.get(ref, namespace, desired.metadata.name);
    // The digest says whether the desired object moved; ownership, whether another manager moved ours.
    const drifted =
      stored !== undefined &&
      stored.metadata.deletionTimestamp === undefined &&
      lostOwnership(desired, stored, FIELD_MANAGER);
    if (!needsApply(desired, stored) && !drifted) return;
    await client.apply(ref, desired, FIELD_MANAGER);
    writes += 1;
  };
  const remove = async (ref: ResourceRef, name: string) => {
    if (await deleteOwned(deps, ref, namespace, name)) writes += 1;
  };

  const repoSpecs = input.repos as unknown as SpecObject<LogRepoSpec>[];
  const producerSpecs = input.producers as unknown as SpecObject<KafkaProducerSpec>[];
  const canaryDeployment = caches.get(DEPLOYMENTS, namespace, GATEWAY_NAMES.canary.workload);
  const phase = canaryPhase({
    wanted: repoSpecs.some((repo) => (repo.spec.canary?.weight ?? 0) > 0),
    deployed: canaryDeployment !== undefined && canaryDeployment.metadata.deletionTimestamp === undefined,
    idleSince:
      canaryDeployment?.metadata.annotations?.[ANNOTATIONS.canaryIdleSince] ?? fleet.idleSince.get(namespace),
    nowMs: fleet.clockMs(),
    graceMs: fleet.settings.canaryGraceSeconds * 1000,
  });
  if (phase.state === 'draining') fleet.idleSince.set(namespace, phase.idleSince);
  else fleet.idleSince.delete(namespace);
  const tracks: Track[] = phase.state === 'absent' ? ['stable'] : ['stable', 'canary'];

  // 1. The canary track's config, before pods that mount it.
  let canary: RenderedConfig | undefined;
  if (phase.state !== 'absent') {
    canary = renderGatewayConfig(producerSpecs, repoSpecs, 'canary', fleetRenderOptions(fleet.settings));
    if (canary.tooLarge) {
      logger.warn({ bytes: canary.sizeBytes }, 'canary gateway config too large for a ConfigMap');
    } else if (await applyConfigMap(namespace, 'canary', canary, deps)) {
      writes += 1;
      logger.info({ revision: canary.revision }, 'canary gateway config applied');
    }
  }

  // 2. Workloads of every track that should run; with listener TLS and APISIX, the upstream
  // that makes APISIX speak HTTPS to the track's Service (before any route points there).
  const secrets = fleetSecretNames(producerSpecs, repoSpecs, fleet.settings);
  const upstreamRef = upstreamResource(fleet.routes.provider);
  const wantedUpstreams = new Set<string>();
  for (const track of tracks) {
    const { workload, upstream } = renderGatewayTrack({
      namespace,
      track,
      fleet: fleet.settings,
      routes: fleet.routes,
      secrets,
      ...(track === 'canary' && phase.state === 'draining' ? { idleSince: phase.idleSince } : {}),
    });
    for (const [ref, key] of WORKLOAD_KINDS) await apply(ref, workload[key]);
    if (upstream && upstreamRef) {
      wantedUpstreams.add(upstream.metadata.name);
      await apply(upstreamRef, upstream);
    }
  }
  const backendTls =
    fleet.settings.listenerTls !== undefined && fleet.routes.provider === 'gateway-api'
      ? backendTlsCondition
      : undefined;

  // 3. Routes: one per repo with the effective weights, and the prefix route.
  const routeRef = routeResource(fleet.routes.provider);
  const repoStatus = new Map<string, RepoFleetStatus>();
  const wantedRoutes = new Set<string>();
  const canaryAvailable = hasAvailablePod(canaryDeployment);
  const trackStatus = trackStatuses(tracks, fleet.settings, (name) =>
    caches.get(DEPLOYMENTS, namespace, name),
  );
  for (const repo of input.repos) {
    const name = repo.metadata.name;
    if (!isDnsLabel(name)) continue;
    const spec = repo.spec as LogRepoSpec;
    const specWeight = spec.canary?.weight ?? 0;
    const canaryVerdict = canary?.repos.get(name);
    const canaryServes = canary !== undefined && !canary.tooLarge && canaryVerdict?.included === true;
    const weights = effectiveWeights(specWeight, phase.state, canaryServes, canaryAvailable);
    const route = renderRepoRoute({
      namespace,
      repo: { name, ...(repo.metadata.uid === undefined ? {} : { uid: repo.metadata.uid }) },
      weights,
      settings: fleet.routes,
    });
    if (route && routeRef) {
      wantedRoutes.add(route.metadata.name);
      await apply(routeRef, route);
    }
    repoStatus.set(name, {
      ...(route ? { route: { kind: route.kind, name: route.metadata.name } } : {}),
      weights,
      tracks: trackStatus,
      conditions: [
        ...(specWeight > 0
          ? [
              canaryCondition(
                repo,
                specWeight,
                weights,
                canary,
                canaryServes && !canaryAvailable ? REASON.canaryNotAvailable : canaryVerdict?.reason,
                canaryServes && !canaryAvailable
                  ? 'it has no available pod yet; the share moves once one is'
                  : canaryVerdict?.message,
              ),
            ]
          : []),
        ...(backendTls ? [backendTls(repo)] : []),
        // What the Gateway controllers said of the route: read back from its status.parents.
        ...(fleet.routes.provider === 'gateway-api' && route && routeRef
          ? [
              routeAcceptedCondition(
                caches.get(routeRef, namespace, route.metadata.name),
                fleet.routes.parentRefs,
                repo.metadata.generation ?? 0,
              ),
            ]
          : []),
      ],
    });
  }
  const prefix = renderPrefixRoute(namespace, fleet.routes);
  if (prefix && routeRef) {
    wantedRoutes.add(prefix.metadata.name);
    await apply(routeRef, prefix);
  }

  // 4. Removal: routes no repo wants, upstreams no running track with TLS wants, then the
  // canary track once its grace period is over.
  if (routeRef) {
    for (const stored of caches.list(routeRef, namespace)) {
      if (!wantedRoutes.has(stored.metadata.name)) await remove(routeRef, stored.metadata.name);
    }
  }
  if (upstreamRef) {
    for (const stored of caches.list(upstreamRef, namespace)) {
      if (!wantedUpstreams.has(stored.metadata.name)) await remove(upstreamRef, stored.metadata.name);
    }
  }
  if (phase.state === 'absent') {
    const removedBefore = writes;
    for (const [ref] of WORKLOAD_KINDS) await remove(ref, GATEWAY_NAMES.canary.workload);
    await remove(CONFIG_MAPS, GATEWAY_CANARY_CONFIG_MAP);
    if (writes > removedBefore) logger.info('canary track removed');
  }

  return {
    writes,
    canary: phase.state,
    ...(phase.state === 'draining' ? { requeueAfterMs: phase.remainingMs } : {}),
    repos: repoStatus,
  };
}

/**
 * Removes every fleet object of a namespace that has no LogRepo left: routes, upstreams,
 * workloads of both tracks and the canary ConfigMap (the stable ConfigMap is the caller's).
 * Only objects in the caches are touched, and the caches hold only what carries the
 * managed-by label.
 */
export async function removeFleet(
  namespace: string,
  deps: ReconcileDeps,
  fleet: FleetOptions,
): Promise<number> {
  const { caches } = deps;
  const listed = (ref: ResourceRef | undefined) =>
    ref ? caches.list(ref, namespace).map((o): [ResourceRef, string] => [ref, o.metadata.name]) : [];
  const doomed: Array<[ResourceRef, string]> = [
    ...listed(routeResource(fleet.routes.provider)),
    ...listed(upstreamResource(fleet.routes.provider)),
    ...(['canary', 'stable'] as const).flatMap((track) =>
      WORKLOAD_KINDS.map(([ref]): [ResourceRef, string] => [ref, GATEWAY_NAMES[track].workload]),
    ),
    [CONFIG_MAPS, GATEWAY_CANARY_CONFIG_MAP],
  ];
  let writes = 0;
  for (const [ref, name] of doomed) if (await deleteOwned(deps, ref, namespace, name)) writes += 1;
  if (writes > 0) deps.logger.info('no LogRepos left: gateway fleet removed');
  return writes;
}

/**
 * Deletes an object this operator manages, as the caches show it: nothing when it is absent,
 * already being deleted, or lacks the managed-by label. True when it sent a delete.
 */
export async function deleteOwned(
  deps: Pick<ReconcileDeps, 'client' | 'caches'>,
  ref: ResourceRef,
  namespace: string,
  name: string,
): Promise<boolean> {
  const stored = deps.caches.get(ref, namespace, name);
  if (stored === undefined || stored.metadata.deletionTimestamp !== undefined) return false;
  if (stored.metadata.labels?.[LABELS.managedBy] !== MANAGED_BY) return false;
  await deps.client.delete(ref, namespace, name);
  return true;
}

function trackStatuses(
  tracks: readonly Track[],
  settings: FleetSettings,
  deployment: (name: string) => KubeObject | undefined,
): RepoFleetStatus['tracks'] {
  const out: Partial<Record<Track, { replicas: number; readyReplicas: number }>> = {};
  for (const track of tracks) {
    const status = deployment(GATEWAY_NAMES[track].workload)?.status as
      | { readyReplicas?: number }
      | undefined;
    out[track] = { replicas: settings[track].replicas, readyReplicas: status?.readyReplicas ?? 0 };
  }
  return out;
}

/**
 * With Gateway API routes and listener TLS: the Gateway reaches the gateway Services over
 * HTTPS only through a BackendTLSPolicy attached to them, which the operator does not write
 * (and cannot see), so the repo says so. Unknown: it may well be there.
 */
function backendTlsCondition(repo: KubeObject): DesiredCondition {
  return {
    type: CONDITION.backendTls,
    status: 'Unknown',
    reason: REASON.backendTlsPolicyRequired,
    message: `the gateways serve HTTPS: the Gateway reaches them over TLS only through a BackendTLSPolicy (gateway.networking.k8s.io) targeting Services ${GATEWAY_NAMES.stable.workload} and ${GATEWAY_NAMES.canary.workload}, which the operator does not write (see docs/operator.md, Listener TLS)`,
    observedGeneration: repo.metadata.generation ?? 0,
  };
}

function canaryCondition(
  repo: KubeObject,
  specWeight: number,
  weights: RouteWeights,
  canary: RenderedConfig | undefined,
  reason: Reason | undefined,
  message: string | undefined,
): DesiredCondition {
  const observedGeneration = repo.metadata.generation ?? 0;
  if (weights.canary > 0) {
    return {
      type: CONDITION.canary,
      status: 'True',
      reason: REASON.routed,
      message: `${weights.canary}% of requests go to the canary track`,
      observedGeneration,
    };
  }
  if (canary?.tooLarge) {
    return {
      type: CONDITION.canary,
      status: 'False',
      reason: REASON.configTooLarge,
      message: `the canary gateway config is ${canary.sizeBytes} bytes, more than a ConfigMap holds; ${specWeight}% stays on stable`,
      observedGeneration,
    };
  }
  return {
    type: CONDITION.canary,
    status: 'False',
    reason: reason ?? REASON.reconciling,
    message: `the canary track does not serve this repo (${message ?? 'not rendered yet'}); ${specWeight}% stays on stable`,
    observedGeneration,
  };
}
