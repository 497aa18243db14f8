import type { Logger } from 'pino';
import {
  ANNOTATIONS,
  API_VERSION,
  CONDITION,
  FIELD_MANAGER,
  GATEWAY_CONFIG_MAP,
  GATEWAY_FLEET,
  KAFKA_PRODUCER,
  LOG_REPO,
  REASON,
} from '../api/constants.ts';
import type { RolloutStatus } from '../api/rollout-status.ts';
import type { EventRecorder } from '../kube/event-recorder.ts';
import type { KubeClient, KubeObject, ResourceRef } from '../kube/kube-client.ts';
import { type Condition, mergeConditions } from '../status/conditions.ts';
import { type ResourceStatus, statusUnchanged } from '../status/resource-status.ts';
import type { WrittenStatuses } from '../status/written-statuses.ts';
import { type DesiredNamespaceInputs, desiredNamespace } from './desired-namespace.ts';
import { applyDesired, type FleetOptions, observeFleet, rolloutWindows } from './reconcile-fleet.ts';
import {
  CONFIG_MAPS,
  GATEWAY_FLEETS,
  type GatewayFleetObject,
  KAFKA_PRODUCERS,
  type KafkaProducerObject,
  LOG_REPOS,
  type LogRepoObject,
} from './resources.ts';

/** Read access to the informer caches: reconcile reads the world from here, never from events. */
export interface Caches {
  list<T extends KubeObject>(ref: ResourceRef<T>, namespace: string): T[];
  get<T extends KubeObject>(ref: ResourceRef<T>, namespace: string, name: string): T | undefined;
}

export interface ReconcileDeps {
  readonly client: KubeClient;
  readonly caches: Caches;
  readonly events: EventRecorder;
  readonly logger: Logger;
  /** RFC 3339 time for condition transitions; injected so tests are deterministic. */
  readonly now: () => string;
  /** Statuses written but perhaps not yet seen by the caches; shared across reconciles. */
  readonly written: WrittenStatuses;
  /** The gateway fleet and routes; without it only the ConfigMap and statuses are reconciled. */
  readonly fleet?: FleetOptions;
  /**
   * Cancels the reconcile (shutdown, lost leadership): every request takes it, and the
   * reconcile stops between steps, rejecting with the signal's reason.
   */
  readonly signal?: AbortSignal | undefined;
  /** Counts a rollout transition (the operator's metrics). */
  readonly onRolloutEvent?: (namespace: string, repo: string, reason: string) => void;
  /** Where each repo's rollout stands after the reconcile (undefined: the repo has none). */
  readonly onRolloutStatus?: (namespace: string, repo: string, status: RolloutStatus | undefined) => void;
}

export interface ReconcileResult {
  readonly revision: string | undefined;
  readonly configMapWritten: boolean;
  readonly statusWrites: number;
  /** Fleet objects (canary ConfigMap, workloads, routes) applied or deleted; with a fleet only. */
  readonly fleetWrites?: number;
  /** Reconcile the namespace again after this long (a canary grace period ends then). */
  readonly requeueAfterMs?: number;
}

const live = (object: KubeObject) => object.metadata.deletionTimestamp === undefined;

const statusKey = (ref: ResourceRef, object: KubeObject) =>
  `${ref.plural}/${object.metadata.namespace}/${object.metadata.name}`;

/**
 * Level-triggered reconcile of one namespace: re-read every LogRepo and KafkaProducer (and
 * the fleet state the desired state depends on) from the caches, compute the namespace's
 * desired state (desired-namespace.ts, pure), apply and prune what it says
 * (reconcile-fleet.ts), then write each object's status only if it changed. An unchanged
 * world writes nothing. Throws on API errors so the caller retries with backoff.
 */
export async function reconcileNamespace(namespace: string, deps: ReconcileDeps): Promise<ReconcileResult> {
  const { caches, fleet } = deps;
  deps.signal?.throwIfAborted();
  const repos = caches.list(LOG_REPOS, namespace).filter(live);
  const producers = caches.list(KAFKA_PRODUCERS, namespace).filter(live);
  const byName = <T extends KubeObject>(objects: readonly T[]) =>
    new Map(objects.map((object) => [object.metadata.name, object]));
  const repoByName = byName(repos);
  const producerByName = byName(producers);
  const baseline = (ref: ResourceRef, object: LogRepoObject | KafkaProducerObject | undefined) =>
    object === undefined
      ? undefined
      : deps.written.baseline(statusKey(ref, object), object.metadata.resourceVersion, object.status);

  // One GatewayFleet per namespace: the first by name (any other is named in its status).
  const fleets = fleet ? caches.list(GATEWAY_FLEETS, namespace).filter(live).sort(byObjectName) : [];
  const gatewayFleet = fleets[0];
  const fleetStatus = gatewayFleet
    ? (deps.written.baseline(
        statusKey(GATEWAY_FLEETS, gatewayFleet),
        gatewayFleet.metadata.resourceVersion,
        gatewayFleet.status as ResourceStatus | undefined,
      ) as GatewayFleetObject['status'])
    : undefined;
  const fleetSeen = fleet ? observeFleet(caches, namespace, fleet) : undefined;
  const observed =
    fleet && fleetSeen
      ? {
          ...fleetSeen,
          windows: rolloutWindows(
            namespace,
            [
              ...repos
                .filter((repo) => repo.spec.rollout !== undefined)
                .map((repo) => ({
                  repo: repo.metadata.name,
                  status: (baseline(LOG_REPOS, repo) as { rollout?: RolloutStatus } | undefined)?.rollout,
                })),
              // The repo an image rollout is moving: its step is judged on the same windows.
              ...(fleetStatus?.rollout?.repo !== undefined
                ? [{ repo: fleetStatus.rollout.repo, status: fleetStatus.rollout.repoRollout }]
                : []),
            ],
            fleet,
          ),
        }
      : undefined;
  const inputs: DesiredNamespaceInputs = {
    namespace,
    repos,
    producers,
    ...(gatewayFleet
      ? {
          gatewayFleet: {
            metadata: gatewayFleet.metadata,
            spec: gatewayFleet.spec,
            status: fleetStatus,
          },
        }
      : {}),
    ...(fleet ? { fleet: { settings: fleet.settings, routes: fleet.routes }, observed } : {}),
    nowMs: fleet ? fleet.clockMs() : Date.now(),
    now: deps.now,
    currentStatus: (kind, name) =>
      kind === LOG_REPO.kind
        ? baseline(LOG_REPOS, repoByName.get(name))
        : baseline(KAFKA_PRODUCERS, producerByName.get(name)),
  };
  const desired = desiredNamespace(inputs);
  if (fleet) {
    // Until the canary Deployment's annotation shows it, this process remembers the idle time.
    if (desired.phase.state === 'draining') fleet.idleSince.set(namespace, desired.phase.idleSince);
    else fleet.idleSince.delete(namespace);
    // While a step is judged, the observer reads this namespace's pods' metrics too.
    if (
      [...desired.rollouts.values()].some((rollout) => rollout.decision.analysing) ||
      desired.gatewayFleet?.decision?.analysing !== undefined
    )
      fleet.analysing.add(namespace);
    else fleet.analysing.delete(namespace);
  }

  const applied = await applyDesired(namespace, desired, deps);

  // RouteAccepted speaks of the routes as this reconcile left them (the generation it just
  // wrote): when a route moved in the caches meanwhile, the statuses are computed again
  // against the routes as they are now, so the status converges in this pass.
  let { statuses } = desired;
  if (fleet && observed) {
    const routes = observeFleet(caches, namespace, fleet).routes;
    if (routesMoved(observed.routes, routes)) {
      statuses = desiredNamespace({ ...inputs, observed: { ...observed, routes } }).statuses;
    }
  }

  const statusWrites =
    (await writeStatuses(repos, LOG_REPOS, LOG_REPO.kind, statuses.repos, deps)) +
    (await writeStatuses(producers, KAFKA_PRODUCERS, KAFKA_PRODUCER.kind, statuses.producers, deps));
  // A rollout's transitions (started, a step passed, promoted, rolled back), once each: the
  // status written above records them, so a later reconcile decides no transition again.
  for (const repo of repos) {
    deps.onRolloutStatus?.(
      namespace,
      repo.metadata.name,
      desired.rollouts.get(repo.metadata.name)?.decision.status,
    );
  }
  let fleetStatusWrites = 0;
  if (gatewayFleet && desired.gatewayFleet) {
    if (await writeFleetStatus(gatewayFleet, desired.gatewayFleet.status, deps)) fleetStatusWrites += 1;
    for (const event of desired.gatewayFleet.decision?.events ?? []) {
      deps.onRolloutEvent?.(namespace, gatewayFleet.metadata.name, event.reason);
      await deps.events.record(gatewayFleet, event.type, event.reason, event.message);
    }
  }
  for (const other of fleets.slice(1)) {
    const status = {
      observedGeneration: other.metadata.generation ?? 0,
      conditions: mergeConditions(
        other.status?.conditions as Condition[] | undefined,
        [
          {
            type: CONDITION.ready,
            status: 'False',
            reason: REASON.invalidSpec,
            message: `the namespace's fleet follows GatewayFleet ${gatewayFleet?.metadata.name}, the first by name; this one is ignored`,
            observedGeneration: other.metadata.generation ?? 0,
          },
        ],
        deps.now,
      ),
    };
    if (await writeFleetStatus(other, status, deps)) fleetStatusWrites += 1;
  }
  for (const [name, rollout] of desired.rollouts) {
    const event = rollout.decision.event;
    const repo = repoByName.get(name);
    if (!event || !repo) continue;
    deps.onRolloutEvent?.(namespace, name, event.reason);
    await deps.events.record(repo, event.type, event.reason, event.message);
  }
  return {
    revision:
      desired.stable === undefined
        ? undefined
        : desired.tooLarge
          ? caches.get(CONFIG_MAPS, namespace, GATEWAY_CONFIG_MAP)?.metadata.annotations?.[
              ANNOTATIONS.revision
            ]
          : desired.stable.revision,
    configMapWritten: applied.configMapWritten,
    statusWrites: statusWrites + fleetStatusWrites,
    ...(fleet
      ? {
          fleetWrites: applied.fleetWrites,
          ...(desired.requeueAfterMs === undefined ? {} : { requeueAfterMs: desired.requeueAfterMs }),
        }
      : {}),
  };
}

/** Some route was written, deleted or changed (its resourceVersion moved) between the two views. */
function routesMoved(
  before: ReadonlyMap<string, KubeObject>,
  after: ReadonlyMap<string, KubeObject>,
): boolean {
  if (before.size !== after.size) return true;
  for (const [name, route] of after) {
    if (before.get(name)?.metadata.resourceVersion !== route.metadata.resourceVersion) return true;
  }
  return false;
}

async function writeStatuses(
  objects: readonly (LogRepoObject | KafkaProducerObject)[],
  ref: ResourceRef<LogRepoObject> | ResourceRef<KafkaProducerObject>,
  kind: string,
  statuses: ReadonlyMap<string, ResourceStatus>,
  deps: ReconcileDeps,
): Promise<number> {
  let writes = 0;
  const pending = [...objects];
  // A few writes in flight at once: a namespace with a thousand repos converges in seconds.
  const writer = async () => {
    for (let object = pending.shift(); object !== undefined; object = pending.shift()) {
      deps.signal?.throwIfAborted();
      const desired = statuses.get(object.metadata.name);
      if (desired && (await writeStatus(object, ref, kind, desired, deps))) writes += 1;
    }
  };
  await Promise.all(Array.from({ length: STATUS_WRITE_CONCURRENCY }, writer));
  return writes;
}

const STATUS_WRITE_CONCURRENCY = 8;
const EVENT_CONDITIONS = [CONDITION.ready, CONDITION.configApplied] as const;

/** A GatewayFleet's status: its image rollout records its own Events. */
const writeFleetStatus = (object: GatewayFleetObject, desired: unknown, deps: ReconcileDeps) =>
  writeStatus(object, GATEWAY_FLEETS, GATEWAY_FLEET.kind, desired as ResourceStatus, deps, []);

const byObjectName = (a: KubeObject, b: KubeObject) =>
  a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;

/**
 * Server-side-applies `desired` as the object's status when it differs from what was last
 * written or seen, and records an Event on each transition of the `eventConditions`.
 */
async function writeStatus(
  object: LogRepoObject | KafkaProducerObject | GatewayFleetObject,
  ref: ResourceRef,
  kind: string,
  desired: ResourceStatus,
  deps: ReconcileDeps,
  eventConditions: readonly string[] = EVENT_CONDITIONS,
): Promise<boolean> {
  const key = statusKey(ref, object);
  const current = deps.written.baseline(
    key,
    object.metadata.resourceVersion,
    object.status as ResourceStatus | undefined,
  );
  if (statusUnchanged(current, desired)) return false;
  const written = await deps.client.applyStatus(
    ref,
    {
      apiVersion: API_VERSION,
      kind,
      metadata: { name: object.metadata.name, namespace: object.metadata.namespace },
      status: desired,
    },
    FIELD_MANAGER,
    { signal: deps.signal },
  );
  deps.written.remember(key, written?.metadata?.resourceVersion, desired);
  // An Event on every transition of Ready and ConfigApplied (status or reason).
  for (const type of eventConditions) {
    const was = current?.conditions?.find((condition) => condition.type === type);
    const now = desired.conditions?.find((condition) => condition.type === type);
    if (now === undefined && type !== CONDITION.ready) continue;
    if (was?.status !== now?.status || was?.reason !== now?.reason) {
      await deps.events.record(
        object,
        now?.status === 'True'
          ? 'Normal'
          : now?.status === 'Unknown' && type !== CONDITION.ready
            ? 'Normal'
            : 'Warning',
        now?.reason ?? 'Unknown',
        type === CONDITION.ready ? (now?.message ?? '') : `${type}: ${now?.message ?? ''}`,
      );
    }
  }
  return true;
}
