import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { Informer } from './informer.ts';
import { KubeApiError, type KubeClient, type KubeObject, type WatchEvent } from './kube-client.ts';

const REF = { groupVersionPath: '/apis/sluice.dev/v1alpha1', plural: 'logrepos', namespaced: true };
const object = (name: string, resourceVersion: string): KubeObject => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'LogRepo',
  metadata: { name, namespace: 'logs', resourceVersion },
});

/** A scripted API: each list returns the next snapshot; each watch plays the next script. */
function scriptedClient(snapshots: KubeObject[][], watches: Array<WatchEvent[] | 'gone' | 'error'>) {
  let lists = 0;
  let watchCalls = 0;
  const client = {
    requests: { byVerb: {} },
    list: async () => {
      const items = snapshots[Math.min(lists, snapshots.length - 1)] ?? [];
      lists += 1;
      return { items, resourceVersion: String(100 + lists) };
    },
    watch: (_ref: unknown, _rv: string, onEvent: (event: WatchEvent) => void) => {
      const script = watches[watchCalls] ?? [];
      watchCalls += 1;
      const ended = (async () => {
        await new Promise((resolve) => setTimeout(resolve, 5));
        if (script === 'gone')
          throw new KubeApiError(410, { reason: 'Expired', message: 'too old resource version' });
        if (script === 'error') throw new Error('connection reset');
        for (const event of script) onEvent(event);
        if (watchCalls > watches.length) await new Promise(() => undefined);
      })();
      return { ended, stop: () => undefined };
    },
  } as unknown as KubeClient;
  return { client, counts: () => ({ lists, watchCalls }) };
}

describe('Informer', () => {
  it('relists after 410 Gone and reports what changed meanwhile', async () => {
    const api = scriptedClient(
      [
        [object('a', '1'), object('b', '1')],
        [object('a', '2'), object('c', '1')],
      ],
      [[{ type: 'MODIFIED', object: object('b', '3') }], 'gone'],
    );
    const informer = new Informer(api.client, REF, pino({ level: 'silent' }));
    const seen: string[] = [];
    informer.onChange((event, o) => seen.push(`${event} ${o.metadata.name}`));
    informer.start();
    await informer.synced;
    // A condition, not a sleep: the scripted watches end after the relist.
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
    const api = scriptedClient([[object('a', '1')], [object('a', '1')]], ['error']);
    const informer = new Informer(api.client, REF, pino({ level: 'silent' }));
    informer.start();
    await informer.synced;
    await vi.waitFor(() => expect(api.counts().lists).toBe(2), { timeout: 5000 });
    informer.stop();
    expect(informer.stats.errors).toBe(1);
    expect(api.counts().lists).toBe(2);
    expect(informer.get('logs', 'a')).toBeDefined();
  });
});
