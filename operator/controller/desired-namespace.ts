import {
  CONDITION,
  GATEWAY_CANARY_CONFIG_MAP,
  GATEWAY_CONFIG_MAP,
  GATEWAY_NAMES,
  REASON,
  type Reason,
} from '../api/constants.ts';
import { isDnsLabel } from '../api/dns-label.ts';
import type { Autoscaling, GatewayFleetStatus } from '../api/gateway-fleet-spec.ts';
import type { KafkaProducerSpec } from '../api/kafka-producer-spec.ts';
import type { LogRepoSpec } from '../api/log-repo-spec.ts';
import type { RolloutStatus } from '../api/rollout-status.ts';
import type { KubeObject, ResourceRef } from '../kube/kube-client.ts';
import type { PodObservation } from '../observe/pod-report.ts';
import type { FleetSettings, RouteSettings } from '../operator-config.ts';
import { renderAutoscaler, replicasToApply } from '../render/render-autoscaler.ts';
import {
  byName,
  fleetRenderOptions,
  type RenderedConfig,
  type RenderOptions,
  renderGatewayConfig,
  type SpecObject,
  type Track,
  type Verdict,
} from '../render/render-gateway-config.ts';
import { fleetSecretNames, renderGatewayTrack } from '../render/render-gateway-track.ts';
import { GATEWAY_NETWORK_POLICY, renderNetworkPolicy } from '../render/render-network-policy.ts';
import { type RouteWeights, renderPrefixRoute, renderRepoRoute } from '../render/render-routes.ts';
import type { RepoCounters } from '../rollout/gateway-metrics.ts';
import type { ImageRolloutDecision } from '../rollout/image-rollout.ts';
import {
  pipelineOf,
  promotedConfigMapName,
  type RepoPipeline,
  withPipeline,
} from '../rollout/rollout-pipeline.ts';
import { type Condition, type DesiredCondition, mergeConditions } from '../status/conditions.ts';
import { type ConfigAppliedResult, configApplied, type TrackExpectation } from '../status/config-applied.ts';
import { desiredStatus, type ResourceStatus } from '../status/resource-status.ts';
import { routeAcceptedCondition } from '../status/route-acceptance.ts';
import { type CanaryPhase, canaryPhase } from './canary-phase.ts';
import {
  canaryReplicasFor,
  desiredFleetView,
  type FleetInput,
  type FleetView,
} from './desired-image-rollout.ts';
import { desiredRollouts, type RepoRollout } from './desired-rollouts.ts';
import {
  DEPLOYMENTS,
  HORIZONTAL_POD_AUTOSCALERS,
  NETWORK_POLICIES,
  POD_DISRUPTION_BUDGETS,
  routeResource,
  SERVICES,
  upstreamResource,
} from './fleet-resources.ts';
import { desiredConfigMap } from './gateway-config-map.ts';
import { CONFIG_MAPS } from './resources.ts';

/** A LogRepo as the desired state needs it: a cached object or a document read from a file. */
export type RepoInput = SpecObject<LogRepoSpec> & {
  readonly metadata: {
    readonly name: string;
    readonly uid?: string;
    readonly generation?: number;
    readonly annotations?: Readonly<Record<string, string>>;
  };
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
  /** The image each track's Deployment runs (its pod template), when it exists. */
  readonly stableImage?: string | undefined;
  readonly canaryImage?: string | undefined;
  /** The stable (canary) Deployment's rollout to its current template is complete: every pod runs its image. */
  readonly stableRolled?: boolean | undefined;
  readonly canaryRolled?: boolean | undefined;
  /** The stored Deployment of each track (who owns its replicas decides the HPA hand-over). */
  readonly deployments?: Partial<Record<Track, KubeObject>> | undefined;
  /** Requests each repo received on both tracks as the observer counted them (sizes the canary track). */
  readonly requestsByRepo?: ReadonlyMap<string, number> | undefined;
  /**
   * The ready pods of each track (their Services' EndpointSlices) and what each said on
   * /status, from the fleet observer. Absent when nothing observes the pods (`sluice render`,
   * tests of the render alone): then Ready means "rendered" and ConfigApplied is left out.
   */
  readonly pods?: Partial<Record<Track, readonly PodObservation[]>> | undefined;
  /** The promoted pipeline of each repo with a rollout, from its ConfigMap. */
  readonly promoted?: ReadonlyMap<string, RepoPipeline> | undefined;
  /** Each rollout's metric windows (counters since its step began) on both tracks. */
  readonly windows?:
    | ReadonlyMap<string, { readonly canary: RepoCounters; readonly stable: RepoCounters }>
    | undefined;
}

export interface DesiredNamespaceInputs {
  readonly namespace: string;
  /** The namespace's LogRepos and KafkaProducers that are not being deleted. */
  readonly repos: readonly RepoInput[];
  readonly producers: readonly ProducerInput[];
  /** The gateway fleet and routes; without it the desired state is the ConfigMap and statuses. */
  readonly fleet?: { readonly settings: FleetSettings; readonly routes: RouteSettings } | undefined;
  readonly observed?: ObservedFleet | undefined;
  /** The namespace's GatewayFleet (its track settings and image rollout plan), when it has one. */
  readonly gatewayFleet?: FleetInput | undefined;
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

/** The fleet fields of one LogRepo's status, plus the fleet's conditions (ConfigApplied, Canary, BackendTLS, RouteAccepted). */
export interface RepoFleetStatus {
  readonly route?: { readonly kind: string; readonly name: string };
  readonly weights: RouteWeights;
  readonly tracks: Partial<
    Record<Track, { readonly replicas: number; readonly readyReplicas: number; readonly applied?: number }>
  >;
  /** `stable 2/2, canary 1/1`: pods running the repo's current config of the ready pods, per carrying track. */
  readonly applied?: string;
  /** With spec.rollout: where the rollout stands. */
  readonly rollout?: RolloutStatus;
  readonly conditions: readonly DesiredCondition[];
  /** Whether the pods serve the repo as rendered (configApplied's verdict); with observed pods only. */
  readonly served?: ConfigAppliedResult['served'];
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
  /** The rollout of each repo with spec.rollout (with a fleet only): events, analysis, requeue. */
  readonly rollouts: ReadonlyMap<string, RepoRollout>;
  /** The GatewayFleet's status and image rollout (with a GatewayFleet only). */
  readonly gatewayFleet?: {
    readonly status: GatewayFleetStatus;
    readonly decision?: ImageRolloutDecision | undefined;
  };
  /** Reconcile again after this long (the rest of the canary grace period, a rollout's next judgement). */
  readonly requeueAfterMs?: number;
}

const WORKLOAD_REFS = [DEPLOYMENTS, SERVICES, POD_DISRUPTION_BUDGETS, HORIZONTAL_POD_AUTOSCALERS] as const;

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
  const { namespace, now } = inputs;
  let fleet = inputs.fleet;
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
              ...(fleet.settings.networkPolicy
                ? [{ ref: NETWORK_POLICIES, name: GATEWAY_NETWORK_POLICY }]
                : []),
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
      rollouts: new Map(),
    };
  }

  // The fleet's settings (its GatewayFleet over the operator's flags) and image rollout.
  const baseView = fleet
    ? fleetViewOf(repos, producers, fleet, inputs.gatewayFleet, observed, inputs.nowMs)
    : undefined;
  if (fleet && baseView) fleet = { ...fleet, settings: baseView.view.settings };
  // Rollouts first: they decide what stable renders for their repos (the promoted pipeline).
  const renderOptions = fleetRenderOptions(fleet?.settings);
  const rollouts = fleet
    ? rolloutsOf(namespace, repos, producers, observed, current, renderOptions, inputs.nowMs)
    : new Map<string, RepoRollout>();
  const stableRepos = repos.map((repo) => {
    const rollout = rollouts.get(repo.metadata.name);
    return rollout ? { ...repo, spec: rollout.stableSpec } : repo;
  });
  const stable = renderGatewayConfig(producers, stableRepos, 'stable', renderOptions);
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
  for (const rollout of rollouts.values()) objects.push({ ref: CONFIG_MAPS, object: rollout.promotedObject });
  const imageDecision = baseView?.view.decision;
  const fleetPart = fleet
    ? desiredFleet(
        namespace,
        repos,
        producers,
        fleet,
        observed,
        inputs.nowMs,
        objects,
        stable,
        rollouts,
        imageDecision,
        stableRepos,
        baseView?.view.autoscaling ?? {},
      )
    : undefined;
  // Promoted pipelines of repos that no longer have a rollout (or are gone).
  const stalePromoted = [...(observed.promoted?.keys() ?? [])]
    .filter((name) => !rollouts.has(name))
    .map((name) => ({ ref: CONFIG_MAPS, name: promotedConfigMapName(name) }));
  const rolloutRequeue = [...rollouts.values()]
    .map((rollout) => rollout.decision.requeueAfterMs)
    .filter((ms): ms is number => ms !== undefined);
  const requeueAfterMs = minimum([
    ...(fleetPart?.phase.state === 'draining' ? [fleetPart.phase.remainingMs] : []),
    ...rolloutRequeue,
    ...(imageDecision?.requeueAfterMs === undefined ? [] : [imageDecision.requeueAfterMs]),
  ]);

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
    remove: [...(fleetPart?.remove ?? []), ...stalePromoted],
    statuses: { repos: repoStatuses, producers: producerStatuses },
    repoFleet: fleetPart?.repos ?? new Map(),
    rollouts,
    ...(baseView?.status ? { gatewayFleet: { status: baseView.status(now), decision: imageDecision } } : {}),
    ...(requeueAfterMs === undefined ? {} : { requeueAfterMs }),
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
  stable: RenderedConfig,
  rollouts: ReadonlyMap<string, RepoRollout>,
  image: ImageRolloutDecision | undefined,
  stableRepos: readonly RepoInput[],
  autoscaling: Partial<Record<Track, Autoscaling>>,
) {
  // An image rollout in flight owns the canary track: the repos it moves run their stable
  // pipeline there, and pipeline rollouts wait (their canary pods never show the new pipeline).
  const imageRunning =
    image?.status !== undefined && ['Progressing', 'Paused', 'Promoting'].includes(image.status.state);
  // The share a repo asks for: the image rollout's, else its pipeline rollout's, else spec.canary.weight.
  const askedWeight = (repo: RepoInput) =>
    imageRunning
      ? (image?.weights.get(repo.metadata.name) ?? 0)
      : (rollouts.get(repo.metadata.name)?.decision.weight ?? repo.spec.canary?.weight ?? 0);
  const phase = canaryPhase({
    wanted: repos.some((repo) => askedWeight(repo) > 0),
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
      : renderGatewayConfig(
          producers,
          imageRunning ? stableRepos : repos,
          'canary',
          fleetRenderOptions(fleet.settings),
        );
  if (canary && !canary.tooLarge) {
    objects.push({ ref: CONFIG_MAPS, object: desiredConfigMap(namespace, 'canary', canary) });
  }

  // 2. Workloads of every track that should run; with listener TLS and APISIX, the upstream
  // that makes APISIX speak HTTPS to the track's Service (before any route points there).
  const secrets = fleetSecretNames(producers, repos, fleet.settings);
  const upstreamRef = upstreamResource(fleet.routes.provider);
  const wantedUpstreams = new Set<string>();
  const wantedAutoscalers = new Set<string>();
  // During an image rollout the canary track is sized from the share of traffic it carries.
  const trackSettings: FleetSettings = imageRunning
    ? {
        ...fleet.settings,
        canary: {
          ...fleet.settings.canary,
          replicas: canaryReplicasFor(
            fleet.settings.stable.replicas,
            image?.weights ?? new Map(),
            (repo) => observed.requestsByRepo?.get(repo),
            stableRepos.map((repo) => repo.metadata.name),
          ),
        },
      }
    : fleet.settings;
  for (const track of tracks) {
    // An autoscaled track: its HPA owns the size (handed over without a fall to 1 replica).
    const scaled = autoscaling[track];
    const { workload, upstream } = renderGatewayTrack({
      namespace,
      track,
      fleet: trackSettings,
      ...(scaled
        ? { replicas: replicasToApply(trackSettings[track].replicas, scaled, observed.deployments?.[track]) }
        : {}),
      routes: fleet.routes,
      secrets,
      ...(track === 'canary' && phase.state === 'draining' ? { idleSince: phase.idleSince } : {}),
    });
    objects.push(
      { ref: DEPLOYMENTS, object: workload.deployment },
      { ref: SERVICES, object: workload.service },
      { ref: POD_DISRUPTION_BUDGETS, object: workload.podDisruptionBudget },
      ...(scaled
        ? [{ ref: HORIZONTAL_POD_AUTOSCALERS, object: renderAutoscaler(namespace, track, scaled) }]
        : []),
    );
    if (scaled) wantedAutoscalers.add(workload.deployment.metadata.name);
    if (upstream && upstreamRef) {
      wantedUpstreams.add(upstream.metadata.name);
      objects.push({ ref: upstreamRef, object: upstream });
    }
  }
  // Before any route sends traffic: who may reach the pods at all.
  if (fleet.settings.networkPolicy) {
    objects.push({
      ref: NETWORK_POLICIES,
      object: renderNetworkPolicy(namespace, fleet.settings.networkPolicy.from),
    });
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
      { replicas: trackSettings[track].replicas, readyReplicas: observed.readyReplicas[track] ?? 0 },
    ]),
  );
  for (const repo of repos) {
    const name = repo.metadata.name;
    if (!isDnsLabel(name)) continue;
    const generation = repo.metadata.generation ?? 0;
    const specWeight = askedWeight(repo);
    const rollout = rollouts.get(name);
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
    const applied = observed.pods
      ? configApplied(name, carryingTracks(name, stable, canary, weights, observed.pods), generation)
      : undefined;
    repoStatus.set(name, {
      ...(route ? { route: { kind: route.kind, name: route.metadata.name } } : {}),
      weights,
      tracks: applied
        ? Object.fromEntries(
            Object.entries(trackStatus).map(([track, status]) => [
              track,
              { ...status, applied: applied.counts[track as Track]?.applied ?? 0 },
            ]),
          )
        : trackStatus,
      ...(applied
        ? {
            applied: Object.entries(applied.counts)
              .map(([track, counts]) => `${track} ${counts.applied}/${counts.ready}`)
              .join(', '),
            served: applied.served,
          }
        : {}),
      ...(rollout ? { rollout: rollout.decision.status } : {}),
      conditions: [
        ...(applied ? [applied.condition] : []),
        ...(rollout ? [rollout.condition] : []),
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
    // An HPA goes with its track, and when its track is no longer autoscaled.
    { ref: HORIZONTAL_POD_AUTOSCALERS, keep: wantedAutoscalers },
    ...(routeRef ? [{ ref: routeRef, keep: wantedRoutes }] : []),
    ...(upstreamRef ? [{ ref: upstreamRef, keep: wantedUpstreams }] : []),
  ];
  const remove =
    phase.state === 'absent'
      ? [...workloadsOf('canary'), { ref: CONFIG_MAPS, name: GATEWAY_CANARY_CONFIG_MAP }]
      : [];
  return { phase, canary, repos: repoStatus, prune, remove };
}

/**
 * The fleet view of a namespace (desired-image-rollout.ts) and the GatewayFleet's status. A
 * repo is served on the canary track for the image rollout once a canary pod runs the target
 * image (its Deployment's template) and reports the repo's stable digest.
 */
function fleetViewOf(
  repos: readonly RepoInput[],
  producers: readonly ProducerInput[],
  fleet: NonNullable<DesiredNamespaceInputs['fleet']>,
  gatewayFleet: FleetInput | undefined,
  observed: ObservedFleet,
  nowMs: number,
): { view: FleetView; status?: (now: () => string) => GatewayFleetStatus } {
  const view = desiredFleetView(fleet.settings, gatewayFleet, {
    // Rendered only when an image rollout needs the order: the repos the stable config serves.
    repos: () =>
      [...renderGatewayConfig(producers, repos, 'stable', fleetRenderOptions(fleet.settings)).repos]
        .filter(([, verdict]) => verdict.included)
        .map(([name]) => name),
    stableImage: observed.stableImage,
    stableRolled: observed.stableRolled ?? false,
    // Only once every canary pod runs the target image: a pod of the previous image still
    // serving during the canary Deployment's own rollout must not be judged for it.
    canaryServing: (repo, image) =>
      observed.canaryAvailableReplicas > 0 &&
      observed.canaryImage === image &&
      observed.canaryRolled === true &&
      (observed.pods === undefined ||
        (observed.pods.canary ?? []).some((pod) => pod.state === 'reported' && pod.report.repos.has(repo))),
    windows: (repo) => observed.windows?.get(repo),
    nowMs,
  });
  if (!gatewayFleet) return { view };
  return {
    view,
    status: (now) => ({
      observedGeneration: gatewayFleet.metadata.generation ?? 0,
      images: {
        ...(observed.stableImage === undefined ? {} : { stable: observed.stableImage }),
        ...(observed.canaryImage === undefined ? {} : { canary: observed.canaryImage }),
      },
      ...(view.decision?.status ? { rollout: view.decision.status } : {}),
      conditions: mergeConditions(
        gatewayFleet.status?.conditions as Condition[] | undefined,
        [
          {
            type: CONDITION.ready,
            status: 'True',
            reason: REASON.applied,
            message: `the fleet runs with these settings: stable ${view.settings.stable.image}, canary ${view.settings.canary.image}`,
            observedGeneration: gatewayFleet.metadata.generation ?? 0,
          },
          ...(view.condition ? [view.condition] : []),
        ],
        now,
      ),
    }),
  };
}

/** The smallest of some numbers; undefined for none. */
const minimum = (values: readonly number[]) => (values.length === 0 ? undefined : Math.min(...values));

/**
 * The rollouts of the repos with spec.rollout. Their digests come from renders of just those
 * repos: stable with the promoted pipeline, canary with the target (a repo's digest depends on
 * it and its producer only).
 */
function rolloutsOf(
  namespace: string,
  repos: readonly RepoInput[],
  producers: readonly ProducerInput[],
  observed: ObservedFleet,
  current: (kind: 'LogRepo' | 'KafkaProducer', name: string) => ResourceStatus | undefined,
  options: RenderOptions,
  nowMs: number,
): Map<string, RepoRollout> {
  const withRollout = repos.filter(
    (repo) => repo.spec.rollout !== undefined && isDnsLabel(repo.metadata.name),
  );
  if (withRollout.length === 0) return new Map();
  const promoted = observed.promoted ?? new Map<string, RepoPipeline>();
  const stablePre = renderGatewayConfig(
    producers,
    withRollout.map((repo) => ({
      ...repo,
      spec: withPipeline(repo.spec, promoted.get(repo.metadata.name) ?? pipelineOf(repo.spec)),
    })),
    'stable',
    options,
  );
  const canaryPre = renderGatewayConfig(producers, withRollout, 'canary', options);
  return desiredRollouts(withRollout, {
    namespace,
    promoted,
    previous: (name) => (current('LogRepo', name) as { rollout?: RolloutStatus } | undefined)?.rollout,
    pods: observed.pods,
    digests: (name) => ({
      stable: stablePre.repos.get(name)?.digest,
      canary: canaryPre.repos.get(name)?.digest,
    }),
    canaryAvailable: observed.canaryAvailableReplicas > 0,
    windows: observed.windows ?? new Map(),
    nowMs,
  });
}

/**
 * The tracks that should carry a repo, with what each should run: stable while its config
 * includes the repo, canary while the route sends it a share. A track whose config leaves the
 * repo out carries nothing to check (its verdict is on Ready already).
 */
function carryingTracks(
  name: string,
  stable: RenderedConfig,
  canary: RenderedConfig | undefined,
  weights: RouteWeights,
  pods: Partial<Record<Track, readonly PodObservation[]>>,
): TrackExpectation[] {
  const out: TrackExpectation[] = [];
  const stableDigest = stable.repos.get(name)?.digest;
  if (!stable.tooLarge && stableDigest !== undefined && weights.stable > 0) {
    out.push({ track: 'stable', digest: stableDigest, revision: stable.revision, pods: pods.stable ?? [] });
  }
  const canaryDigest = canary?.repos.get(name)?.digest;
  if (canary && canaryDigest !== undefined && weights.canary > 0) {
    out.push({ track: 'canary', digest: canaryDigest, revision: canary.revision, pods: pods.canary ?? [] });
  }
  return out;
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
  const { conditions, served, ...fields } = fleet;
  const rendered = status.conditions ?? [];
  const verdict = rendered.find((condition) => condition.type === CONDITION.ready);
  // With observed pods Ready means served: rendered (Configured) and running on the pods.
  const readiness: DesiredCondition[] =
    served && verdict
      ? [
          verdict.status === 'True'
            ? {
                type: CONDITION.ready,
                status: served.status,
                reason: served.reason,
                message: served.message,
                observedGeneration: verdict.observedGeneration,
              }
            : withoutTransition(verdict),
          { ...withoutTransition(verdict), type: CONDITION.configured },
        ]
      : rendered.map(withoutTransition);
  return {
    ...status,
    ...fields,
    conditions: mergeConditions(current?.conditions, [...readiness, ...conditions], now),
  } as ResourceStatus;
}

const withoutTransition = ({ lastTransitionTime: _time, ...condition }: Condition): DesiredCondition =>
  condition;

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
