import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfigText } from '../../gateway/config/parse-config.ts';
import { GATEWAY_CONFIG_KEY, GATEWAY_CONFIG_MAP } from '../../operator/api/constants.ts';
import { startOperator } from '../../operator/controller/operator-controller.ts';
import { CONFIG_MAPS, LOG_REPOS } from '../../operator/controller/resources.ts';
import { createEventRecorder } from '../../operator/kube/event-recorder.ts';
import { createKubeClient, type KubeClient, loadKubeConfig } from '../../operator/kube/kube-client.ts';
import { connectKubeControl } from '../infra/kube-control.ts';
import { kubectlOk } from '../infra/kubectl.ts';
import { eventually } from '../support/eventually.ts';
import { applyQuickstart, patchLogRepo } from './kubectl-steps.ts';
import { reconcileAgain, reconcileCount } from './reconcile-again.ts';

// Real kube-apiserver and etcd (kube global setup, CRDs installed), the operator running
// in-process against them, kubectl driving it the way a platform engineer would.

const ns = `op-${Date.now().toString(36)}`;
const logger = pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' });
type Operator = ReturnType<typeof startOperator>;

const newClient = () => createKubeClient(loadKubeConfig(inject('kubeconfig')));
const start = (client: KubeClient, identity: string) =>
  startOperator({
    client,
    logger,
    events: createEventRecorder(client, logger),
    namespaces: [ns],
    workers: 2,
    leaderElection: { namespace: ns, name: 'sluice-operator', identity },
  });

const gatewayConfig = async (client: KubeClient) => {
  const map = await client.get(CONFIG_MAPS, ns, GATEWAY_CONFIG_MAP);
  const text = (map?.data as Record<string, string> | undefined)?.[GATEWAY_CONFIG_KEY];
  if (!text) return undefined;
  const parsed = parseConfigText(text);
  if (!parsed.ok)
    throw new Error(`operator rendered an invalid gateway config: ${JSON.stringify(parsed.issues)}`);
  return parsed.config;
};
const readyOf = async (client: KubeClient, name: string) => {
  const repo = await client.get(LOG_REPOS, ns, name);
  const conditions = (
    repo?.status as { conditions?: Array<{ type: string; status: string; reason: string }> } | undefined
  )?.conditions;
  return conditions?.find((condition) => condition.type === 'Ready');
};

describe('operator on the real apiserver', () => {
  const client = newClient();
  let operator: Operator;
  let operatorClient: KubeClient;
  beforeAll(async () => {
    await kubectlOk(['create', 'namespace', ns]);
    operatorClient = newClient();
    operator = start(operatorClient, 'replica-a');
    await operator.leading;
  });
  afterAll(async () => {
    await operator?.stop();
  });

  it('turns kubectl-applied examples into a gateway ConfigMap and Ready statuses within seconds', async () => {
    await applyQuickstart(ns);
    const config = await eventually(
      () => gatewayConfig(client),
      (c) => Object.keys(c?.repos ?? {}).length === 2,
    );
    expect(Object.keys(config?.repos ?? {})).toEqual(['access', 'errors']);
    expect(config?.producers.main).toMatchObject({ type: 'kafka', compression: 'lz4' });
    const ready = await eventually(
      () => readyOf(client, 'access'),
      (c) => c?.status === 'True',
    );
    expect(ready).toMatchObject({ status: 'True', reason: 'Applied' });
    const table = await kubectlOk(['get', 'logrepos', '-n', ns]);
    expect(table).toMatch(/access\s+main\s+cdn\.access\s+sync\s+True/);
    const map = await client.get(CONFIG_MAPS, ns, GATEWAY_CONFIG_MAP);
    const status = (await client.get(LOG_REPOS, ns, 'access'))?.status as {
      configRevision: string;
      observedGeneration: number;
    };
    // The first revision that carried this repo as it is now; the ConfigMap names the latest.
    expect(status.configRevision).toMatch(/^sha256-[0-9a-f]{16}$/);
    expect(map?.metadata.annotations?.['sluice.dev/config-revision']).toMatch(/^sha256-[0-9a-f]{16}$/);
    expect(status.observedGeneration).toBe(1);
  });

  it('reports a missing producer on the repo, leaves it out, and recovers when the producer appears', async () => {
    await kubectlOk(['apply', '-f', '-'], {
      input: `apiVersion: sluice.dev/v1alpha1\nkind: LogRepo\nmetadata: { name: billing, namespace: ${ns} }\nspec:\n  kafka: { producer: billing, topic: billing.events, mode: sync }\n`,
    });
    const missing = await eventually(
      () => readyOf(client, 'billing'),
      (c) => c?.status === 'False',
    );
    expect(missing).toMatchObject({ status: 'False', reason: 'ProducerNotFound' });
    expect(Object.keys((await gatewayConfig(client))?.repos ?? {})).not.toContain('billing');
    const events = await kubectlOk([
      'get',
      'events',
      '-n',
      ns,
      '--field-selector',
      'involvedObject.name=billing',
      '-o',
      'json',
    ]);
    expect(JSON.parse(events).items.map((e: { reason: string }) => e.reason)).toContain('ProducerNotFound');

    await kubectlOk(['apply', '-f', '-'], {
      input: `apiVersion: sluice.dev/v1alpha1\nkind: KafkaProducer\nmetadata: { name: billing, namespace: ${ns} }\nspec: { brokers: ["kafka:9092"], compression: zstd }\n`,
    });
    expect(
      await eventually(
        () => readyOf(client, 'billing'),
        (c) => c?.status === 'True',
      ),
    ).toMatchObject({ status: 'True' });
    expect(Object.keys((await gatewayConfig(client))?.repos ?? {})).toContain('billing');
  });

  it('follows a producer rename and a repo deletion', async () => {
    await kubectlOk(['apply', '-f', '-'], {
      input: `apiVersion: sluice.dev/v1alpha1\nkind: KafkaProducer\nmetadata: { name: billing-v2, namespace: ${ns} }\nspec: { brokers: ["kafka:9092"], compression: zstd }\n`,
    });
    await patchLogRepo(ns, 'billing', { spec: { kafka: { producer: 'billing-v2' } } });
    await kubectlOk(['delete', 'kafkaproducer', 'billing', '-n', ns]);
    const renamed = await eventually(
      () => gatewayConfig(client),
      (c) => (c?.repos.billing as { producer?: string })?.producer === 'billing-v2',
    );
    expect(renamed?.producers['billing-v2']).toBeDefined();
    expect(renamed?.producers.billing).toBeUndefined();
    await kubectlOk(['delete', 'logrepo', 'errors', '-n', ns]);
    const after = await eventually(
      () => gatewayConfig(client),
      (c) => !('errors' in (c?.repos ?? {})),
    );
    expect(Object.keys(after?.repos ?? {}).sort()).toEqual(['access', 'billing']);
  });

  it('writes nothing when reconciling an unchanged world', async () => {
    // A quiet second for the reconciles the previous test set off to finish.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const counting = newClient();
    const second = start(counting, 'replica-counting');
    // Not the leader: it must not write anything but its lease attempts. It never reconciles,
    // so there is no event to wait for: half a second is the window in which nothing may happen.
    await second.synced;
    await new Promise((resolve) => setTimeout(resolve, 500));
    await second.stop();
    expect(counting.requests.byVerb.PATCH ?? 0).toBe(0);

    // The leader, asked to reconcile the converged namespace again, applies nothing.
    const patchesBefore = operatorClient.requests.byVerb.PATCH ?? 0;
    await reconcileAgain(operator, ns);
    expect(operatorClient.requests.byVerb.PATCH ?? 0).toBe(patchesBefore);
  });

  it('hands over to a second replica when the leader stops, without duplicate writes', async () => {
    const standbyClient = newClient();
    const standby = start(standbyClient, 'replica-b');
    await standby.synced;
    expect(standby.isLeader).toBe(false);
    await operator.stop();
    await standby.leading;
    expect(standby.isLeader).toBe(true);
    await eventually(
      () => reconcileCount(standby),
      (count) => count > 0,
    );
    // The world did not change: the new leader converges without writing the ConfigMap or statuses.
    expect(standbyClient.requests.byVerb.PATCH ?? 0).toBe(0);
    await patchLogRepo(ns, 'access', { spec: { kafka: { mode: 'async' } } });
    const config = await eventually(
      () => gatewayConfig(client),
      (c) => (c?.repos.access as { mode?: string })?.mode === 'async',
    );
    expect((config?.repos.access as { mode?: string })?.mode).toBe('async');
    operator = standby;
    operatorClient = standbyClient;
  });

  it('recovers its watches after an apiserver restart', async () => {
    const control = connectKubeControl(inject('kubeControl'));
    await control.restartApiserver();
    await patchLogRepo(ns, 'access', { spec: { kafka: { mode: 'sync' } } });
    const config = await eventually(
      () => gatewayConfig(client).catch(() => undefined),
      (c) => (c?.repos.access as { mode?: string })?.mode === 'sync',
      30_000,
    );
    expect((config?.repos.access as { mode?: string })?.mode).toBe('sync');
  });
});
