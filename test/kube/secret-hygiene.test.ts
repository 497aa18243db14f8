import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parseConfigText } from '../../gateway/config/parse-config.ts';
import { GATEWAY_CONFIG_KEY, GATEWAY_CONFIG_MAP } from '../../operator/api/constants.ts';
import { DEPLOYMENTS } from '../../operator/controller/fleet-resources.ts';
import { startOperator } from '../../operator/controller/operator-controller.ts';
import { CONFIG_MAPS, KAFKA_PRODUCERS, LOG_REPOS } from '../../operator/controller/resources.ts';
import { createEventRecorder } from '../../operator/kube/event-recorder.ts';
import {
  createKubeClient,
  type KubeClient,
  loadKubeConfig,
  type ResourceRef,
} from '../../operator/kube/kube-client.ts';
import type { FleetSettings } from '../../operator/operator-config.ts';
import { kubectlOk } from '../infra/kubectl.ts';
import { eventually } from '../support/eventually.ts';

// Secrets stay Secrets: with an ingest token Secret, a SASL Secret and a listener
// certificate Secret in the namespace, everything the operator writes (the gateway
// ConfigMap, Deployments, statuses, Events) and logs names them and their mount paths,
// never their content. The operator never reads a Secret; this proves nothing it writes
// picks one up on the way either.

const ns = `secrets-${Date.now().toString(36)}`;
const TOKEN = `ingest-token-${randomBytes(12).toString('hex')}`;
const PASSWORD = `sasl-password-${randomBytes(12).toString('hex')}`;
const EVENTS: ResourceRef = { groupVersionPath: '/api/v1', plural: 'events', namespaced: true };
const resources = { requests: { cpu: '100m', memory: '128Mi' } };
const fleet: FleetSettings = {
  stable: { image: 'sluice/gateway:0.1.0', replicas: 1, resources },
  canary: { image: 'sluice/gateway:0.1.0', replicas: 1, resources },
  canaryGraceSeconds: 2,
  listenerTls: { secretName: 'gateway-tls' },
};

const yaml = (objects: object[]) => objects.map((object) => JSON.stringify(object)).join('\n---\n');

describe('no secret in anything the operator writes', () => {
  const client: KubeClient = createKubeClient(loadKubeConfig(inject('kubeconfig')));
  const logs: string[] = [];
  let operator: ReturnType<typeof startOperator> | undefined;

  beforeAll(async () => {
    await kubectlOk(['create', 'namespace', ns]);
    await kubectlOk(['apply', '-f', '-'], {
      input: yaml([
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'ingest-tokens', namespace: ns },
          stringData: { tokens: `${TOKEN}\n` },
        },
        {
          apiVersion: 'v1',
          kind: 'Secret',
          metadata: { name: 'kafka-user', namespace: ns },
          stringData: { username: 'sluice', password: PASSWORD },
        },
        {
          apiVersion: 'sluice.dev/v1alpha1',
          kind: 'KafkaProducer',
          metadata: { name: 'main', namespace: ns },
          spec: {
            brokers: ['kafka:9092'],
            sasl: { mechanism: 'scram-sha-512', secretRef: { name: 'kafka-user' } },
          },
        },
        {
          apiVersion: 'sluice.dev/v1alpha1',
          kind: 'LogRepo',
          metadata: { name: 'secure', namespace: ns },
          spec: {
            kafka: { producer: 'main', topic: 'logs.secure' },
            auth: { secretRef: { name: 'ingest-tokens' } },
          },
        },
        {
          // Left out (no such producer): a warning status and Event to inspect too.
          apiVersion: 'sluice.dev/v1alpha1',
          kind: 'LogRepo',
          metadata: { name: 'orphan', namespace: ns },
          spec: {
            kafka: { producer: 'missing', topic: 'logs.orphan' },
            auth: { secretRef: { name: 'ingest-tokens', key: 'tokens' } },
          },
        },
      ]),
    });
    const destination = new Writable({
      write(chunk, _encoding, done) {
        logs.push(String(chunk));
        done();
      },
    });
    const logger = pino({ level: 'debug' }, destination);
    operator = startOperator({
      client,
      logger,
      events: createEventRecorder(client, logger),
      namespaces: [ns],
      fleet: {
        settings: fleet,
        routes: { provider: 'none', hosts: [], priorities: { exact: 100, prefix: 0 }, parentRefs: [] },
      },
    });
  });

  afterAll(async () => {
    await operator?.stop();
  });

  it('renders the token file path and the listener certificate paths, mounts the Secrets, leaks nothing', async () => {
    const map = await eventually(
      () => client.get(CONFIG_MAPS, ns, GATEWAY_CONFIG_MAP),
      (found) =>
        String((found?.data as Record<string, string> | undefined)?.[GATEWAY_CONFIG_KEY]).includes('secure'),
      30_000,
    );
    const text = String((map?.data as Record<string, string> | undefined)?.[GATEWAY_CONFIG_KEY]);
    const parsed = parseConfigText(text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.config.repos.secure?.auth).toEqual({
      tokensFile: '/etc/sluice/secrets/ingest-tokens/tokens',
    });
    expect(parsed.config.server.tls).toEqual({
      certFile: '/etc/sluice/secrets/gateway-tls/tls.crt',
      keyFile: '/etc/sluice/secrets/gateway-tls/tls.key',
    });
    const deployment = await eventually(
      () => client.get(DEPLOYMENTS, ns, 'sluice-gateway'),
      (found) => found !== undefined,
      30_000,
    );
    const volumes = JSON.stringify(
      (deployment?.spec as { template?: { spec?: { volumes?: unknown } } } | undefined)?.template?.spec
        ?.volumes,
    );
    for (const secret of ['ingest-tokens', 'kafka-user', 'gateway-tls'])
      expect(volumes).toContain(`"secretName":"${secret}"`);
    // Statuses written for both repos and the producer, the orphan's with its warning.
    await eventually(
      async () => (await client.get(LOG_REPOS, ns, 'orphan'))?.status,
      (status) => JSON.stringify(status ?? {}).includes('ProducerNotFound'),
      30_000,
    );
    // The orphan's warning Event is among what gets checked.
    const events = await eventually(
      () => client.list(EVENTS, ns),
      (list) => list.items.length > 0,
      30_000,
    );
    const written = [
      JSON.stringify(map),
      JSON.stringify(deployment),
      JSON.stringify(await client.list(LOG_REPOS, ns)),
      JSON.stringify(await client.list(KAFKA_PRODUCERS, ns)),
      JSON.stringify(events),
      logs.join(''),
    ];
    for (const item of written) {
      expect(item).not.toContain(TOKEN);
      expect(item).not.toContain(PASSWORD);
      expect(item).not.toContain(Buffer.from(`${TOKEN}\n`).toString('base64'));
      expect(item).not.toContain(Buffer.from(PASSWORD).toString('base64'));
    }
  });
});
