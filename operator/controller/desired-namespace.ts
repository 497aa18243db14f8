import {
  CONDITION,
  GATEWAY_CANARY_CONFIG_MAP,
  GATEWAY_CONFIG_MAP,
  GATEWAY_NAMES,
  REASON,
  type Reason,
} from '../api/constants.ts';
import { isDnsLabel } from '../api/dns-label.ts';
import type { KafkaProducerSpec } from '../api/kafka-producer-spec.ts';
import type { LogRepoSpec } from '../api/log-repo-spec.ts';
import type { KubeObject, ResourceRef } from '../kube/kube-client.ts';
import type { FleetSettings, RouteSettings } from '../operator-config.ts';
import {
  byName,
  fleetRenderOptions,
  type RenderedConfig,
  renderGatewayConfig,
  type SpecObject,
  type Track,
  type Verdict,
} from '../render/render-gateway-config.ts';
import { fleetSecretNames, renderGatewayTrack } from '../render/render-gateway-track.ts';
import { type RouteWeights, renderPrefixRoute, renderRepoRoute } from '../render/render-routes.ts';
import { type DesiredCondition, mergeConditions } from '../status/conditions.ts';
import { desiredStatus, type ResourceStatus } from '../status/resource-status.ts';
import { routeAcceptedCondition } from '../status/route-acceptance.ts';
import { type CanaryPhase, canaryPhase } from './canary-phase.ts';
import {
  DEPLOYMENTS,
  POD_DISRUPTION_BUDGETS,
  routeResource,
  SERVICES,
  upstreamResource,
} from './fleet-resources.ts';
import { desiredConfigMap } from './gateway-config-map.ts';
import { CONFIG_MAPS } from './resources.ts';

/** A LogRepo as the desired state needs it: a cached object or a document read from a file. */
export type RepoInput = SpecObject<LogRepoSpec> & {
  readonly metadata: { readonly name: string; readonly uid?: string; readonly generation?: number };
};
export type ProducerInput = SpecObject<KafkaProducerSpec>;

/**
 * The part of the fleet's stored state the desired state depends on, read from the caches by
 * the reconcile (or assumed by `sluice render`, which has no cluster).
 */
export interface ObservedFleet {
  /** The canary Deployment exists and is not being deleted. */
  readonly canaryDeployed: boolean;
  /** When the canary track went idle: its annotation, else what this process decided before. */
  readonly canaryIdleSince?: string | undefined;
  /** Available pods of the canary Deployment (ready for minReadySeconds). */
  readonly canaryAvailableReplicas: number;
  /** Ready pods of each track's Deployment, for the repos' status. */
  readonly readyReplicas: Partial<Record<Track, number>>;
  /** The stored routes by name; their status says whether the Gateway accepted them. */
  readonly routes: ReadonlyMap<string, KubeObject>;
}

export interface DesiredNamespaceInputs {
  readonly namespace: string;
  /** The namespace's LogRepos and KafkaProducers that are not being deleted. */
  readonly repos: readonly RepoInput[];
  readonly producers: readonly ProducerInput[];
  /** The gateway fleet and routes; without it the desired state is the ConfigMap and statuses. */
  readonly fleet?: { readonly settings: FleetSettings; readonly routes: RouteSettings } | undefined;
  readonly observed?: ObservedFleet | undefined;
  /** Milliseconds since the epoch, for the canary grace period. */
  readonly nowMs: number;
  /** RFC 3339 time for condition transitions. */
  readonly now: () => string;
  /**
   * The status an object has now (what transition times are kept against); by kind and name.
   * Without it every status is computed as if written for the first time.
   */
  readonly currentStatus?: (kind: 'LogRepo' | 'KafkaProducer', name: string) => ResourceStatus | undefined;
}

/** An object to apply, with the kind it is of. */
export interface DesiredObject {
  readonly ref: ResourceRef;
  readonly object: KubeObject;
}

/** The fleet fields of one LogRepo's status, plus the fleet's conditions (Canary, BackendTLS, RouteAccepted). */
export interface RepoFleetStatus {
  readonly route?: { readonly kind: string; readonly name: string };
  readonly weights: RouteWeights;
  readonly tracks: Partial<Record<Track, { readonly replicas: number; readonly readyReplicas: number }>>;
  readonly conditions: readonly DesiredCondition[];
}

export interface DesiredNamespace {
  /** The stable config; undefined for a namespace without LogRepos (the operator renders nothing there). */
  readonly stable?: RenderedConfig;
  /** The canary config, while a canary track runs. */
  readonly canary?: RenderedConfig;
  /** The stable config's verdict on every object when it is too large for a ConfigMap. */
  readonly tooLarge?: Verdict;
  readonly phase: CanaryPhase;
  /**
   * What to apply, in the order that keeps traffic safe: configs, then workloads (and the
   * upstreams that point at them), then routes. A config too large for a ConfigMap is left
   * out, so the last one that fit keeps serving.
   */
  readonly objects: readonly DesiredObject[];
  /** After applying: in each of these kinds, stored objects not named here are deleted. */
  readonly prune: ReadonlyArray<{ readonly ref: ResourceRef; readonly keep: ReadonlySet<string> }>;
  /** After pruning: objects to delete by name, in order (a canary track past its grace period, a fleet without repos). */
  readonly remove: ReadonlyArray<{ readonly ref: ResourceRef; readonly name: string }>;
  /** The status each LogRepo and KafkaProducer should have, by name; objects without a verdict are absent. */
  readonly statuses: {
    readonly repos: ReadonlyMap<string, ResourceStatus>;
    readonly producers: ReadonlyMap<string, ResourceStatus>;
  };
  /** The fleet part of each repo's status (also inside `statuses`); with a fleet only. */
  readonly repoFleet: ReadonlyMap<string, RepoFleetStatus>;
  /** Reconcile again after this long (the rest of the canary grace period). */
  readonly requeueAfterMs?: number;
}

const WORKLOAD_REFS = [DEPLOYMENTS, SERVICES, POD_DISRUPTION_BUDGETS] as const;

const workloadsOf = (track: Track) =>
  WORKLOAD_REFS.map((ref) => ({ ref, name: GATEWAY_NAMES[track].workload }));

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

/**
 * A namespace's desired state: every object the operator should hold there, what it should
 * remove, and the status of each LogRepo and KafkaProducer. The reconcile applies and prunes
 * what this returns; `sluice render` prints its objects. Pure and deterministic: the cluster
 * comes in as `observed`, the clock as `nowMs` and `now`.
 */
export function desiredNamespace(inputs: DesiredNamespaceInputs): DesiredNamespace {
  const { namespace, fleet, now } = inputs;
  const repos = [...inputs.repos].sort(byName);
  const producers = [...inputs.producers].sort(byName);
  const current = inputs.currentStatus ?? (() => undefined);
  const observed = inputs.observed ?? NOTHING_OBSERVED;
  const routeRef = fleet && routeResource(fleet.routes.provider);
  const upstreamRef = fleet && upstreamResource(fleet.routes.provider);
  const providerPrune = [routeRef, upstreamRef]
    .filter((ref): ref is ResourceRef => ref !== undefined)
    .map((ref) => ({ ref, keep: new Set<string>() }));

  if (repos.length === 0) {
    // The fleet goes first (routes, then workloads), then the config its pods mounted.
    const producerVerdict: Verdict = {
      included: false,
      reason: REASON.applied,
      message: 'valid; no LogRepo uses it yet',
    };
    return {
      phase: { state: 'absent' },
      objects: [],
      prune: providerPrune,
      remove: [
        ...(fleet
          ? [
              ...workloadsOf('canary'),
              ...workloadsOf('stable'),
              { ref: CONFIG_MAPS, name: GATEWAY_CANARY_CONFIG_MAP },
            ]
          : []),
        { ref: CONFIG_MAPS, name: GATEWAY_CONFIG_MAP },
      ],
      statuses: {
        repos: new Map(),
        producers: statusesOf(producers, 'KafkaProducer', () => producerVerdict, '', current, now),
      },
      repoFleet: new Map(),
    };
  }

  const stable = renderGatewayConfig(producers, repos, 'stable', fleetRenderOptions(fleet?.settings));
  // Too large: keep serving the last config that fit, and say on every object why nothing changes.
  const tooLarge: Verdict | undefined = stable.tooLarge
    ? {
        included: false,
        reason: REASON.configTooLarge,
        message: `the rendered gateway config is ${stable.sizeBytes} bytes, more than a ConfigMap holds; remove or simplify LogRepos in this namespace`,
      }
    : undefined;
  const objects: DesiredObject[] = [];
  if (!tooLarge) objects.push({ ref: CONFIG_MAPS, object: desiredConfigMap(namespace, 'stable', stable) });
  const fleetPart = fleet
    ? desiredFleet(namespace, repos, producers, fleet, observed, inputs.nowMs, objects)
    : undefined;

  // Every object's verdict is the config's, or, when it is too large, why nothing changes.
  const statuses = (
    kind: 'LogRepo' | 'KafkaProducer',
    objects: readonly SpecObject<unknown>[],
    verdicts: ReadonlyMap<string, Verdict>,
    decorate?: Decorate,
  ) =>
    statusesOf(
      objects,
      kind,
      (name) => tooLarge ?? verdicts.get(name),
      stable.revision,
      current,
      now,
      decorate,
    );
  const repoStatuses = statuses(
    'LogRepo',
    repos,
    stable.repos,
    fleetPart && ((name, status, was) => withFleetStatus(status, was, fleetPart.repos.get(name), now)),
  );
  const producerStatuses = statuses('KafkaProducer', producers, stable.producers);
  return {
    stable,
    ...(fleetPart?.canary ? { canary: fleetPart.canary } : {}),
    ...(tooLarge ? { tooLarge } : {}),
    phase: fleetPart?.phase ?? { state: 'absent' },
    objects,
    prune: fleetPart?.prune ?? [],
    remove: fleetPart?.remove ?? [],
    statuses: { repos: repoStatuses, producers: producerStatuses },
    repoFleet: fleetPart?.repos ?? new Map(),
    ...(fleetPart?.phase.state === 'draining' ? { requeueAfterMs: fleetPart.phase.remainingMs } : {}),
  };
}

const NOTHING_OBSERVED: ObservedFleet = {
  canaryDeployed: false,
  canaryAvailableReplicas: 0,
  readyReplicas: {},
  routes: new Map(),
};

/**
 * The fleet of a namespace with LogRepos: the canary ConfigMap (rendered with the repos'
 * canary overrides) while a canary track exists, a Deployment, Service and
 * PodDisruptionBudget per track (with listener TLS and APISIX also an ApisixUpstream per
 * Service), a route per LogRepo and the prefix route, appended to `objects` in that order;
 * what to prune (routes of deleted repos, upstreams of removed tracks or once TLS is off) and
 * the canary track to remove once its grace period is over.
 */
function desiredFleet(
  namespace: string,
  repos: readonly RepoInput[],
  producers: readonly ProducerInput[],
  fleet: NonNullable<DesiredNamespaceInputs['fleet']>,
  observed: ObservedFleet,
  nowMs: number,
  objects: DesiredObject[],
) {
  const phase = canaryPhase({
    wanted: repos.some((repo) => (repo.spec.canary?.weight ?? 0) > 0),
    deployed: observed.canaryDeployed,
    idleSince: observed.canaryIdleSince,
    nowMs,
    graceMs: fleet.settings.canaryGraceSeconds * 1000,
  });
  const tracks: Track[] = phase.state === 'absent' ? ['stable'] : ['stable', 'canary'];

  // 1. The canary track's config, before pods that mount it.
  const canary =
    phase.state === 'absent'
      ? undefined
      : renderGatewayConfig(producers, repos, 'canary', fleetRenderOptions(fleet.settings));
  if (canary && !canary.tooLarge) {
    objects.push({ ref: CONFIG_MAPS, object: desiredConfigMap(namespace, 'canary', canary) });
  }

  // 2. Workloads of every track that should run; with listener TLS and APISIX, the upstream
  // that makes APISIX speak HTTPS to the track's Service (before any route points there).
  const secrets = fleetSecretNames(producers, repos, fleet.settings);
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
    objects.push(
      { ref: DEPLOYMENTS, object: workload.deployment },
      { ref: SERVICES, object: workload.service },
      { ref: POD_DISRUPTION_BUDGETS, object: workload.podDisruptionBudget },
    );
    if (upstream && upstreamRef) {
      wantedUpstreams.add(upstream.metadata.name);
      objects.push({ ref: upstreamRef, object: upstream });
    }
  }
  const backendTls = fleet.settings.listenerTls !== undefined && fleet.routes.provider === 'gateway-api';

  // 3. Routes: one per repo with the effective weights, and the prefix route.
  const routeRef = routeResource(fleet.routes.provider);
  const repoStatus = new Map<string, RepoFleetStatus>();
  const wantedRoutes = new Set<string>();
  const canaryAvailable = observed.canaryAvailableReplicas > 0;
  const trackStatus: RepoFleetStatus['tracks'] = Object.fromEntries(
    tracks.map((track) => [
      track,
      { replicas: fleet.settings[track].replicas, readyReplicas: observed.readyReplicas[track] ?? 0 },
    ]),
  );
  for (const repo of repos) {
    const name = repo.metadata.name;
    if (!isDnsLabel(name)) continue;
    const generation = repo.metadata.generation ?? 0;
    const specWeight = repo.spec.canary?.weight ?? 0;
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
      objects.push({ ref: routeRef, object: route });
    }
    const cold = canaryServes && !canaryAvailable;
    repoStatus.set(name, {
      ...(route ? { route: { kind: route.kind, name: route.metadata.name } } : {}),
      weights,
      tracks: trackStatus,
      conditions: [
        ...(specWeight > 0
          ? [
              canaryCondition(
                generation,
                specWeight,
                weights,
                canary,
                cold ? REASON.canaryNotAvailable : canaryVerdict?.reason,
                cold ? 'it has no available pod yet; the share moves once one is' : canaryVerdict?.message,
              ),
            ]
          : []),
        ...(backendTls ? [backendTlsCondition(generation)] : []),
        // What the Gateway controllers said of the route: read back from its status.parents.
        ...(fleet.routes.provider === 'gateway-api' && route && routeRef
          ? [
              routeAcceptedCondition(
                observed.routes.get(route.metadata.name),
                fleet.routes.parentRefs,
                generation,
              ),
            ]
          : []),
      ],
    });
  }
  const prefix = renderPrefixRoute(namespace, fleet.routes);
  if (prefix && routeRef) {
    wantedRoutes.add(prefix.metadata.name);
    objects.push({ ref: routeRef, object: prefix });
  }

  // 4. Removal: routes no repo wants, upstreams no running track with TLS wants, then the
  // canary track once its grace period is over.
  const prune = [
    ...(routeRef ? [{ ref: routeRef, keep: wantedRoutes }] : []),
    ...(upstreamRef ? [{ ref: upstreamRef, keep: wantedUpstreams }] : []),
  ];
  const remove =
    phase.state === 'absent'
      ? [...workloadsOf('canary'), { ref: CONFIG_MAPS, name: GATEWAY_CANARY_CONFIG_MAP }]
      : [];
  return { phase, canary, repos: repoStatus, prune, remove };
}

/** Status decoration: extra fields a kind's status carries besides the common ones. */
type Decorate = (name: string, status: ResourceStatus, current: ResourceStatus | undefined) => ResourceStatus;

function statusesOf(
  objects: readonly SpecObject<unknown>[],
  kind: 'LogRepo' | 'KafkaProducer',
  verdictFor: (name: string) => Verdict | undefined,
  revision: string,
  currentStatus: (kind: 'LogRepo' | 'KafkaProducer', name: string) => ResourceStatus | undefined,
  now: () => string,
  decorate?: Decorate,
): Map<string, ResourceStatus> {
  const out = new Map<string, ResourceStatus>();
  for (const object of objects) {
    const name = object.metadata.name;
    const verdict = verdictFor(name);
    if (!verdict) continue;
    const current = currentStatus(kind, name);
    const base = desiredStatus(current, object.metadata.generation ?? 0, verdict, revision, now);
    out.set(name, decorate ? decorate(name, base, current) : base);
  }
  return out;
}

/** Adds a LogRepo's route, effective weights, tracks and fleet conditions to its status. */
function withFleetStatus(
  status: ResourceStatus,
  current: ResourceStatus | undefined,
  fleet: RepoFleetStatus | undefined,
  now: () => string,
): ResourceStatus {
  if (!fleet) return status;
  const { conditions, ...fields } = fleet;
  return {
    ...status,
    ...fields,
    conditions: [...(status.conditions ?? []), ...mergeConditions(current?.conditions, conditions, now)],
  } as ResourceStatus;
}

/**
 * With Gateway API routes and listener TLS: the Gateway reaches the gateway Services over
 * HTTPS only through a BackendTLSPolicy attached to them, which the operator does not write
 * (and cannot see), so the repo says so. Unknown: it may well be there.
 */
function backendTlsCondition(observedGeneration: number): DesiredCondition {
  return {
    type: CONDITION.backendTls,
    status: 'Unknown',
    reason: REASON.backendTlsPolicyRequired,
    message: `the gateways serve HTTPS: the Gateway reaches them over TLS only through a BackendTLSPolicy (gateway.networking.k8s.io) targeting Services ${GATEWAY_NAMES.stable.workload} and ${GATEWAY_NAMES.canary.workload}, which the operator does not write (see docs/operator.md, Listener TLS)`,
    observedGeneration,
  };
}

function canaryCondition(
  observedGeneration: number,
  specWeight: number,
  weights: RouteWeights,
  canary: RenderedConfig | undefined,
  reason: Reason | undefined,
  message: string | undefined,
): DesiredCondition {
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
