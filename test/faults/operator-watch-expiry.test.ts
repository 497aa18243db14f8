import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { operatorWatches } from '../../operator/controller/operator-controller.ts';
import {
  KubeApiError,
  type KubeClient,
  type ResourceRef,
  type WatchHandle,
} from '../../operator/kube/kube-client.ts';
import { connectKubeControl } from '../infra/kube-control.ts';
import { kubectl, kubectlOk } from '../infra/kubectl.ts';
import { patchLogRepo } from '../kube/kubectl-steps.ts';
import { eventually } from '../support/eventually.ts';
import {
  FLEET,
  freshNamespace,
  logRepoYaml,
  newClient,
  type Operator,
  printFigures,
  quietWrites,
  ROUTES,
  startFleetOperator,
  waitForConvergence,
  writeCount,
} from './operator-fault-kit.ts';

// Watch expiry (410 Gone): the operator's watches end as a server-side timeout ends them,
// and before they start again the world moves on (edits, a create, a delete), etcd is
// compacted past every revision the operator saw and the apiserver restarted (so its watch
// cache starts after them too). Each informer's re-watch from its last resourceVersion is
// then too old; it must relist once, converge, and not fall into a list loop.

const control = connectKubeControl(inject('kubeControl'));

/**
 * The operator's client with its watches under the test's control: `hold()` ends every
 * running watch normally (as the apiserver does when timeoutSeconds passes) and keeps new
 * ones waiting until `release()`. Counts lists and the watches that answered 410 Gone.
 */
function watchControlledClient(inner: KubeClient) {
  const live = new Set<WatchHandle>();
  let gate: { promise: Promise<void>; open(): void } | undefined;
  const stats = { lists: 0, watches: 0, waiting: 0, gone: 0, otherErrors: [] as string[] };
  const client: KubeClient = {
    ...inner,
    list(...args) {
      stats.lists += 1;
      return inner.list(...args);
    },
    watch(ref, resourceVersion, onEvent, namespace, labelSelector) {
      let handle: WatchHandle | undefined;
      let stopped = false;
      const ended = (async () => {
        if (gate) {
          stats.waiting += 1;
          await gate.promise;
          stats.waiting -= 1;
        }
        if (stopped) return;
        stats.watches += 1;
        const watching = inner.watch(
          ref,
          resourceVersion,
          (event) => {
            if (event.type === 'ERROR' && event.object.code === 410) stats.gone += 1;
            else if (event.type === 'ERROR')
              stats.otherErrors.push(JSON.stringify(event.object).slice(0, 300));
            onEvent(event);
          },
          namespace,
          labelSelector,
        );
        handle = watching;
        live.add(watching);
        try {
          await watching.ended;
        } catch (error) {
          if (error instanceof KubeApiError && error.status === 410) stats.gone += 1;
          else stats.otherErrors.push(`${ref.plural}: ${String(error)}`.slice(0, 300));
          throw error;
        } finally {
          live.delete(watching);
        }
      })();
      return {
        ended,
        stop() {
          stopped = true;
          handle?.stop();
        },
      };
    },
  };
  return {
    client,
    stats,
    hold() {
      let open!: () => void;
      gate = { promise: new Promise((resolve) => (open = resolve)), open: () => open() };
      for (const handle of live) handle.stop();
    },
    release() {
      const held = gate;
      gate = undefined;
      held?.open();
    },
  };
}

/** etcd's current revision and a compaction to it, through etcd's v3 JSON gateway. */
async function compactEtcd(endpoint: string): Promise<number> {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${endpoint}${path}`, {
      method: 'POST',
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    if (!response.ok) throw new Error(`etcd ${path}: HTTP ${response.status} ${await response.text()}`);
    return (await response.json()) as { header?: { revision?: string } };
  };
  // Any key will do: the answer's header carries the store's revision.
  const range = await post('/v3/kv/range', { key: Buffer.from('/').toString('base64') });
  const revision = Number(range.header?.revision);
  await post('/v3/kv/compaction', { revision: String(revision), physical: true });
  return revision;
}

/** Every kind the fleet operator watches, as the operator itself lists them. */
const WATCHED: readonly ResourceRef[] = operatorWatches({ settings: FLEET, routes: ROUTES }).watched;

/**
 * Waits until the restarted apiserver serves watches of every kind the operator watches:
 * until its watch cache of a kind is filled it answers 429 "storage is (re)initializing",
 * which the informer would rightly treat as an error (and relist for), not as an expiry.
 */
async function watchCachesReady(namespace: string): Promise<void> {
  await eventually(
    async () => {
      const answers = await Promise.all(
        WATCHED.map((ref) =>
          kubectl([
            'get',
            '--raw',
            `${ref.groupVersionPath}/namespaces/${namespace}/${ref.plural}?watch=1&resourceVersion=0&timeoutSeconds=1`,
          ]),
        ),
      );
      return answers.filter((answer) => answer.code !== 0).length;
    },
    (failing) => failing === 0,
    30_000,
    250,
  );
}

describe('operator across watch expiry (410 Gone)', () => {
  const client = newClient();
  const controlled = watchControlledClient(newClient());
  const INFORMERS = WATCHED.length;
  let namespace: string;
  let operator: Operator;

  beforeAll(async () => {
    await control.ensureRunning();
    namespace = await freshNamespace('fault-expiry');
    operator = startFleetOperator(controlled.client, [namespace]);
    await operator.synced;
    await kubectlOk(['apply', '-f', '-'], {
      input: ['a', 'b', 'c'].map((name) => logRepoYaml(namespace, name)).join('---\n'),
    });
    await waitForConvergence(client, namespace);
  });
  afterAll(async () => {
    controlled.release();
    await control.ensureRunning();
    await operator?.stop();
  });

  it('relists once per expired watch, converges to what changed meanwhile, and stays quiet', async () => {
    controlled.hold();
    await eventually(
      async () => controlled.stats.waiting,
      (waiting) => waiting === INFORMERS,
    );
    // Meanwhile: two edits, a create and a delete the operator does not see.
    await patchLogRepo(namespace, 'a', { spec: { kafka: { topic: 't.a.v2' } } });
    await patchLogRepo(namespace, 'b', { spec: { kafka: { topic: 't.b.v2' } } });
    await kubectlOk(['apply', '-f', '-'], { input: logRepoYaml(namespace, 'd') });
    await kubectlOk(['delete', 'logrepo', 'c', '-n', namespace]);
    const compactedAt = await compactEtcd(control.info.etcdEndpoint);
    await control.restartApiserver();
    await watchCachesReady(namespace);

    const listsBefore = controlled.stats.lists;
    const released = Date.now();
    controlled.release();
    const convergeMs = await waitForConvergence(client, namespace, 60_000);
    const relists = controlled.stats.lists - listsBefore;
    const listsQuiet = controlled.stats.lists;
    const quiet = await quietWrites(() => writeCount(controlled.client), 3_000);
    const listsInQuiet = controlled.stats.lists - listsQuiet;

    printFigures('operator-watch-expiry', {
      informers: INFORMERS,
      compactedAtRevision: compactedAt,
      watchesGone410: controlled.stats.gone,
      otherWatchErrors: controlled.stats.otherErrors,
      relistsAfterRelease: relists,
      listsInQuiet3s: listsInQuiet,
      convergeAfterReleaseMs: convergeMs,
      sinceReleaseMs: Date.now() - released,
      quietWrites3s: quiet,
      operatorRequests: controlled.client.requests.byVerb,
    });
    // Every informer's watch was too old, and each relisted exactly once for it.
    expect(controlled.stats.otherErrors).toEqual([]);
    expect(controlled.stats.gone).toBe(INFORMERS);
    expect(relists).toBe(INFORMERS);
    expect(listsInQuiet).toBe(0);
    expect(quiet).toBe(0);
  });
});
