import { hostname } from 'node:os';
import type { Logger } from 'pino';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { GATEWAY_NAMES, LABELS, MANAGED_BY } from '../api/constants.ts';
import type { EventRecorder } from '../kube/event-recorder.ts';
import { Informer } from '../kube/informer.ts';
import type { KubeClient, KubeObject, ResourceRef } from '../kube/kube-client.ts';
import { ENDPOINT_SLICES, SERVICE_NAME_LABEL } from '../observe/endpoint-slices.ts';
import { FleetObserver } from '../observe/fleet-observer.ts';
import type { FleetSettings, RouteSettings } from '../operator-config.ts';
import { WrittenStatuses } from '../status/written-statuses.ts';
import { fleetResources } from './fleet-resources.ts';
import { runLeaderElection } from './leader-election.ts';
import type { FleetOptions } from './reconcile-fleet.ts';
import { type Caches, reconcileNamespace } from './reconcile-namespace.ts';
import { CONFIG_MAPS, GATEWAY_FLEETS, KAFKA_PRODUCERS, LOG_REPOS } from './resources.ts';
import { WorkQueue } from './work-queue.ts';

export interface OperatorOptions {
  readonly client: KubeClient;
  readonly events: EventRecorder;
  readonly logger: Logger;
  /** Namespaces to watch; `all` watches the whole cluster (needs cluster-wide RBAC). */
  readonly namespaces: readonly string[] | 'all';
  readonly workers?: number;
  readonly resyncMs?: number;
  readonly leaderElection?: {
    readonly namespace: string;
    readonly name: string;
    readonly identity?: string;
    /** How often the lease is renewed or retried (leader-election.ts's default when absent). */
    readonly retryPeriodMs?: number;
  };
  readonly now?: () => string;
  /** Called when leadership is lost; the process should exit so a stale leader never writes. */
  readonly onLostLeadership?: () => void;
  /**
   * The gateway fleet (stable and canary tracks) and routes to run in each namespace with
   * LogRepos. Without it the operator only renders ConfigMaps and statuses.
   */
  readonly fleet?: {
    readonly settings: FleetSettings;
    readonly routes: RouteSettings;
    /** Milliseconds since the epoch, for the canary grace period; Date.now by default. */
    readonly clockMs?: () => number;
    /**
     * Watch GatewayFleets (default true). False where the cluster does not serve the CRD yet
     * (Helm does not upgrade CRDs): the fleet then runs on the operator's flags alone.
     */
    readonly gatewayFleets?: boolean;
    /** How the gateway pods are polled (operator/observe/fleet-observer.ts has the defaults). */
    readonly observe?: {
      readonly intervalMs?: number;
      readonly timeoutMs?: number;
      readonly concurrency?: number;
      readonly port?: number;
    };
  };
}

export interface OperatorMetrics {
  readonly registry: Registry;
  readonly rolloutTransitions: Counter<'reason'>;
  readonly rolloutStep: Gauge<'namespace' | 'repo'>;
  readonly rolloutWeight: Gauge<'namespace' | 'repo'>;
  readonly reconciles: Counter<'result'>;
  readonly duration: Histogram;
  readonly queueDepth: Gauge;
  readonly apiRequests: Gauge<'verb'>;
}

function createOperatorMetrics(
  client: KubeClient,
  observer: () => FleetObserver | undefined,
): OperatorMetrics {
  const registry = new Registry();
  const registers = [registry];
  new Gauge({
    name: 'sluice_operator_gateway_polls',
    help: 'Polls of gateway pods (/status) by this operator process, by result: ok, or unknown (no answer, an error, a body it could not read).',
    labelNames: ['result'],
    registers,
    collect() {
      const polls = observer()?.metrics.polls;
      if (!polls) return;
      this.set({ result: 'ok' }, polls.ok);
      this.set({ result: 'unknown' }, polls.unknown);
    },
  });
  const apiRequests = new Gauge({
    name: 'sluice_operator_api_requests',
    help: 'Requests this operator process made to the Kubernetes API (watches excluded), by verb.',
    labelNames: ['verb'],
    registers,
    collect() {
      for (const [verb, count] of Object.entries(client.requests.byVerb)) this.set({ verb }, count);
    },
  });
  return {
    registry,
    apiRequests,
    rolloutTransitions: new Counter({
      name: 'sluice_operator_rollout_transitions_total',
      help: 'Rollout transitions by reason: RolloutStarted, RolloutStepPassed, RolloutPromoting, RolloutPromoted, RolloutRolledBack, RolloutAborted, RolloutPaused.',
      labelNames: ['reason'],
      registers,
    }),
    rolloutStep: new Gauge({
      name: 'sluice_operator_rollout_step',
      help: 'The step (1-based) a LogRepo rollout is at; equal to its number of steps once promoting or promoted, 0 when rolled back or aborted.',
      labelNames: ['namespace', 'repo'],
      registers,
    }),
    rolloutWeight: new Gauge({
      name: 'sluice_operator_rollout_canary_weight',
      help: 'The canary share (%) a LogRepo rollout asks for now.',
      labelNames: ['namespace', 'repo'],
      registers,
    }),
    reconciles: new Counter({
      name: 'sluice_operator_reconcile_total',
      help: 'Namespace reconciles by result.',
      labelNames: ['result'],
      registers,
    }),
    duration: new Histogram({
      name: 'sluice_operator_reconcile_duration_seconds',
      help: 'Duration of one namespace reconcile.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    }),
    queueDepth: new Gauge({
      name: 'sluice_operator_queue_depth',
      help: 'Namespaces waiting to be reconciled.',
      registers,
    }),
  };
}

/**
 * Every kind the operator watches (an informer each, per namespace scope), in order: its
 * sources (LogRepos, KafkaProducers, GatewayFleets), what it owns (selected by the managed-by
 * label), and the track Services' EndpointSlices (selected by Service name). Exported so the
 * fault tests hold every watch and know how many there are.
 */
export function operatorWatches(fleet: OperatorOptions['fleet']): {
  owned: ResourceRef[];
  watched: ResourceRef[];
  selectors: Map<ResourceRef, string>;
} {
  const owned = [
    CONFIG_MAPS,
    ...(fleet ? fleetResources(fleet.routes.provider, fleet.settings.networkPolicy !== undefined) : []),
  ];
  const sources = [
    LOG_REPOS,
    KAFKA_PRODUCERS,
    ...(fleet && fleet.gatewayFleets !== false ? [GATEWAY_FLEETS] : []),
  ];
  // The endpointslice controller labels each slice with its Service's name (not with ours).
  const watched = [...sources, ...owned, ...(fleet ? [ENDPOINT_SLICES] : [])];
  const selectors = new Map<ResourceRef, string>([
    ...owned.map((ref) => [ref, `${LABELS.managedBy}=${MANAGED_BY}`] as const),
    [
      ENDPOINT_SLICES,
      `${SERVICE_NAME_LABEL} in (${GATEWAY_NAMES.stable.workload},${GATEWAY_NAMES.canary.workload})`,
    ] as const,
  ]);
  return { owned, watched, selectors };
}

/**
 * The control loop: informers keep caches of LogRepos, KafkaProducers and the
 * operator's own objects (ConfigMaps; with a fleet also Deployments, Services,
 * PodDisruptionBudgets and routes, all selected by the managed-by label); every
 * change only enqueues its namespace; workers
 * (on the leader only) reconcile namespaces from the caches, retrying errors
 * with capped backoff. A periodic resync re-enqueues every known namespace.
 */
export function startOperator(options: OperatorOptions) {
  const { client, logger } = options;
  let observerRef: FleetObserver | undefined;
  const metrics = createOperatorMetrics(client, () => observerRef);
  const queue = new WorkQueue();
  const scopes = options.namespaces === 'all' ? [undefined] : [...options.namespaces];
  const informers = new Map<ResourceRef, Informer[]>();
  const { watched: watchedAll, selectors } = operatorWatches(options.fleet);
  const fleet: FleetOptions | undefined = options.fleet && {
    settings: options.fleet.settings,
    routes: options.fleet.routes,
    clockMs: options.fleet.clockMs ?? Date.now,
    idleSince: new Map(),
    analysing: new Set(),
    baselines: new Map(),
  };
  for (const ref of watchedAll) {
    const labelSelector = selectors.get(ref);
    informers.set(
      ref,
      scopes.map(
        (namespace) =>
          new Informer(client, ref, logger, {
            ...(namespace === undefined ? {} : { namespace }),
            ...(labelSelector === undefined ? {} : { labelSelector }),
          }),
      ),
    );
  }
  // The map holds each ref's informers, which cache that ref's objects: of its type, by construction.
  const caches: Caches = {
    list: <T extends KubeObject>(ref: ResourceRef<T>, namespace: string) =>
      (informers.get(ref) ?? []).flatMap((informer) => informer.list(namespace) as T[]),
    get: <T extends KubeObject>(ref: ResourceRef<T>, namespace: string, name: string) => {
      for (const informer of informers.get(ref) ?? []) {
        const object = informer.get(namespace, name);
        if (object !== undefined) return object as T;
      }
      return undefined;
    },
  };
  const enqueue = (_event: string, object: KubeObject) => {
    if (object.metadata.namespace) queue.add(object.metadata.namespace);
    metrics.queueDepth.set(queue.length);
  };
  for (const list of informers.values()) for (const informer of list) informer.onChange(enqueue);

  // The fleet's pods, polled off the reconcile path; what they report comes back as enqueues.
  const observer =
    options.fleet && fleet
      ? new FleetObserver({
          caches,
          logger: logger.child({ component: 'fleet-observer' }),
          // Every namespace with a LogRepo runs a fleet.
          namespaces: () =>
            new Set(
              (informers.get(LOG_REPOS) ?? []).flatMap((informer) =>
                informer.list().map((repo) => repo.metadata.namespace ?? ''),
              ),
            ),
          wantsMetrics: (namespace) => fleet.analysing.has(namespace),
          onChange: (namespace) => {
            queue.add(namespace);
            metrics.queueDepth.set(queue.length);
          },
          scheme: options.fleet.settings.listenerTls ? 'https' : 'http',
          ...(options.fleet.observe ?? {}),
        })
      : undefined;
  if (fleet && observer) fleet.observer = observer;
  observerRef = observer;
  for (const informer of informers.get(ENDPOINT_SLICES) ?? []) informer.onChange(() => observer?.nudge());

  let stopped = false;
  // One per leadership term, aborted on stop and when leadership is lost: requests of
  // reconciles in flight are cancelled instead of finishing writes that this process no
  // longer has the right to make.
  let term = new AbortController();
  const written = new WrittenStatuses();
  const worker = async () => {
    for (;;) {
      const namespace = await queue.get();
      if (namespace === undefined) return;
      const started = performance.now();
      const { signal } = term;
      try {
        // Not leading: dropped, the next term starts by enqueuing every namespace.
        if (signal.aborted) continue;
        const result = await reconcileNamespace(namespace, {
          client,
          caches,
          events: options.events,
          written,
          logger: logger.child({ namespace }),
          now: options.now ?? (() => new Date().toISOString().replace(/\.\d+Z$/, 'Z')),
          ...(fleet ? { fleet } : {}),
          signal,
          onRolloutEvent: (_namespace, _repo, reason) => metrics.rolloutTransitions.inc({ reason }),
          onRolloutStatus: (ns, repo, rollout) => {
            if (rollout === undefined) {
              metrics.rolloutStep.remove({ namespace: ns, repo });
              metrics.rolloutWeight.remove({ namespace: ns, repo });
              return;
            }
            const failed = rollout.state === 'RolledBack' || rollout.state === 'Aborted';
            metrics.rolloutStep.set(
              { namespace: ns, repo },
              failed ? 0 : Math.min(rollout.step + 1, rollout.steps),
            );
            metrics.rolloutWeight.set({ namespace: ns, repo }, rollout.weight);
          },
        });
        queue.forget(namespace);
        // A timer, not polling: the namespace comes back when its canary grace period ends.
        if (result.requeueAfterMs !== undefined) queue.addAfter(namespace, result.requeueAfterMs);
        metrics.reconciles.inc({ result: 'success' });
        logger.debug({ namespace, ...result }, 'reconciled');
      } catch (error) {
        if (signal.aborted) {
          // Cancelled on purpose (stop, lost leadership): not a failure to retry.
          metrics.reconciles.inc({ result: 'cancelled' });
          logger.info({ namespace }, 'reconcile cancelled');
          continue;
        }
        const retryInMs = queue.addRateLimited(namespace);
        metrics.reconciles.inc({ result: 'error' });
        logger.warn({ namespace, err: error, retryInMs }, 'reconcile failed; will retry');
      } finally {
        metrics.duration.observe((performance.now() - started) / 1000);
        queue.done(namespace);
        metrics.queueDepth.set(queue.length);
      }
    }
  };

  const allInformers = [...informers.values()].flat();
  for (const informer of allInformers) informer.start();
  const synced = Promise.all(allInformers.map((informer) => informer.synced));
  void synced.then(() => {
    if (!stopped) observer?.start();
  });
  let isSynced = false;
  void synced.then(() => {
    isSynced = true;
  });

  const enqueueAll = () => {
    const namespaces = new Set<string | undefined>();
    for (const informer of informers.get(LOG_REPOS) ?? [])
      for (const object of informer.list()) namespaces.add(object.metadata.namespace);
    for (const informer of informers.get(CONFIG_MAPS) ?? [])
      for (const object of informer.list()) namespaces.add(object.metadata.namespace);
    for (const namespace of namespaces) if (namespace) queue.add(namespace);
  };

  let election: ReturnType<typeof runLeaderElection> | undefined;
  const campaign = (leaderElection: NonNullable<OperatorOptions['leaderElection']>) => {
    const current = runLeaderElection({
      client,
      logger,
      namespace: leaderElection.namespace,
      name: leaderElection.name,
      identity: leaderElection.identity ?? `${hostname()}-${process.pid}`,
      ...(leaderElection.retryPeriodMs === undefined ? {} : { retryPeriodMs: leaderElection.retryPeriodMs }),
    });
    election = current;
    void current.leading.then(() => {
      // A term after a lost one: a fresh signal, and every namespace again (work of the
      // lost term was dropped, and the world may have moved meanwhile).
      if (stopped || !term.signal.aborted) return;
      term = new AbortController();
      enqueueAll();
    });
    void current.lost.then(() => {
      if (stopped) return;
      term.abort(new Error('leadership lost'));
      options.onLostLeadership?.();
      // Stand again (the operator's main exits here instead): workers reconcile only once
      // this replica holds the lease again.
      if (!stopped) campaign(leaderElection);
    });
    return current;
  };
  const first = options.leaderElection ? campaign(options.leaderElection) : undefined;

  const workers: Promise<void>[] = [];
  const resync = setInterval(enqueueAll, options.resyncMs ?? 300_000);
  resync.unref();

  const leading = (async () => {
    await synced;
    if (first) await first.leading;
    if (stopped) return;
    logger.info('starting reconcile workers');
    for (let index = 0; index < (options.workers ?? 2); index++) workers.push(worker());
  })();

  return {
    metrics,
    observer,
    queue,
    synced,
    leading,
    get ready() {
      return isSynced;
    },
    get isLeader() {
      return election ? election.isLeader : true;
    },
    async stop(): Promise<void> {
      stopped = true;
      clearInterval(resync);
      queue.shutDown();
      term.abort(new Error('operator stopping'));
      await observer?.stop();
      await Promise.all(workers);
      for (const informer of allInformers) informer.stop();
      await election?.stop();
    },
  };
}
