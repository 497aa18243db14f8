import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { inject } from 'vitest';
import type { startOperator } from '../../operator/controller/operator-controller.ts';
import { createKubeClient, type KubeClient, loadKubeConfig } from '../../operator/kube/kube-client.ts';
import type { FleetSettings } from '../../operator/operator-config.ts';
import { type KubeApiserverHandle, startKubeApiserver } from '../infra/kube-apiserver.ts';
import { ensureKubeBinaries } from '../infra/kube-binaries.ts';
import {
  controllerManagerServes,
  FLEET_CONTROLLERS,
  registerFakeNode,
  startControllerManager,
} from '../infra/kube-controller-manager.ts';
import { installCrds, kubectlOk } from '../infra/kubectl.ts';
import { type KubeletStandIn, startKubeletStandIn } from '../infra/kubelet-stand-in.ts';
import type { ManagedProcess } from '../infra/managed-process.ts';
import { startTraefik, TRAEFIK_CONTROLLER_NAME, type TraefikHandle } from '../infra/traefik.ts';
import { installUpstreamCrds } from '../kube/upstream-crds.ts';
import { startInProcessOperator } from './in-process-operator.ts';

// The parts an end-to-end test of the fleet behind a real Gateway API proxy stands on, all
// real but one: an apiserver of the test file's own, with the real kube-controller-manager
// (Deployments, ReplicaSets, EndpointSlices); Traefik, reading HTTPRoutes and EndpointSlices
// and proxying to the pods; a Gateway `edge` of a GatewayClass Traefik controls. The one
// stand-in is the kubelet (test/infra/kubelet-stand-in.ts): gateway pods are processes in
// network namespaces of their own on the run's pod network.

const CRDS_DIR = fileURLToPath(new URL('../../crds', import.meta.url));
const NODE = 'stand-in-node-1';

export interface TraefikFleet {
  readonly apiserver: KubeApiserverHandle;
  readonly client: KubeClient;
  readonly traefik: TraefikHandle;
  readonly kubelet: KubeletStandIn;
  readonly namespace: string;
  /** The broker address gateway pods reach (the broker's listener on the pod network). */
  readonly podBrokers: string;
  /** The pod network's host address: where Traefik's (and this process's) requests come from. */
  readonly hostAddress: string;
  kubectl(args: string[], input?: string): Promise<string>;
  /** Starts the operator in this process on the fleet's namespace (Gateway API routes to `edge`). */
  startOperator(
    fleet?: Partial<FleetSettings>,
    observeIntervalMs?: number,
  ): Promise<ReturnType<typeof startOperator>>;
  /** On a failure: the last lines of Traefik's and every pod's log. */
  dumpLogs(tag: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startTraefikFleet(options: {
  readonly namespacePrefix: string;
  readonly logger: Logger;
  readonly imageEnv?: (image: string) => Readonly<Record<string, string>>;
}): Promise<TraefikFleet> {
  const network = inject('podNetwork');
  const podBrokers = inject('kafkaPodBrokers');
  if (network === null || podBrokers === null) {
    throw new Error(
      `these tests run gateway pods in network namespaces and need the run's pod network: ${inject('podNetworkProblem')}`,
    );
  }
  const namespace = `${options.namespacePrefix}-${Date.now().toString(36)}`;
  const dir = await mkdtemp(join(tmpdir(), `sluice-${options.namespacePrefix}-`));
  const binaries = await ensureKubeBinaries();
  const apiserver = await startKubeApiserver({ binaries });
  const client = createKubeClient(loadKubeConfig(apiserver.kubeconfig));
  const kubectl = (args: string[], input?: string) =>
    kubectlOk(args, { kubeconfig: apiserver.kubeconfig, ...(input === undefined ? {} : { input }) });
  let controllerManager: ManagedProcess | undefined;
  let kubelet: KubeletStandIn | undefined;
  let traefik: TraefikHandle | undefined;
  const operators: Array<ReturnType<typeof startOperator>> = [];
  const stop = async () => {
    for (const operator of operators) await operator.stop();
    await traefik?.stop();
    await kubelet?.stop();
    await controllerManager?.shutdown(10_000);
    await apiserver.stop();
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await installCrds(CRDS_DIR, { kubeconfig: apiserver.kubeconfig });
    await installUpstreamCrds({ kubeconfig: apiserver.kubeconfig });
    controllerManager = await startControllerManager(apiserver, binaries, [
      ...FLEET_CONTROLLERS,
      'endpointslice-controller',
    ]);
    await kubectl(['create', 'namespace', namespace]);
    await controllerManagerServes(apiserver.kubeconfig, namespace);
    await registerFakeNode(apiserver.kubeconfig, NODE, {
      address: network.hostAddress,
      message: 'kubelet stand-in',
    });
    kubelet = await startKubeletStandIn({
      client,
      kubeconfig: apiserver.kubeconfig,
      namespace,
      nodeName: NODE,
      network,
      dir: join(dir, 'pods'),
      ...(options.imageEnv ? { imageEnv: options.imageEnv } : {}),
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
metadata: { name: edge, namespace: ${namespace} }
spec:
  gatewayClassName: sluice-e2e-traefik
  listeners:
    - { name: web, protocol: HTTP, port: ${traefik.webPort}, allowedRoutes: { namespaces: { from: Same } } }
`,
    );
  } catch (error) {
    await stop();
    throw error;
  }
  const running = { kubelet, traefik } as { kubelet: KubeletStandIn; traefik: TraefikHandle };
  return {
    apiserver,
    client,
    ...running,
    namespace,
    podBrokers,
    hostAddress: network.hostAddress,
    kubectl,
    async startOperator(fleet = {}, observeIntervalMs) {
      const operator = await startInProcessOperator({
        kubeconfig: apiserver.kubeconfig,
        namespace,
        logger: options.logger,
        fleet: {
          canaryGraceSeconds: 300,
          // Traefik reaches the pods from the bridge's host address: the gateways take the
          // sender's address from its X-Forwarded-For, and from nobody else.
          trustedProxies: [`${network.hostAddress}/32`],
          ...fleet,
        },
        routes: {
          provider: 'gateway-api',
          hosts: [],
          priorities: { exact: 100, prefix: 0 },
          parentRefs: [{ name: 'edge' }],
        },
        ...(observeIntervalMs === undefined ? {} : { observeIntervalMs }),
      });
      operators.push(operator);
      return operator;
    },
    async dumpLogs(tag) {
      console.log(`[${tag}] traefik log:\n${await running.traefik.logTail(40)}`);
      for (const pod of running.kubelet.pods()) {
        const tail = await readFile(pod.logFile, 'utf8')
          .then((text) => text.split('\n').slice(-15).join('\n'))
          .catch(() => '(no log)');
        console.log(`[${tag}] pod ${pod.name} ${pod.address} ready=${pod.ready}:\n${tail}`);
      }
    },
    stop,
  };
}

/**
 * The weights Traefik applies to a route's backends, read from its API: the weighted service
 * its Gateway API provider built for the route's rule, by the backend Service it leads to.
 */
export async function routedWeights(
  proxy: TraefikHandle,
  namespace: string,
  route: string,
): Promise<{ stable?: number; canary?: number }> {
  const services = (await fetch(`${proxy.apiUrl}/api/http/services?per_page=1000`).then((r) =>
    r.json(),
  )) as Array<{
    name: string;
    weighted?: { services?: Array<{ name: string; weight?: number }> };
  }>;
  const weighted = services.find((s) => s.weighted !== undefined && s.name.includes(`${namespace}-${route}`));
  const out: { stable?: number; canary?: number } = {};
  for (const backend of weighted?.weighted?.services ?? []) {
    const track = backend.name.includes('sluice-gateway-canary') ? 'canary' : 'stable';
    out[track] = (out[track] ?? 0) + (backend.weight ?? 1);
  }
  return out;
}

/** One answer a sender got: which phase it was sent in, and what the gateway said. */
export interface SentRequest {
  readonly repo: string;
  readonly phase: string;
  readonly at: number;
  readonly status: number;
  readonly revision: string | undefined;
  readonly accepted: number;
  readonly invalid: number;
  readonly ids: readonly string[];
  readonly error?: string;
}

/**
 * Senders POSTing JSON lines to repos through the proxy until stopped, each request `lines`
 * lines with unique ids; every answer is kept with the phase it was sent in, so a test can
 * count by phase and check afterwards that every acknowledged line reached Kafka.
 */
export function startSenders(options: {
  readonly url: string;
  readonly repos: Readonly<Record<string, number>>;
  readonly lines: number;
  readonly line?: (id: string) => Record<string, unknown>;
}) {
  const answers: SentRequest[] = [];
  let phase = 'warm-up';
  let running = true;
  let sequence = 0;
  const line = options.line ?? ((id: string) => ({ id, level: 'info' }));
  const send = async (repo: string) => {
    while (running) {
      sequence += 1;
      const ids = Array.from({ length: options.lines }, (_, i) => `${repo}-${sequence}-${i}`);
      const sentIn = phase;
      const at = Date.now();
      const body = `${ids.map((id) => JSON.stringify(line(id))).join('\n')}\n`;
      try {
        const response = await fetch(`${options.url}/log/repo/${repo}`, {
          method: 'POST',
          body,
          headers: { 'content-type': 'application/x-ndjson' },
          signal: AbortSignal.timeout(30_000),
        });
        const text = await response.text();
        let parsed: { revision?: string; accepted?: number; invalid?: { total?: number } } = {};
        try {
          parsed = JSON.parse(text) as typeof parsed;
        } catch {
          // Not the gateway's answer (a proxy error page): a failure, counted by its status.
        }
        answers.push({
          repo,
          phase: sentIn,
          at,
          status: response.status,
          revision: parsed.revision,
          accepted: parsed.accepted ?? 0,
          invalid: parsed.invalid?.total ?? 0,
          ids,
        });
      } catch (error) {
        answers.push({
          repo,
          phase: sentIn,
          at,
          status: 0,
          revision: undefined,
          accepted: 0,
          invalid: 0,
          ids,
          error: String(error),
        });
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  };
  const senders = Object.entries(options.repos).flatMap(([repo, count]) =>
    Array.from({ length: count }, () => send(repo)),
  );
  return {
    answers,
    setPhase(next: string) {
      phase = next;
    },
    async stop() {
      running = false;
      await Promise.all(senders);
    },
  };
}
