import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type GatewayProcess, startGatewayProcess } from '../../bench/gateway-process.ts';
import { ANNOTATIONS } from '../../operator/api/constants.ts';
import { DEPLOYMENTS } from '../../operator/controller/fleet-resources.ts';
import type { startOperator } from '../../operator/controller/operator-controller.ts';
import { CONFIG_MAPS } from '../../operator/controller/resources.ts';
import {
  createKubeClient,
  type KubeClient,
  type KubeObject,
  loadKubeConfig,
} from '../../operator/kube/kube-client.ts';
import { createTopic, uniqueTopicName } from '../infra/kafka-admin.ts';
import { kcatConsume } from '../infra/kcat.ts';
import { kubectlOk } from '../infra/kubectl.ts';
import { patchLogRepo } from '../kube/kubectl-steps.ts';
import { installUpstreamCrds } from '../kube/upstream-crds.ts';
import { writeConfigMapVolume } from '../support/atomic-writer.ts';
import { installChartIdentity } from '../support/chart-identity.ts';
import { eventually as eventuallyWithin } from '../support/eventually.ts';
import { startInProcessOperator } from '../support/in-process-operator.ts';
import { postLines } from '../support/start-test-gateway.ts';

// Deployments and pods take longer to settle than the operator's own objects.
const eventually = <T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 20_000) =>
  eventuallyWithin(probe, accept, timeoutMs, 100);

// The data path behind the canary practice, end to end: the operator (in-process, as the
// Helm chart's ServiceAccount, real apiserver) renders the stable and canary ConfigMaps;
// each is synced into a directory the way the kubelet projects a ConfigMap volume (atomic
// ..data swap); a real gateway process per
// track serves from its directory; lines posted to each land in the real Kafka broker, and
// each track applied its own pipeline. A later edit of the canary pipeline reaches the canary
// process by hot reload: same process, same pod template, new revision.

const ns = `e2e-${Date.now().toString(36)}`;
const brokers = inject('kafkaBrokers');
const topic = uniqueTopicName('orders');
const plainTopic = uniqueTopicName('plain');
const logger = pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' });

/**
 * Keeps `dir` in step with a ConfigMap as the kubelet does: every change of its data becomes
 * one atomic swap of the directory's ..data symlink. (The kubelet syncs on its own period;
 * 200 ms keeps the test short.)
 */
function syncConfigMapVolume(client: KubeClient, name: string, dir: string) {
  let last = '';
  let stopped = false;
  const synced = (async () => {
    while (!stopped) {
      const map = await client.get(CONFIG_MAPS, ns, name).catch(() => undefined);
      const data = map?.data as Record<string, string> | undefined;
      if (data && JSON.stringify(data) !== last) {
        await writeConfigMapVolume(dir, data);
        last = JSON.stringify(data);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await synced;
    },
  };
}

const revisionOf = async (client: KubeClient, name: string) =>
  (await client.get(CONFIG_MAPS, ns, name))?.metadata.annotations?.[ANNOTATIONS.revision];
const served = async (gateway: GatewayProcess) =>
  ((await (await fetch(`${gateway.url}/status`)).json()) as { revision: string }).revision;
const podDigest = (deployment: KubeObject | undefined) =>
  (deployment?.spec as { template: { metadata: { annotations: Record<string, string> } } } | undefined)
    ?.template.metadata.annotations[ANNOTATIONS.podSpecDigest];
const lines = [
  '{"id":1,"level":"info"}',
  '{"id":2,"level":"warn"}',
  '{"id":3,"level":"error"}',
  '{"id":4}',
].join('\n');

describe('canary data path: operator ConfigMaps → gateway processes per track → Kafka', () => {
  const client = createKubeClient(loadKubeConfig(inject('kubeconfig')));
  let operator: ReturnType<typeof startOperator> | undefined;
  const gateways: Partial<Record<'stable' | 'canary', GatewayProcess>> = {};
  const syncers: Array<{ stop(): Promise<void> }> = [];
  const dirs: string[] = [];

  beforeAll(async () => {
    await installUpstreamCrds();
    await kubectlOk(['create', 'namespace', ns]);
    await createTopic(brokers, topic, 1);
    await createTopic(brokers, plainTopic, 1);
    // The operator runs as the Helm chart's ServiceAccount (namespaced RBAC over this
    // namespace), not as cluster admin: a permission the chart lacks fails this test.
    const identityDir = await mkdtemp(join(tmpdir(), 'sluice-e2e-identity-'));
    dirs.push(identityDir);
    const releaseNs = `${ns}-sys`;
    await kubectlOk(['create', 'namespace', releaseNs]);
    const identity = await installChartIdentity({
      release: ns,
      releaseNs,
      adminKubeconfig: inject('kubeconfig'),
      dir: identityDir,
      helmArgs: [
        '--set',
        'rbac.scope=namespaced',
        '--set',
        `operator.watchNamespaces={${ns}}`,
        '--set',
        'rbac.aggregateToDefaultRoles=false',
      ],
    });
    operator = await startInProcessOperator({
      kubeconfig: identity.kubeconfig,
      namespace: ns,
      logger,
      routes: { provider: 'apisix', hosts: [], priorities: { exact: 100, prefix: 0 }, parentRefs: [] },
    });
  });
  afterAll(async () => {
    await Promise.all(Object.values(gateways).map((gateway) => gateway?.stop(10_000)));
    await Promise.all(syncers.map((syncer) => syncer.stop()));
    await operator?.stop();
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });

  it('serves each track from its own ConfigMap, and each track applies its own pipeline', async () => {
    const brokerList = JSON.stringify(brokers.split(','));
    await kubectlOk(['apply', '-f', '-'], {
      input: `apiVersion: sluice.dev/v1alpha1
kind: KafkaProducer
metadata: { name: main, namespace: ${ns} }
spec: { brokers: ${brokerList}, compression: lz4, batch: { lingerMs: 5 } }
---
apiVersion: sluice.dev/v1alpha1
kind: LogRepo
metadata: { name: orders, namespace: ${ns} }
spec:
  kafka: { producer: main, topic: ${topic}, mode: sync }
  constraint: { field: level, exists: true }
  executers: [{ type: set, field: track, value: stable }]
  canary:
    weight: 10
    constraint: { field: level, equals: error }
    executers: [{ type: set, field: track, value: canary }]
---
apiVersion: sluice.dev/v1alpha1
kind: LogRepo
metadata: { name: plain, namespace: ${ns} }
spec:
  kafka: { producer: main, topic: ${plainTopic}, mode: sync }
`,
    });
    for (const [track, configMap] of [
      ['stable', 'sluice-gateway-config'],
      ['canary', 'sluice-gateway-config-canary'],
    ] as const) {
      await eventually(
        () => revisionOf(client, configMap),
        (revision) => revision !== undefined,
      );
      const dir = await mkdtemp(join(tmpdir(), `sluice-e2e-${track}-`));
      dirs.push(dir);
      const syncer = syncConfigMapVolume(client, configMap, dir);
      syncers.push(syncer);
      await eventually(
        () => readFile(join(dir, 'gateway.yaml'), 'utf8').catch(() => ''),
        (text) => text !== '',
      );
      gateways[track] = await startGatewayProcess({
        mainFile: 'gateway/main.ts',
        configFile: join(dir, 'gateway.yaml'),
        cwd: process.cwd(),
      });
    }
    const stable = gateways.stable as GatewayProcess;
    const canary = gateways.canary as GatewayProcess;
    expect(await served(stable)).toBe(await revisionOf(client, 'sluice-gateway-config'));
    expect(await served(canary)).toBe(await revisionOf(client, 'sluice-gateway-config-canary'));

    const fromStable = await postLines(`${stable.url}/log/repo/orders`, lines);
    expect(fromStable.status).toBe(200);
    expect(fromStable.body).toMatchObject({
      received: 4,
      accepted: 3,
      dropped: { total: 1, byReason: { constraint: 1 } },
    });
    const fromCanary = await postLines(`${canary.url}/log/repo/orders`, lines);
    expect(fromCanary.status).toBe(200);
    expect(fromCanary.body).toMatchObject({
      received: 4,
      accepted: 1,
      dropped: { total: 3, byReason: { constraint: 3 } },
    });

    const records = (await kcatConsume({ brokers, topic, count: 4, timeoutMs: 20_000 })).map(
      (message) => JSON.parse(message.value) as { id: number; level: string; track: string },
    );
    expect(records.filter((r) => r.track === 'stable').map((r) => r.id)).toEqual([1, 2, 3]);
    expect(records.filter((r) => r.track === 'canary')).toEqual([{ id: 3, level: 'error', track: 'canary' }]);

    // The canary track serves every repo of the namespace; one without overrides behaves as on stable.
    const plain = await postLines(`${canary.url}/log/repo/plain`, '{"id":5}\n');
    expect(plain.body).toMatchObject({ accepted: 1 });
    expect(
      (await kcatConsume({ brokers, topic: plainTopic, count: 1 })).map((m) => JSON.parse(m.value)),
    ).toEqual([{ id: 5 }]);
  });

  it('hot-reloads an edit of the canary pipeline into the running canary process, without a rollout', async () => {
    const canary = gateways.canary as GatewayProcess;
    const stable = gateways.stable as GatewayProcess;
    const stableRevision = await served(stable);
    const deploymentBefore = await client.get(DEPLOYMENTS, ns, 'sluice-gateway-canary');
    const canaryRevisionBefore = await revisionOf(client, 'sluice-gateway-config-canary');
    await patchLogRepo(ns, 'orders', {
      spec: { canary: { executers: [{ type: 'set', field: 'track', value: 'canary-2' }] } },
    });
    const revision = await eventually(
      () => revisionOf(client, 'sluice-gateway-config-canary'),
      (value) => value !== undefined && value !== canaryRevisionBefore,
    );
    await eventually(
      () => served(canary),
      (value) => value === revision,
    );
    const answer = await postLines(`${canary.url}/log/repo/orders`, '{"id":6,"level":"error"}\n');
    expect(answer.body).toMatchObject({ revision, accepted: 1 });
    const records = await kcatConsume({ brokers, topic, count: 5, timeoutMs: 20_000 });
    expect(JSON.parse(records.at(-1)?.value ?? '{}')).toEqual({ id: 6, level: 'error', track: 'canary-2' });
    // The same process (same port) answered with the new revision: it reloaded in place.
    const metrics = await (await fetch(`${canary.url}/metrics`)).text();
    expect(metrics).toMatch(/sluice_config_reload_total\{result="applied"\} [1-9]/);
    // Same pod template: the config is the content of the mounted directory, not part of the pod.
    const deploymentAfter = await client.get(DEPLOYMENTS, ns, 'sluice-gateway-canary');
    // Both exist, so the equalities below do not hold for two undefineds.
    expect([podDigest(deploymentBefore), deploymentBefore?.metadata.generation]).toEqual([
      expect.any(String),
      expect.any(Number),
    ]);
    expect(podDigest(deploymentAfter)).toBe(podDigest(deploymentBefore));
    expect(deploymentAfter?.metadata.generation).toBe(deploymentBefore?.metadata.generation);
    // The stable track's config did not move.
    expect(await served(stable)).toBe(stableRevision);
  });
});
