import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, inject } from 'vitest';
import { parseConfigText } from '../../gateway/config/parse-config.ts';
import {
  ANNOTATIONS,
  GATEWAY_CONFIG_KEY,
  GATEWAY_CONFIG_MAP,
  GATEWAY_NAMES,
  LABELS,
  MANAGED_BY,
} from '../../operator/api/constants.ts';
import {
  APISIX_ROUTES,
  DEPLOYMENTS,
  POD_DISRUPTION_BUDGETS,
  SERVICES,
} from '../../operator/controller/fleet-resources.ts';
import { startOperator } from '../../operator/controller/operator-controller.ts';
import { CONFIG_MAPS, KAFKA_PRODUCERS, LOG_REPOS } from '../../operator/controller/resources.ts';
import { createEventRecorder } from '../../operator/kube/event-recorder.ts';
import {
  createKubeClient,
  type KubeClient,
  type KubeObject,
  loadKubeConfig,
  type ResourceRef,
} from '../../operator/kube/kube-client.ts';
import type { FleetSettings, RouteSettings } from '../../operator/operator-config.ts';
import { repoRouteName } from '../../operator/render/render-routes.ts';
import { kubectlOk } from '../infra/kubectl.ts';
import { ManagedProcess } from '../infra/managed-process.ts';
import { freePort } from '../infra/system-tools.ts';
import { installUpstreamCrds } from '../kube/upstream-crds.ts';
import { eventually } from '../support/eventually.ts';

// What the operator fault tests share: an operator in-process or as a child process (as it
// runs in a pod), LogRepos by the dozen, a convergence probe, write counters and a snapshot
// of everything the operator renders, for comparing two runs.

const logger = pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' });
export const newClient = () => createKubeClient(loadKubeConfig(inject('kubeconfig')));
export type Operator = ReturnType<typeof startOperator>;

/** The fleet the child operator renders with its defaults' shape; images never run (no kubelet). */
export const FLEET: FleetSettings = {
  stable: { image: 'sluice/gateway:0.1.0', replicas: 2, resources: { requests: { cpu: '100m' } } },
  canary: { image: 'sluice/gateway:0.1.0', replicas: 1, resources: { requests: { cpu: '100m' } } },
  canaryGraceSeconds: 2,
};
export const ROUTES: RouteSettings = {
  provider: 'apisix',
  hosts: [],
  priorities: { exact: 100, prefix: 0 },
  parentRefs: [],
};
/** The same fleet and routes as command-line flags of operator/main.ts. */
const FLEET_FLAGS = [
  `--stable-image=${FLEET.stable.image}`,
  `--canary-image=${FLEET.canary.image}`,
  `--stable-replicas=${FLEET.stable.replicas}`,
  `--canary-replicas=${FLEET.canary.replicas}`,
  `--stable-resources=${JSON.stringify(FLEET.stable.resources)}`,
  `--canary-resources=${JSON.stringify(FLEET.canary.resources)}`,
  `--canary-grace-seconds=${FLEET.canaryGraceSeconds}`,
  '--route-provider=apisix',
  `--exact-route-priority=${ROUTES.priorities.exact}`,
  `--prefix-route-priority=${ROUTES.priorities.prefix}`,
];

/** An operator with the gateway fleet and APISIX routes, in this process; no leader election unless asked. */
export function startFleetOperator(
  client: KubeClient,
  namespaces: readonly string[],
  extra: Pick<Parameters<typeof startOperator>[0], 'leaderElection' | 'resyncMs'> = {},
): Operator {
  return startOperator({
    client,
    logger,
    events: createEventRecorder(client, logger),
    namespaces,
    workers: 2,
    fleet: { settings: FLEET, routes: ROUTES },
    ...extra,
  });
}

let upstreamCrds: Promise<unknown> | undefined;

/**
 * A fresh namespace `<prefix>-<time>` with the producer `main`, on an apiserver that serves
 * ApisixRoutes (the routes the operator writes here). Returns the namespace's name.
 */
export async function freshNamespace(prefix: string): Promise<string> {
  upstreamCrds ??= installUpstreamCrds();
  await upstreamCrds;
  const namespace = `${prefix}-${Date.now().toString(36)}`;
  await kubectlOk(['create', 'namespace', namespace]);
  await kubectlOk(['apply', '-f', '-'], { input: producerYaml(namespace) });
  return namespace;
}

const WRITE_VERBS = ['PATCH', 'POST', 'PUT', 'DELETE'] as const;

/** Write requests (PATCH, POST, PUT, DELETE) a client made so far. */
export function writeCount(client: Pick<KubeClient, 'requests'>): number {
  return WRITE_VERBS.reduce((sum, verb) => sum + (client.requests.byVerb[verb] ?? 0), 0);
}

/** Writes counted by `count` during `ms` of nothing happening: a converged operator makes none. */
export async function quietWrites(count: () => Promise<number> | number, ms: number): Promise<number> {
  const before = await count();
  await new Promise((resolve) => setTimeout(resolve, ms));
  return (await count()) - before;
}

/** One line of JSON on stdout, the figures a report quotes. */
export function printFigures(test: string, figures: Record<string, unknown>): void {
  console.log(JSON.stringify({ test, ...figures }));
}

const producerYaml = (namespace: string) =>
  `apiVersion: sluice.dev/v1alpha1
kind: KafkaProducer
metadata: { name: main, namespace: ${namespace} }
spec: { brokers: ["kafka:9092"], compression: lz4 }
`;

/** A LogRepo writing to `topic` through the producer `main`. */
export const logRepoYaml = (namespace: string, name: string, topic = `t.${name}`) =>
  `apiVersion: sluice.dev/v1alpha1
kind: LogRepo
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  kafka: { producer: main, topic: ${topic}, mode: async }
`;

/** `count` repo names, zero-padded so they sort as they were made. */
export const repoNames = (count: number, prefix = 'repo') =>
  Array.from({ length: count }, (_, index) => `${prefix}-${String(index).padStart(3, '0')}`);

export interface Convergence {
  readonly ok: boolean;
  /** What is still off, for the timeout message. */
  readonly pending: readonly string[];
}

/**
 * Whether the namespace shows the operator's desired state for its LogRepos as they are now:
 * the ConfigMap carries every repo with its current topic, every repo is Ready for its
 * current generation, each has its route (plus the prefix route, and no other) and the
 * stable Deployment exists. Read from the apiserver, not from any cache.
 */
export async function convergence(client: KubeClient, namespace: string): Promise<Convergence> {
  const pending: string[] = [];
  const repos = (await client.list(LOG_REPOS, namespace)).items;
  const map = await client.get(CONFIG_MAPS, namespace, GATEWAY_CONFIG_MAP);
  const text = (map?.data as Record<string, string> | undefined)?.[GATEWAY_CONFIG_KEY];
  const parsed = text === undefined ? undefined : parseConfigText(text);
  const rendered = parsed?.ok ? (parsed.config.repos as Record<string, { topic?: string }>) : {};
  for (const repo of repos) {
    const name = repo.metadata.name;
    const topic = (repo.spec as { kafka: { topic: string } }).kafka.topic;
    if (rendered[name]?.topic !== topic) pending.push(`config:${name}`);
    const status = repo.status as
      | { observedGeneration?: number; conditions?: Array<{ type: string; status: string }> }
      | undefined;
    // Rendered into the config (Configured; Ready when the fleet has no observed pods to wait for).
    const ready =
      (
        status?.conditions?.find((condition) => condition.type === 'Configured') ??
        status?.conditions?.find((condition) => condition.type === 'Ready')
      )?.status === 'True';
    if (!ready || status?.observedGeneration !== repo.metadata.generation) pending.push(`status:${name}`);
  }
  const extra = Object.keys(rendered).filter((name) => !repos.some((r) => r.metadata.name === name));
  pending.push(...extra.map((name) => `config-extra:${name}`));
  const wanted = new Set([...repos.map((repo) => repoRouteName(repo.metadata.name)), 'sluice-repos']);
  const routes = (await client.list(APISIX_ROUTES, namespace)).items.map((route) => route.metadata.name);
  for (const name of wanted) if (!routes.includes(name)) pending.push(`route:${name}`);
  for (const name of routes) if (!wanted.has(name)) pending.push(`route-extra:${name}`);
  if (!(await client.get(DEPLOYMENTS, namespace, GATEWAY_NAMES.stable.workload))) pending.push('deployment');
  return { ok: pending.length === 0, pending };
}

/** Waits until convergence(); returns how long it took, in milliseconds. */
export async function waitForConvergence(
  client: KubeClient,
  namespace: string,
  timeoutMs = 60_000,
): Promise<number> {
  const started = Date.now();
  await eventually(
    () => convergence(client, namespace).catch((error: Error) => ({ ok: false, pending: [error.message] })),
    (state) => state.ok,
    timeoutMs,
    200,
  );
  return Date.now() - started;
}

const OWNED: ReadonlyArray<readonly [string, ResourceRef]> = [
  ['configmaps', CONFIG_MAPS],
  ['deployments', DEPLOYMENTS],
  ['services', SERVICES],
  ['poddisruptionbudgets', POD_DISRUPTION_BUDGETS],
  ['apisixroutes', APISIX_ROUTES],
];

/**
 * An object without what differs between two equal runs in two namespaces: what the
 * apiserver assigns (uids, versions, times, a Service's cluster IP) and the applied-digest
 * annotation (a digest over the namespace and the owners' uids; the rest of the object is
 * compared as it is).
 */
function comparable(object: KubeObject): Record<string, unknown> {
  const { metadata, status: _status, ...rest } = object;
  const spec = rest.spec as Record<string, unknown> | undefined;
  const { [ANNOTATIONS.appliedDigest]: _digest, ...annotations } = metadata.annotations ?? {};
  return {
    ...rest,
    ...(spec?.clusterIP === undefined ? {} : { spec: { ...spec, clusterIP: '', clusterIPs: [] } }),
    metadata: {
      name: metadata.name,
      labels: metadata.labels,
      annotations,
      ownerReferences: metadata.ownerReferences?.map(({ uid: _uid, ...reference }) => reference),
    },
  };
}

/**
 * The statuses the operator writes, without the transition times and without configRevision:
 * that is the first config revision carrying the object as it is now, so it depends on the
 * order objects arrived in, by design; configDigest stands for the content.
 */
function comparableStatus(object: KubeObject): unknown {
  const { configRevision: _revision, ...status } = (object.status ?? {}) as {
    configRevision?: string;
    conditions?: Array<Record<string, unknown>>;
  };
  return {
    name: object.metadata.name,
    status: {
      ...status,
      conditions: status.conditions?.map(({ lastTransitionTime: _time, ...condition }) => condition),
    },
  };
}

/**
 * Everything the operator rendered into `namespace` (its ConfigMaps, workloads and routes,
 * the LogRepo and KafkaProducer statuses), as JSON with the namespace's name replaced, so
 * the results of two runs in two namespaces can be compared.
 */
export async function renderedSnapshot(client: KubeClient, namespace: string): Promise<string> {
  const selector = `${LABELS.managedBy}=${MANAGED_BY}`;
  const snapshot: Record<string, unknown> = {};
  const byName = (a: KubeObject, b: KubeObject) => a.metadata.name.localeCompare(b.metadata.name);
  for (const [kind, ref] of OWNED) {
    snapshot[kind] = (await client.list(ref, namespace, selector)).items.sort(byName).map(comparable);
  }
  snapshot.logRepoStatuses = (await client.list(LOG_REPOS, namespace)).items
    .sort(byName)
    .map(comparableStatus);
  snapshot.kafkaProducerStatuses = (await client.list(KAFKA_PRODUCERS, namespace)).items
    .sort(byName)
    .map(comparableStatus);
  return JSON.stringify(snapshot, null, 1).replaceAll(namespace, '<namespace>');
}

export interface ChildOperator {
  readonly process: ManagedProcess;
  readonly healthPort: number;
  /** The operator's sluice_operator_api_requests by verb (its /metrics). */
  requests(): Promise<Record<string, number>>;
  /** Successful namespace reconciles so far. */
  reconciles(): Promise<number>;
}

const NODE = fileURLToPath(new URL('../../node_modules/.bin/node', import.meta.url));
const MAIN = fileURLToPath(new URL('../../operator/main.ts', import.meta.url));
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

async function scrape(port: number): Promise<string> {
  const response = await fetch(`http://127.0.0.1:${port}/metrics`, { signal: AbortSignal.timeout(2_000) });
  return response.text();
}

/**
 * `node operator/main.ts` as its own process, as it runs in a pod: the test can SIGKILL it.
 * Resolves once its caches synced (/readyz). Its log goes to `logFile`.
 */
export async function startChildOperator(options: {
  namespaces: readonly string[];
  logFile: string;
  /** Lease namespace; no leader election without it. */
  leaseNamespace?: string;
}): Promise<ChildOperator> {
  const healthPort = await freePort();
  const process_ = new ManagedProcess({
    name: 'sluice-operator',
    command: NODE,
    args: [
      MAIN,
      `--kubeconfig=${inject('kubeconfig')}`,
      `--namespaces=${options.namespaces.join(',')}`,
      `--health-port=${healthPort}`,
      ...(options.leaseNamespace === undefined
        ? ['--no-leader-election']
        : [`--lease-namespace=${options.leaseNamespace}`, '--lease-name=sluice-operator']),
      ...FLEET_FLAGS,
    ],
    cwd: ROOT,
    env: { ...process.env, LOG_LEVEL: process.env.SLUICE_TEST_LOG ?? 'info' },
    logFile: options.logFile,
  });
  process_.start();
  await eventually(
    () =>
      fetch(`http://127.0.0.1:${healthPort}/readyz`, { signal: AbortSignal.timeout(1_000) })
        .then((response) => response.status)
        .catch(() => (process_.running ? 0 : -1)),
    (status) => status === 200 || status === -1,
    30_000,
    100,
  );
  if (!process_.running) throw new Error(`the operator exited:\n${await process_.diagnostics()}`);
  return {
    process: process_,
    healthPort,
    async requests() {
      const out: Record<string, number> = {};
      for (const match of (await scrape(healthPort)).matchAll(
        /^sluice_operator_api_requests\{verb="(\w+)"\} (\d+)/gm,
      )) {
        out[match[1] as string] = Number(match[2]);
      }
      return out;
    },
    async reconciles() {
      const match = /^sluice_operator_reconcile_total\{result="success"\} (\d+)/m.exec(
        await scrape(healthPort),
      );
      return Number(match?.[1] ?? 0);
    },
  };
}

export interface ChildOperators {
  /** Every child started so far, in start order. */
  readonly children: readonly ChildOperator[];
  /** startChildOperator() with its log in `<name>.log` of the file's log folder. */
  start(
    name: string,
    options: { namespaces: readonly string[]; leaseNamespace?: string },
  ): Promise<ChildOperator>;
}

/**
 * The child operators of one describe block: their logs go to a temp folder made before its
 * tests, and after them every child still running is killed and the folder removed.
 */
export function childOperators(prefix: string): ChildOperators {
  let logs: string;
  const children: ChildOperator[] = [];
  beforeAll(async () => {
    logs = await mkdtemp(join(tmpdir(), prefix));
  });
  afterAll(async () => {
    for (const child of children) await child.process.kill();
    await rm(logs, { recursive: true, force: true });
  });
  return {
    children,
    async start(name, options) {
      const child = await startChildOperator({ ...options, logFile: join(logs, `${name}.log`) });
      children.push(child);
      return child;
    },
  };
}

/** Writes (PATCH, POST, PUT, DELETE) in a child operator's request counts. */
export const childWrites = (requests: Record<string, number>) =>
  WRITE_VERBS.reduce((sum, verb) => sum + (requests[verb] ?? 0), 0);
