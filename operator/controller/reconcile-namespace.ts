import type { Logger } from 'pino';
import {
  ANNOTATIONS,
  API_VERSION,
  FIELD_MANAGER,
  GATEWAY_CONFIG_MAP,
  KAFKA_PRODUCER,
  LOG_REPO,
  REASON,
} from '../api/constants.ts';
import type { KafkaProducerSpec } from '../api/kafka-producer-spec.ts';
import type { LogRepoSpec } from '../api/log-repo-spec.ts';
import type { EventRecorder } from '../kube/event-recorder.ts';
import type { KubeClient, KubeObject, ResourceRef } from '../kube/kube-client.ts';
import {
  fleetRenderOptions,
  renderGatewayConfig,
  type SpecObject,
  type Verdict,
} from '../render/render-gateway-config.ts';
import { mergeConditions } from '../status/conditions.ts';
import { desiredStatus, type ResourceStatus, statusUnchanged } from '../status/resource-status.ts';
import type { WrittenStatuses } from '../status/written-statuses.ts';
import { applyConfigMap } from './gateway-config-map.ts';
import {
  deleteOwned,
  type FleetOptions,
  type RepoFleetStatus,
  reconcileFleet,
  removeFleet,
} from './reconcile-fleet.ts';
import { CONFIG_MAPS, KAFKA_PRODUCERS, LOG_REPOS } from './resources.ts';

/** Read access to the informer caches: reconcile reads the world from here, never from events. */
export interface Caches {
  list(ref: ResourceRef, namespace: string): KubeObject[];
  get(ref: ResourceRef, namespace: string, name: string): KubeObject | undefined;
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

/**
 * Level-triggered reconcile of one namespace: re-read every LogRepo and
 * KafkaProducer from the caches, render the gateway config, apply the
 * ConfigMap only if its content differs, with a fleet reconcile the gateway
 * tracks and routes (reconcile-fleet.ts), and write each object's status only
 * if it changed. An unchanged world writes nothing. Throws on API errors so
 * the caller retries with backoff.
 */
export async function reconcileNamespace(namespace: string, deps: ReconcileDeps): Promise<ReconcileResult> {
  const { caches, logger } = deps;
  const repos = caches.list(LOG_REPOS, namespace).filter(live);
  const producers = caches.list(KAFKA_PRODUCERS, namespace).filter(live);

  if (repos.length === 0) {
    // The fleet goes first (routes, then workloads), then the config its pods mounted.
    const fleetWrites = deps.fleet ? await removeFleet(namespace, deps, deps.fleet) : undefined;
    const configMapWritten = await deleteOwned(deps, CONFIG_MAPS, namespace, GATEWAY_CONFIG_MAP);
    if (configMapWritten) logger.info('no LogRepos left: gateway config removed');
    const statusWrites = await writeStatuses(
      producers,
      KAFKA_PRODUCERS,
      KAFKA_PRODUCER.kind,
      () => ({ included: false, reason: REASON.applied, message: 'valid; no LogRepo uses it yet' }),
      '',
      deps,
    );
    return {
      revision: undefined,
      configMapWritten,
      statusWrites,
      ...(fleetWrites === undefined ? {} : { fleetWrites }),
    };
  }

  const rendered = renderGatewayConfig(
    producers as unknown as SpecObject<KafkaProducerSpec>[],
    repos as unknown as SpecObject<LogRepoSpec>[],
    'stable',
    fleetRenderOptions(deps.fleet?.settings),
  );
  // Too large: keep serving the last config that fit, and say on every object why nothing changes.
  const tooLarge: Verdict | undefined = rendered.tooLarge
    ? {
        included: false,
        reason: REASON.configTooLarge,
        message: `the rendered gateway config is ${rendered.sizeBytes} bytes, more than a ConfigMap holds; remove or simplify LogRepos in this namespace`,
      }
    : undefined;
  let configMapWritten = false;
  if (tooLarge) {
    logger.warn({ bytes: rendered.sizeBytes }, 'gateway config too large for a ConfigMap');
  } else if (await applyConfigMap(namespace, 'stable', rendered, deps)) {
    configMapWritten = true;
    logger.info(
      { revision: rendered.revision, bytes: rendered.sizeBytes, repos: repos.length },
      'gateway config applied',
    );
  }

  const fleet = deps.fleet
    ? await reconcileFleet(namespace, { repos, producers }, deps, deps.fleet)
    : undefined;

  const statusWrites =
    (await writeStatuses(
      repos,
      LOG_REPOS,
      LOG_REPO.kind,
      (name) => tooLarge ?? rendered.repos.get(name),
      rendered.revision,
      deps,
      fleet
        ? (name, status, current) => withFleetStatus(status, current, fleet.repos.get(name), deps.now)
        : undefined,
    )) +
    (await writeStatuses(
      producers,
      KAFKA_PRODUCERS,
      KAFKA_PRODUCER.kind,
      (name) => tooLarge ?? rendered.producers.get(name),
      rendered.revision,
      deps,
    ));
  return {
    revision: tooLarge
      ? caches.get(CONFIG_MAPS, namespace, GATEWAY_CONFIG_MAP)?.metadata.annotations?.[ANNOTATIONS.revision]
      : rendered.revision,
    configMapWritten,
    statusWrites,
    ...(fleet
      ? {
          fleetWrites: fleet.writes,
          ...(fleet.requeueAfterMs === undefined ? {} : { requeueAfterMs: fleet.requeueAfterMs }),
        }
      : {}),
  };
}

/** Adds a LogRepo's route, effective weights, tracks and fleet conditions to its status. Pure. */
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

/** Status decoration: extra fields a kind's status carries besides the common ones. */
type Decorate = (name: string, status: ResourceStatus, current: ResourceStatus | undefined) => ResourceStatus;

async function writeStatuses(
  objects: readonly KubeObject[],
  ref: ResourceRef,
  kind: string,
  verdictFor: (name: string) => Verdict | undefined,
  revision: string,
  deps: ReconcileDeps,
  decorate?: Decorate,
): Promise<number> {
  let writes = 0;
  const pending = [...objects];
  // A few writes in flight at once: a namespace with a thousand repos converges in seconds.
  const writer = async () => {
    for (let object = pending.shift(); object !== undefined; object = pending.shift()) {
      if (await writeStatus(object, ref, kind, verdictFor, revision, deps, decorate)) writes += 1;
    }
  };
  await Promise.all(Array.from({ length: STATUS_WRITE_CONCURRENCY }, writer));
  return writes;
}

const STATUS_WRITE_CONCURRENCY = 8;

async function writeStatus(
  object: KubeObject,
  ref: ResourceRef,
  kind: string,
  verdictFor: (name: string) => Verdict | undefined,
  revision: string,
  deps: ReconcileDeps,
  decorate?: Decorate,
): Promise<boolean> {
  const verdict = verdictFor(object.metadata.name);
  if (!verdict) return false;
  const key = `${ref.plural}/${object.metadata.namespace}/${object.metadata.name}`;
  const current = deps.written.baseline(
    key,
    object.metadata.resourceVersion,
    object.status as ResourceStatus | undefined,
  );
  const base = desiredStatus(current, object.metadata.generation ?? 0, verdict, revision, deps.now);
  const desired = decorate ? decorate(object.metadata.name, base, current) : base;
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
  );
  deps.written.remember(key, written?.metadata?.resourceVersion, desired);
  const was = current?.conditions?.find((condition) => condition.type === 'Ready');
  const now = desired.conditions?.[0];
  if (was?.status !== now?.status || was?.reason !== now?.reason) {
    await deps.events.record(
      object,
      now?.status === 'True' ? 'Normal' : 'Warning',
      now?.reason ?? 'Unknown',
      now?.message ?? '',
    );
  }
  return true;
}
