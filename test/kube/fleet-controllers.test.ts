import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APISIX_ROUTES, DEPLOYMENTS } from '../../operator/controller/fleet-resources.ts';
import { startOperator } from '../../operator/controller/operator-controller.ts';
import { LOG_REPOS } from '../../operator/controller/resources.ts';
import { routeApiServed } from '../../operator/controller/route-api.ts';
import { createEventRecorder } from '../../operator/kube/event-recorder.ts';
import {
  createKubeClient,
  type KubeClient,
  type KubeObject,
  loadKubeConfig,
  type ResourceRef,
} from '../../operator/kube/kube-client.ts';
import type { FleetSettings, RouteSettings } from '../../operator/operator-config.ts';
import { type KubeApiserverHandle, startKubeApiserver } from '../infra/kube-apiserver.ts';
import { ensureKubeBinaries } from '../infra/kube-binaries.ts';
import {
  controllerManagerServes,
  FLEET_CONTROLLERS,
  registerFakeNode,
  startControllerManager,
} from '../infra/kube-controller-manager.ts';
import { installCrds, kubectlOk } from '../infra/kubectl.ts';
import type { ManagedProcess } from '../infra/managed-process.ts';
import { eventually as eventuallyWithin } from '../support/eventually.ts';
import { patchLogRepo } from './kubectl-steps.ts';
import { installUpstreamCrds } from './upstream-crds.ts';

// Deployments and pods take longer to settle than the operator's own objects.
const eventually = <T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 30_000) =>
  eventuallyWithin(probe, accept, timeoutMs, 200);

// The fleet with the controllers that act on it: an apiserver of this file's own, the real
// kube-controller-manager (Deployment, ReplicaSet, garbage-collector and disruption
// controllers) and a fake node. The node side is a small stand-in written here, not kwok: it
// binds every pod of the namespace to the one fake Node, reports it Running and Ready, and
// completes the deletion of terminating pods, as a kubelet would. So Deployments become
// Available, LogRepo statuses show real ready replicas, rollouts happen (or do not) as they
// would on a cluster, and the garbage collector acts on the routes' owner references.

const CRDS_DIR = fileURLToPath(new URL('../../crds', import.meta.url));
const ns = `ctrl-${Date.now().toString(36)}`;
const NODE = 'fake-node-1';
const logger = pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' });
const PODS: ResourceRef = { groupVersionPath: '/api/v1', plural: 'pods', namespaced: true };
const BINDINGS: ResourceRef = { groupVersionPath: '/api/v1', plural: 'bindings', namespaced: true };
const REPLICA_SETS: ResourceRef = {
  groupVersionPath: '/apis/apps/v1',
  plural: 'replicasets',
  namespaced: true,
};
const resources = { requests: { cpu: '100m', memory: '128Mi' } };
const fleet = (stableImage: string): FleetSettings => ({
  stable: { image: stableImage, replicas: 2, resources },
  canary: { image: 'sluice/gateway:0.2.0', replicas: 1, resources },
  canaryGraceSeconds: 2,
});
const routes: RouteSettings = {
  provider: 'apisix',
  hosts: [],
  priorities: { exact: 100, prefix: 0 },
  parentRefs: [],
};

/** The node side of the cluster, reduced to what Deployments need: bind, run, be ready, go. */
function startFakeKubelet(client: KubeClient, kubeconfig: string) {
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const { items } = await client.list(PODS, ns).catch(() => ({ items: [] as KubeObject[] }));
      for (const pod of items) {
        const spec = pod.spec as { nodeName?: string; containers: Array<{ name: string; image: string }> };
        const status = pod.status as { phase?: string } | undefined;
        const name = pod.metadata.name;
        try {
          if (pod.metadata.deletionTimestamp !== undefined) {
            // The kubelet confirms a graceful deletion once the containers stopped.
            await kubectlOk(
              ['delete', 'pod', name, '-n', ns, '--grace-period=0', '--force', '--wait=false'],
              {
                kubeconfig,
              },
            );
          } else if (!spec.nodeName) {
            await client.create(BINDINGS, {
              apiVersion: 'v1',
              kind: 'Binding',
              metadata: { name, namespace: ns },
              target: { apiVersion: 'v1', kind: 'Node', name: NODE },
            });
          } else if (status?.phase !== 'Running') {
            const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
            const condition = (type: string) => ({ type, status: 'True', lastTransitionTime: now });
            await client.applyStatus(
              PODS,
              {
                apiVersion: 'v1',
                kind: 'Pod',
                metadata: { name, namespace: ns },
                status: {
                  phase: 'Running',
                  podIP: '10.244.0.10',
                  startTime: now,
                  conditions: ['PodScheduled', 'Initialized', 'ContainersReady', 'Ready'].map(condition),
                  containerStatuses: spec.containers.map((container) => ({
                    name: container.name,
                    image: container.image,
                    imageID: '',
                    ready: true,
                    started: true,
                    restartCount: 0,
                    state: { running: { startedAt: now } },
                  })),
                },
              },
              'fake-kubelet',
            );
          }
        } catch {
          // A pod that changed meanwhile is handled on the next round.
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
    },
  };
}

describe('the fleet with kube-controller-manager and a fake node', () => {
  let apiserver: KubeApiserverHandle;
  let controllerManager: ManagedProcess | undefined;
  let kubelet: { stop(): Promise<void> } | undefined;
  let client: KubeClient;
  let operator: ReturnType<typeof startOperator> | undefined;
  const served: Record<string, boolean> = {};
  const kubectl = (args: string[], input?: string) =>
    kubectlOk(args, { kubeconfig: apiserver.kubeconfig, ...(input === undefined ? {} : { input }) });
  const show = async (args: string[]) => {
    const out = await kubectl(args);
    if (process.env.SLUICE_SHOW_KUBECTL) console.log(`$ kubectl ${args.join(' ')}\n${out}`);
    return out;
  };
  const start = (stableImage: string) => {
    const operatorClient = createKubeClient(loadKubeConfig(apiserver.kubeconfig));
    return startOperator({
      client: operatorClient,
      logger,
      events: createEventRecorder(operatorClient, logger),
      namespaces: [ns],
      fleet: { settings: fleet(stableImage), routes },
    });
  };
  const replicaSets = async (track: string) =>
    (await client.list(REPLICA_SETS, ns, `sluice.dev/track=${track}`)).items
      .map((rs) => rs.metadata.name)
      .sort();
  const tracksOf = async (repo: string) =>
    (
      (await client.get(LOG_REPOS, ns, repo))?.status as {
        tracks?: Record<string, { readyReplicas: number }>;
      }
    )?.tracks;

  beforeAll(async () => {
    const binaries = await ensureKubeBinaries();
    apiserver = await startKubeApiserver({ binaries });
    await installCrds(CRDS_DIR, { kubeconfig: apiserver.kubeconfig });
    client = createKubeClient(loadKubeConfig(apiserver.kubeconfig));
    served.before = await routeApiServed(client, 'apisix');
    await installUpstreamCrds({ kubeconfig: apiserver.kubeconfig });
    served.apisix = await routeApiServed(client, 'apisix');
    served.gatewayApi = await routeApiServed(client, 'gateway-api');
    controllerManager = await startControllerManager(apiserver, binaries, FLEET_CONTROLLERS);
    await kubectl(['create', 'namespace', ns]);
    // The ServiceAccount controller at work: the controller manager is up.
    await controllerManagerServes(apiserver.kubeconfig, ns);
    await registerFakeNode(apiserver.kubeconfig, NODE);
    kubelet = startFakeKubelet(client, apiserver.kubeconfig);
    operator = start('sluice/gateway:0.1.0');
    await operator.leading;
  });
  afterAll(async () => {
    await operator?.stop();
    await kubelet?.stop();
    await controllerManager?.shutdown(10_000);
    await apiserver?.stop();
  });

  it('checks through discovery that the route kind is served (the operator refuses to start otherwise)', () => {
    expect(served).toEqual({ before: false, apisix: true, gatewayApi: true });
  });

  it('Deployments become Available and every LogRepo shows its tracks’ ready replicas', async () => {
    await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: sluice.dev/v1alpha1
kind: KafkaProducer
metadata: { name: main, namespace: ${ns} }
spec: { brokers: ["kafka:9092"] }
---
apiVersion: sluice.dev/v1alpha1
kind: LogRepo
metadata: { name: access, namespace: ${ns} }
spec:
  kafka: { producer: main, topic: cdn.access, mode: sync }
  canary: { weight: 10 }
---
apiVersion: sluice.dev/v1alpha1
kind: LogRepo
metadata: { name: errors, namespace: ${ns} }
spec:
  kafka: { producer: main, topic: app.errors, mode: async }
`,
    );
    await eventually(
      () => client.get(DEPLOYMENTS, ns, 'sluice-gateway-canary'),
      (d) => d !== undefined,
    );
    await kubectl([
      'wait',
      '--for=condition=Available',
      '--timeout=60s',
      'deployment/sluice-gateway',
      'deployment/sluice-gateway-canary',
      '-n',
      ns,
    ]);
    expect(
      await eventually(
        () => tracksOf('errors'),
        (t) => t?.stable?.readyReplicas === 2 && t?.canary?.readyReplicas === 1,
      ),
      // applied 0: these pods are not processes here (no /status answers: unknown, never applied).
    ).toEqual({
      stable: { replicas: 2, readyReplicas: 2, applied: 0 },
      canary: { replicas: 1, readyReplicas: 1, applied: 0 },
    });
    const table = await show(['get', 'logrepos', '-n', ns, '-o', 'wide']);
    expect(table).toMatch(
      // Ready pods, but no EndpointSlices here (no endpointslice controller) and no process
      // answering /status: not served, so READY False and nothing counted as applied.
      /access\s+main\s+cdn\.access\s+sync\s+10\s+False\s+\S+\s+false\s+stable 0\/0, canary 0\/0\s+10\s+sluice-repo-access\s+2\s+1/,
    );
    // The disruption controller reads the budgets.
    const pdb = await eventually(
      async () => JSON.parse(await kubectl(['get', 'pdb', 'sluice-gateway', '-n', ns, '-o', 'json'])).status,
      (status) => status?.currentHealthy === 2,
    );
    expect(pdb).toMatchObject({ currentHealthy: 2, desiredHealthy: 1, disruptionsAllowed: 1 });
  });

  it('a config change reloads in place (no new ReplicaSet); an image change rolls the pods', async () => {
    const before = await replicaSets('stable');
    expect(before).toHaveLength(1);
    await patchLogRepo(
      ns,
      'errors',
      { spec: { constraint: { field: 'level', exists: true } } },
      { kubeconfig: apiserver.kubeconfig },
    );
    await eventually(
      async () =>
        JSON.parse(await kubectl(['get', 'configmap', 'sluice-gateway-config', '-n', ns, '-o', 'json'])),
      (map) => String(map.data['gateway.yaml']).includes('"level"'),
    );
    // No event marks a rollout that does not happen: 1.5 s is the window in which a wrong
    // one would have started.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(await replicaSets('stable')).toEqual(before);

    // A new stable image (the operator's configuration; a restart) is a rollout.
    await operator?.stop();
    operator = start('sluice/gateway:0.1.1');
    await operator.leading;
    await eventually(
      () => replicaSets('stable'),
      (sets) => sets.length === 2,
    );
    await kubectl(['rollout', 'status', 'deployment/sluice-gateway', '-n', ns, '--timeout=60s']);
    const pods = (await client.list(PODS, ns, 'sluice.dev/track=stable')).items.filter(
      (pod) => pod.metadata.deletionTimestamp === undefined,
    );
    expect(
      pods.map((pod) => (pod.spec as { containers: Array<{ image: string }> }).containers[0]?.image),
    ).toEqual(['sluice/gateway:0.1.1', 'sluice/gateway:0.1.1']);
  });

  it('scales the canary away after the grace period: its ReplicaSets and pods go with it', async () => {
    await patchLogRepo(
      ns,
      'access',
      { spec: { canary: { weight: 0 } } },
      { kubeconfig: apiserver.kubeconfig },
    );
    await eventually(
      () => client.get(DEPLOYMENTS, ns, 'sluice-gateway-canary'),
      (d) => d === undefined,
    );
    await eventually(
      async () => [
        ...(await replicaSets('canary')),
        ...(await client.list(PODS, ns, 'sluice.dev/track=canary')).items,
      ],
      (left) => left.length === 0,
    );
    expect(
      await eventually(
        () => tracksOf('access'),
        (t) => t?.canary === undefined,
      ),
    ).toEqual({
      stable: { replicas: 2, readyReplicas: 2, applied: 0 },
    });
    await show(['get', 'logrepos', '-n', ns, '-o', 'wide']);
  });

  it('the garbage collector removes the route of a deleted LogRepo, even with the operator stopped', async () => {
    await operator?.stop();
    operator = undefined;
    expect(await client.get(APISIX_ROUTES, ns, 'sluice-repo-errors')).toBeDefined();
    await kubectl(['delete', 'logrepo', 'errors', '-n', ns]);
    await eventually(
      () => client.get(APISIX_ROUTES, ns, 'sluice-repo-errors'),
      (route) => route === undefined,
    );
    expect(await client.get(APISIX_ROUTES, ns, 'sluice-repo-access')).toBeDefined();
  });
});
