import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createFakeKubeClient } from '../../test/support/fake-kube-client.ts';
import type { KubeObject, ResourceRef } from '../kube/kube-client.ts';
import { WrittenStatuses } from '../status/written-statuses.ts';
import { type Caches, reconcileNamespace } from './reconcile-namespace.ts';
import { CONFIG_MAPS, KAFKA_PRODUCERS, LOG_REPOS } from './resources.ts';

/** The shared in-memory API: applies land in the store the caches read, and every write is counted. */
function fakeWorld(objects: KubeObject[]) {
  const refOf = (object: KubeObject): ResourceRef =>
    object.kind === 'LogRepo' ? LOG_REPOS : object.kind === 'KafkaProducer' ? KAFKA_PRODUCERS : CONFIG_MAPS;
  const client = createFakeKubeClient(objects.map((object) => [refOf(object), object]));
  const caches: Caches = client.caches;
  const events: string[] = [];
  const deps = {
    client,
    caches,
    logger: pino({ level: 'silent' }),
    now: () => '2026-01-01T00:00:00Z',
    written: new WrittenStatuses(),
    events: {
      record: async (_o: KubeObject, type: string, reason: string) => void events.push(`${type} ${reason}`),
    },
  };
  return { store: client.objects, writes: client.writes, events, deps };
}

const producer = (name: string): KubeObject => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'KafkaProducer',
  metadata: { name, namespace: 'logs', generation: 1 },
  spec: { brokers: ['kafka:9092'] },
});
const repo = (name: string, producerName = 'main'): KubeObject => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'LogRepo',
  metadata: { name, namespace: 'logs', generation: 1 },
  spec: { kafka: { producer: producerName, topic: `logs.${name}`, mode: 'sync' } },
});

describe('reconcileNamespace', () => {
  it('applies the ConfigMap and statuses once; a second reconcile of the same world writes nothing', async () => {
    const world = fakeWorld([producer('main'), repo('access'), repo('orphan', 'ghost')]);
    const first = await reconcileNamespace('logs', world.deps);
    expect(first.configMapWritten).toBe(true);
    expect(world.writes.sort()).toEqual([
      'apply configmaps/sluice-gateway-config',
      'status kafkaproducers/main',
      'status logrepos/access',
      'status logrepos/orphan',
    ]);
    expect(world.events.sort()).toEqual(['Normal Applied', 'Normal Applied', 'Warning ProducerNotFound']);
    const orphan = world.store.get('logrepos/logs/orphan')?.status as {
      conditions: Array<{ status: string; reason: string }>;
    };
    expect(orphan.conditions[0]).toMatchObject({ status: 'False', reason: 'ProducerNotFound' });

    world.writes.length = 0;
    const second = await reconcileNamespace('logs', world.deps);
    expect(second).toEqual({ revision: first.revision, configMapWritten: false, statusWrites: 0 });
    expect(world.writes).toEqual([]);
  });

  it('removes its ConfigMap once the last LogRepo is gone', async () => {
    const world = fakeWorld([producer('main'), repo('access')]);
    await reconcileNamespace('logs', world.deps);
    world.store.delete('logrepos/logs/access');
    world.writes.length = 0;
    await reconcileNamespace('logs', world.deps);
    expect(world.writes).toContain('delete configmaps/sluice-gateway-config');
  });
});
