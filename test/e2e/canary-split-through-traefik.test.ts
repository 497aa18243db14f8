import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ANNOTATIONS } from '../../operator/api/constants.ts';
import { HTTP_ROUTES } from '../../operator/controller/fleet-resources.ts';
import type { startOperator } from '../../operator/controller/operator-controller.ts';
import { CONFIG_MAPS, LOG_REPOS } from '../../operator/controller/resources.ts';
import { createKubeClient, type KubeClient, loadKubeConfig } from '../../operator/kube/kube-client.ts';
import { goModDownload } from '../infra/go-modules.ts';
import { createTopic, uniqueTopicName } from '../infra/kafka-admin.ts';
import { kcatConsume } from '../infra/kcat.ts';
import { type KubeApiserverHandle, startKubeApiserver } from '../infra/kube-apiserver.ts';
import { ensureGo, ensureKubeBinaries } from '../infra/kube-binaries.ts';
import {
  controllerManagerServes,
  FLEET_CONTROLLERS,
  registerFakeNode,
  startControllerManager,
} from '../infra/kube-controller-manager.ts';
import { installCrds, kubectlOk } from '../infra/kubectl.ts';
import { type KubeletStandIn, startKubeletStandIn } from '../infra/kubelet-stand-in.ts';
import type { ManagedProcess } from '../infra/managed-process.ts';
import {
  replaceDirectives,
  startTraefik,
  TRAEFIK_CONTROLLER_NAME,
  TRAEFIK_DIST_GO_MOD,
  TRAEFIK_MODULE,
  type TraefikHandle,
  traefikVersion,
} from '../infra/traefik.ts';
import { installUpstreamCrds } from '../kube/upstream-crds.ts';
import { eventually as eventuallyWithin } from '../support/eventually.ts';
import { startInProcessOperator } from '../support/in-process-operator.ts';

// The per-repo canary split on real traffic, through a real Gateway API proxy. Parts, all
// real but one: an apiserver of this file's own with the real kube-controller-manager
// (Deployments, ReplicaSets, EndpointSlices); the operator, writing HTTPRoutes; Traefik
// (built from source by provisioning), reading those HTTPRoutes and the track Services'
// EndpointSlices and proxying to the pods; gateway processes producing to the real broker.
// The one stand-in is the kubelet (test/infra/kubelet-stand-in.ts): it runs each gateway pod
// as a process in a network namespace of its own, with its ConfigMap projected the way the
// kubelet does, and reports it Ready when /readyz answers.
//
// Senders POST to Traefik for two repos under steady load while the canary weight of one of
// them goes 0 → 10 → 50 → 100 → 0. Each answer names the config revision that served it,
// and the stable and canary tracks serve different revisions, so every request is counted
// to the track that answered it.

const CRDS_DIR = fileURLToPath(new URL('../../crds', import.meta.url));
const ns = `split-${Date.now().toString(36)}`;
const NODE = 'stand-in-node-1';
const logger = pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' });
const brokers = inject('kafkaBrokers');
const accessTopic = uniqueTopicName('split-access');
const errorsTopic = uniqueTopicName('split-errors');
const WEIGHTS = [0, 10, 50, 100, 0] as const;
/** Requests to the canaried repo per phase (Traefik's weighted round robin is deterministic: a window of 200 at 10 % is 20 ± a couple). */
const WINDOW = 200;
/** Percentage points a phase's measured canary share may differ from its weight. */
const TOLERANCE = 2;
const SENDERS = { access: 3, errors: 1 } as const;
const LINES_PER_REQUEST = 5;

const eventually = <T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 60_000) =>
  eventuallyWithin(probe, accept, timeoutMs, 200);

interface Answer {
  readonly repo: 'access' | 'errors';
  readonly phase: string;
  readonly status: number;
  readonly revision: string | undefined;
  readonly accepted: number;
  readonly ids: readonly string[];
  readonly error?: string;
}

describe('the canary split through a real proxy: operator HTTPRoutes → Traefik → gateway pods → Kafka', () => {
  let apiserver: KubeApiserverHandle;
  let controllerManager: ManagedProcess | undefined;
  let kubelet: KubeletStandIn | undefined;
  let traefik: TraefikHandle | undefined;
  let operator: ReturnType<typeof startOperator> | undefined;
  let client: KubeClient;
  let dir = '';
  const kubectl = (args: string[], input?: string) =>
    kubectlOk(args, { kubeconfig: apiserver.kubeconfig, ...(input === undefined ? {} : { input }) });

  beforeAll(async () => {
    const network = inject('podNetwork');
    const podBrokers = inject('kafkaPodBrokers');
    if (network === null || podBrokers === null) {
      throw new Error(
        `these tests run gateway pods in network namespaces and need the run's pod network: ${inject('podNetworkProblem')}`,
      );
    }
    dir = await mkdtemp(join(tmpdir(), 'sluice-split-'));
    const binaries = await ensureKubeBinaries();
    apiserver = await startKubeApiserver({ binaries });
    client = createKubeClient(loadKubeConfig(apiserver.kubeconfig));
    await installCrds(CRDS_DIR, { kubeconfig: apiserver.kubeconfig });
    await installUpstreamCrds({ kubeconfig: apiserver.kubeconfig });
    controllerManager = await startControllerManager(apiserver, binaries, [
      ...FLEET_CONTROLLERS,
      'endpointslice-controller',
    ]);
    await kubectl(['create', 'namespace', ns]);
    await controllerManagerServes(apiserver.kubeconfig, ns);
    await registerFakeNode(apiserver.kubeconfig, NODE, {
      address: network.hostAddress,
      message: 'kubelet stand-in',
    });
    kubelet = await startKubeletStandIn({
      client,
      kubeconfig: apiserver.kubeconfig,
      namespace: ns,
      nodeName: NODE,
      network,
      dir: join(dir, 'pods'),
    });
    traefik = await startTraefik({ apiserver, dir });
    await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: gateway.networking.k8s.io/v1
kind: GatewayClass
metadata: { name: sluice-e2e-traefik }
spec: { controllerName: ${TRAEFIK_CONTROLLER_NAME} }
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: edge, namespace: ${ns} }
spec:
  gatewayClassName: sluice-e2e-traefik
  listeners:
    - { name: web, protocol: HTTP, port: ${traefik.webPort}, allowedRoutes: { namespaces: { from: Same } } }
`,
    );
    await createTopic(brokers, accessTopic, 1);
    await createTopic(brokers, errorsTopic, 1);
    operator = await startInProcessOperator({
      kubeconfig: apiserver.kubeconfig,
      namespace: ns,
      logger,
      fleet: {
        canaryGraceSeconds: 300,
        // Traefik reaches the pods from the bridge's host address: the gateways take the
        // sender's address from its X-Forwarded-For, and from nobody else.
        trustedProxies: [`${network.hostAddress}/32`],
      },
      routes: {
        provider: 'gateway-api',
        hosts: [],
        priorities: { exact: 100, prefix: 0 },
        parentRefs: [{ name: 'edge' }],
      },
    });
    await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: sluice.dev/v1alpha1
kind: KafkaProducer
metadata: { name: main, namespace: ${ns} }
spec: { brokers: ["${podBrokers}"], compression: lz4, batch: { lingerMs: 5 } }
---
apiVersion: sluice.dev/v1alpha1
kind: LogRepo
metadata: { name: access, namespace: ${ns} }
spec:
  kafka: { producer: main, topic: ${accessTopic}, mode: sync }
  executers: [{ type: set, field: track, value: stable }]
  canary:
    weight: 0
    executers: [{ type: set, field: track, value: canary }]
---
apiVersion: sluice.dev/v1alpha1
kind: LogRepo
metadata: { name: errors, namespace: ${ns} }
spec:
  kafka: { producer: main, topic: ${errorsTopic}, mode: sync }
  executers:
    - { type: set, field: track, value: stable }
    - { type: set, field: client, from: clientAddress }
`,
    );
  }, 600_000);

  // On a failure, what the proxy and the pods said: the folder goes with afterAll.
  afterEach(async (context) => {
    if (context.task.result?.state !== 'fail') return;
    console.log(`[split] traefik log:\n${await traefik?.logTail(40)}`);
    for (const pod of kubelet?.pods() ?? []) {
      console.log(
        `[split] pod ${pod.name} ${pod.address} ready=${pod.ready}:\n${await readFile(pod.logFile, 'utf8')
          .then((t) => t.split('\n').slice(-15).join('\n'))
          .catch(() => '(no log)')}`,
      );
    }
  });

  afterAll(async () => {
    await operator?.stop();
    await traefik?.stop();
    await kubelet?.stop();
    await controllerManager?.shutdown(10_000);
    await apiserver?.stop();
    if (dir !== '') await rm(dir, { recursive: true, force: true });
  });

  it('runs the Traefik that traefik-dist pins, built with the release’s own replace directives', async () => {
    const release = await goModDownload(await ensureGo(), TRAEFIK_MODULE, await traefikVersion());
    expect(replaceDirectives(await readFile(TRAEFIK_DIST_GO_MOD, 'utf8'))).toEqual(
      replaceDirectives(await readFile(release.GoMod, 'utf8')),
    );
    const version = await fetch(`${(traefik as TraefikHandle).apiUrl}/api/version`).then((r) => r.json());
    expect(version).toMatchObject({ Version: await traefikVersion() });
  });

  it('reports the HTTPRoute accepted by the Gateway, as Traefik wrote in its status', async () => {
    const condition = await eventually(
      async () =>
        (
          (await client.get(LOG_REPOS, ns, 'access'))?.status as
            | { conditions?: Array<{ type: string; status: string; reason: string; message: string }> }
            | undefined
        )?.conditions?.find((c) => c.type === 'RouteAccepted'),
      (c) => c?.status === 'True',
    );
    expect(condition).toMatchObject({
      reason: 'Accepted',
      message: expect.stringContaining(TRAEFIK_CONTROLLER_NAME),
    });
    const route = await client.get(HTTP_ROUTES, ns, 'sluice-repo-access');
    const parents =
      (
        route?.status as
          | { parents?: Array<{ conditions: Array<{ type: string; status: string }> }> }
          | undefined
      )?.parents ?? [];
    expect(parents[0]?.conditions.filter((c) => ['Accepted', 'ResolvedRefs'].includes(c.type))).toEqual([
      expect.objectContaining({ type: 'Accepted', status: 'True' }),
      expect.objectContaining({ type: 'ResolvedRefs', status: 'True' }),
    ]);
  });

  it('splits each phase by the weight, keeps the other repo on stable, loses no acknowledged line', async () => {
    const proxy = traefik as TraefikHandle;
    const revisionTrack = new Map<string, 'stable' | 'canary'>();
    const learnRevisions = async () => {
      for (const [track, name] of [
        ['stable', 'sluice-gateway-config'],
        ['canary', 'sluice-gateway-config-canary'],
      ] as const) {
        const revision = (await client.get(CONFIG_MAPS, ns, name))?.metadata.annotations?.[
          ANNOTATIONS.revision
        ];
        if (revision !== undefined) revisionTrack.set(revision, track);
      }
    };
    // Serving at all: both stable pods ready behind Traefik.
    await eventually(
      () =>
        fetch(`${proxy.url}/log/repo/errors`, { method: 'POST', body: '{"id":"warm-up"}\n' })
          .then((r) => r.status)
          .catch(() => 0),
      (status) => status === 200,
      120_000,
    );

    const answers: Answer[] = [];
    let phase = 'warm-up';
    let running = true;
    let sequence = 0;
    const send = async (repo: Answer['repo']) => {
      while (running) {
        sequence += 1;
        const ids = Array.from({ length: LINES_PER_REQUEST }, (_, i) => `${repo}-${sequence}-${i}`);
        const at = phase;
        const body = `${ids.map((id) => JSON.stringify({ id, level: 'info' })).join('\n')}\n`;
        try {
          const response = await fetch(`${proxy.url}/log/repo/${repo}`, {
            method: 'POST',
            body,
            headers: { 'content-type': 'application/x-ndjson' },
            signal: AbortSignal.timeout(30_000),
          });
          const text = await response.text();
          let parsed: { revision?: string; accepted?: number } = {};
          try {
            parsed = JSON.parse(text) as typeof parsed;
          } catch {
            // Not the gateway's answer (a proxy error page): counted as a failure below.
          }
          answers.push({
            repo,
            phase: at,
            status: response.status,
            revision: parsed.revision,
            accepted: parsed.accepted ?? 0,
            ids,
          });
        } catch (error) {
          answers.push({
            repo,
            phase: at,
            status: 0,
            revision: undefined,
            accepted: 0,
            ids,
            error: String(error),
          });
        }
      }
    };
    const senders = [
      ...Array.from({ length: SENDERS.access }, () => send('access')),
      ...Array.from({ length: SENDERS.errors }, () => send('errors')),
    ];

    const shares: Array<{
      weight: number;
      canary: number;
      stable: number;
      measured: number;
      errorsOnStable: number;
      errorsTotal: number;
    }> = [];
    try {
      for (const [index, weight] of WEIGHTS.entries()) {
        phase = `transition-${index}`;
        if (index > 0) {
          await kubectl([
            'patch',
            'logrepo',
            'access',
            '-n',
            ns,
            '--type=merge',
            '-p',
            JSON.stringify({ spec: { canary: { weight } } }),
          ]);
        }
        // The route carries the weight, and Traefik applied it (its API shows the weighted services).
        await eventually(
          () => routedWeights(proxy, ns, 'sluice-repo-access'),
          (weights) => (weights.canary ?? 0) === weight && (weights.stable ?? 0) === 100 - weight,
          120_000,
        );
        await learnRevisions();
        const label = `weight-${weight}-${index}`;
        const from = answers.length;
        phase = label;
        await eventually(
          async () => answers.slice(from).filter((a) => a.repo === 'access' && a.phase === label).length,
          (count) => count >= WINDOW,
          120_000,
        );
        phase = `settled-${index}`;
        const window = answers.filter((a) => a.phase === label);
        const count = (repo: Answer['repo'], track: 'stable' | 'canary') =>
          window.filter(
            (a) => a.repo === repo && a.revision !== undefined && revisionTrack.get(a.revision) === track,
          ).length;
        const access = window.filter((a) => a.repo === 'access');
        const errors = window.filter((a) => a.repo === 'errors');
        shares.push({
          weight,
          canary: count('access', 'canary'),
          stable: count('access', 'stable'),
          measured: (100 * count('access', 'canary')) / access.length,
          errorsOnStable: count('errors', 'stable'),
          errorsTotal: errors.length,
        });
      }
    } finally {
      running = false;
      await Promise.all(senders);
    }

    const failures = answers.filter((a) => a.status !== 200);
    const acked = answers.filter((a) => a.status === 200);
    const ackedIds = (repo: Answer['repo']) => acked.filter((a) => a.repo === repo).flatMap((a) => a.ids);
    const found = async (topic: string) =>
      new Set(
        (await kcatConsume({ brokers, topic, untilEnd: true, timeoutMs: 60_000 })).map(
          (m) => (JSON.parse(m.value) as { id: string }).id,
        ),
      );
    const records = await kcatConsume({ brokers, topic: accessTopic, untilEnd: true, timeoutMs: 60_000 });
    const stamped = records.filter(
      (m) => (JSON.parse(m.value) as { track: string }).track === 'canary',
    ).length;
    const canaryLines =
      acked.filter(
        (a) => a.repo === 'access' && a.revision !== undefined && revisionTrack.get(a.revision) === 'canary',
      ).length * LINES_PER_REQUEST;
    const inKafka = { access: await found(accessTopic), errors: await found(errorsTopic) };
    // The sender is this process on 127.0.0.1; the gateway's TCP peer was Traefik (the bridge's
    // host address), trusted, so the record names the sender.
    const clients = new Set(
      (await kcatConsume({ brokers, topic: errorsTopic, untilEnd: true, timeoutMs: 60_000 })).map(
        (m) => (JSON.parse(m.value) as { client?: string }).client,
      ),
    );
    const missing = {
      access: ackedIds('access').filter((id) => !inKafka.access.has(id)),
      errors: ackedIds('errors').filter((id) => !inKafka.errors.has(id)),
    };
    console.log(
      `[split] through Traefik, ${answers.length} requests (${acked.length} answered 200, ${failures.length} not):\n` +
        shares
          .map(
            (s) =>
              `  weight ${String(s.weight).padStart(3)}: access canary ${s.canary}/${s.canary + s.stable} = ${s.measured.toFixed(1)} %; errors on stable ${s.errorsOnStable}/${s.errorsTotal}`,
          )
          .join('\n') +
        `\n  lines acknowledged: access ${ackedIds('access').length}, errors ${ackedIds('errors').length}; ` +
        `missing from Kafka: ${missing.access.length + missing.errors.length}; canary-stamped records ${stamped} (canary-served lines ${canaryLines}); ` +
        `client addresses recorded behind Traefik: ${[...clients].join(', ')}`,
    );

    expect(failures.slice(0, 5)).toEqual([]);
    for (const share of shares) {
      expect(share.canary + share.stable).toBeGreaterThanOrEqual(WINDOW);
      expect(Math.abs(share.measured - share.weight), `weight ${share.weight}`).toBeLessThanOrEqual(
        TOLERANCE,
      );
      expect(share.errorsOnStable).toBe(share.errorsTotal);
      expect(share.errorsTotal).toBeGreaterThan(0);
    }
    expect(missing).toEqual({ access: [], errors: [] });
    // The config canary: exactly the lines the canary track served carry its stamp.
    expect(canaryLines).toBeGreaterThan(0);
    expect(stamped).toBe(canaryLines);
    expect([...clients]).toEqual(['127.0.0.1']);
  }, 900_000);
});

/**
 * The weights Traefik applies to a route's backends, read from its API: the weighted service
 * its Gateway API provider built for the route's rule, by the backend Service it leads to.
 */
async function routedWeights(
  proxy: TraefikHandle,
  namespace: string,
  route: string,
): Promise<{ stable?: number; canary?: number }> {
  const services = (await fetch(`${proxy.apiUrl}/api/http/services?per_page=1000`).then((r) =>
    r.json(),
  )) as Array<{
    name: string;
    weighted?: { services?: Array<{ name: string; weight?: number }> };
    serverStatus?: Record<string, string>;
  }>;
  const weighted = services.find((s) => s.weighted !== undefined && s.name.includes(`${namespace}-${route}`));
  const out: { stable?: number; canary?: number } = {};
  for (const backend of weighted?.weighted?.services ?? []) {
    const track = backend.name.includes('sluice-gateway-canary') ? 'canary' : 'stable';
    out[track] = (out[track] ?? 0) + (backend.weight ?? 1);
  }
  return out;
}
