import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { createFakeKubeClient } from '../../test/support/fake-kube-client.ts';
import { Informer } from './informer.ts';
import { type KubeObject, KubeWatchError } from './kube-client.ts';

const REF = { groupVersionPath: '/apis/sluice.dev/v1alpha1', plural: 'logrepos', namespaced: true };
const repo = (name: string, topic = 't'): KubeObject => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'LogRepo',
  metadata: { name, namespace: 'logs' },
  spec: { kafka: { producer: 'p', topic } },
});

function started(api: ReturnType<typeof createFakeKubeClient>) {
  const informer = new Informer(api, REF, pino({ level: 'silent' }));
  const seen: string[] = [];
  informer.onChange((event, o) => seen.push(`${event} ${o.metadata.name}`));
  informer.start();
  return { informer, seen };
}

describe('Informer', () => {
  it('relists after 410 Gone and reports what changed meanwhile', async () => {
    const api = createFakeKubeClient([
      [REF, repo('a')],
      [REF, repo('b')],
    ]);
    const { informer, seen } = started(api);
    await informer.synced;
    await vi.waitFor(() => expect(api.counts.watches).toBe(1));
    api.put(REF, repo('b', 't2'));
    // Changes the watch never delivers, then its resourceVersion expires.
    api.suspendWatches();
    api.put(REF, repo('a', 't2'));
    api.put(REF, repo('c'));
    api.remove(REF, 'logs', 'b');
    api.endWatches('gone');
    await vi.waitFor(() => expect(seen).toHaveLength(6), { timeout: 5000 });
    informer.stop();
    expect(seen).toEqual(['added a', 'added b', 'updated b', 'updated a', 'added c', 'deleted b']);
    expect(informer.stats.gone).toBe(1);
    expect(
      informer
        .list()
        .map((o) => o.metadata.name)
        .sort(),
    ).toEqual(['a', 'c']);
  });

  it('restarts with backoff after a watch error and keeps serving the cache', async () => {
    const api = createFakeKubeClient([[REF, repo('a')]]);
    const { informer } = started(api);
    await informer.synced;
    await vi.waitFor(() => expect(api.counts.watches).toBe(1));
    api.endWatches(new Error('connection reset'));
    await vi.waitFor(() => expect(api.counts.lists).toBe(2), { timeout: 5000 });
    informer.stop();
    expect(informer.stats.errors).toBe(1);
    expect(informer.get('logs', 'a')).toBeDefined();
  });

  it('survives a handler that throws: relists and hands the event over again', async () => {
    const api = createFakeKubeClient([[REF, repo('a')]]);
    const informer = new Informer(api, REF, pino({ level: 'silent' }));
    const seen: string[] = [];
    let failures = 1;
    informer.onChange((event, o) => {
      if (o.metadata.name === 'b' && failures-- > 0) throw new Error('handler bug');
      seen.push(`${event} ${o.metadata.name}`);
    });
    const other: string[] = [];
    informer.onChange((event, o) => other.push(`${event} ${o.metadata.name}`));
    informer.start();
    await informer.synced;
    await vi.waitFor(() => expect(api.counts.watches).toBe(1));
    api.put(REF, repo('b'));
    await vi.waitFor(() => expect(seen).toEqual(['added a', 'added b']), { timeout: 5000 });
    informer.stop();
    // Delivery is at least once: the handlers that did not throw see the retried event too.
    expect(other).toEqual(['added a', 'added b', 'added b']);
    expect(informer.stats.handlerErrors).toBe(1);
    expect(api.counts.lists).toBe(2);
  });

  it('relists after a watch event that is not one (a malformed line ends the watch)', async () => {
    const api = createFakeKubeClient([[REF, repo('a')]]);
    const { informer, seen } = started(api);
    await informer.synced;
    await vi.waitFor(() => expect(api.counts.watches).toBe(1));
    api.suspendWatches();
    api.put(REF, repo('a', 'moved'));
    api.endWatches(new KubeWatchError('WATCH_MALFORMED_EVENT', 'not a watch event: {"type":'));
    await vi.waitFor(() => expect(seen).toEqual(['added a', 'updated a']), { timeout: 5000 });
    informer.stop();
    expect(informer.stats.errors).toBe(1);
  });
});
