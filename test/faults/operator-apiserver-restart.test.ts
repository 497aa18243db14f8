import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { LOG_REPOS } from '../../operator/controller/resources.ts';
import type { KubeClient } from '../../operator/kube/kube-client.ts';
import { connectKubeControl } from '../infra/kube-control.ts';
import { reconcileAgain, reconcileCount } from '../kube/reconcile-again.ts';
import {
  freshNamespace,
  newClient,
  type Operator,
  printFigures,
  quietWrites,
  repoNames,
  startFleetOperator,
  waitForConvergence,
  writeCount,
} from './operator-fault-kit.ts';

// The apiserver goes away under a running operator twice, once gracefully (SIGTERM and a
// start) and once as a crash (SIGKILL to the apiserver; etcd keeps its data), while a writer
// keeps creating and editing LogRepos. The operator must re-establish its watches and
// converge to the desired ConfigMap, workloads, routes and statuses, and then write nothing.

const control = connectKubeControl(inject('kubeControl'));
const REPOS = repoNames(24, 'r');
const MANAGER = 'fault-writer';

/** Server-side apply of one LogRepo by the test's writer, retried while the apiserver is down. */
async function applyRepo(client: KubeClient, namespace: string, name: string, topic: string) {
  for (;;) {
    try {
      await client.apply(
        LOG_REPOS,
        {
          apiVersion: 'sluice.dev/v1alpha1',
          kind: 'LogRepo',
          metadata: { name, namespace },
          spec: { kafka: { producer: 'main', topic, mode: 'async' } },
        },
        MANAGER,
      );
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

describe('operator across apiserver restarts and crashes', () => {
  const client = newClient();
  const operatorClient = newClient();
  let namespace: string;
  let operator: Operator;

  beforeAll(async () => {
    await control.ensureRunning();
    namespace = await freshNamespace('fault-restart');
    operator = startFleetOperator(operatorClient, [namespace]);
    await operator.synced;
  });
  afterAll(async () => {
    await control.ensureRunning();
    await operator?.stop();
  });

  it('converges after a restart and a kill during creates and edits, then writes nothing', async () => {
    // Creates and edits in a steady stream across both faults: the first half before.
    let faultsDone = false;
    let applied = 0;
    const writer = (async () => {
      for (let index = 0; index < REPOS.length || !faultsDone; index++) {
        const name = REPOS[index % REPOS.length] as string;
        // Past the first round every apply is an edit: a new topic, so a new generation.
        await applyRepo(client, namespace, name, `t.${name}.v${Math.floor(index / REPOS.length)}`);
        applied += 1;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    })();

    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const restartStarted = Date.now();
    await control.restartApiserver();
    const restartMs = Date.now() - restartStarted;
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const killStarted = Date.now();
    await control.killApiserver();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    await control.ensureRunning();
    const killDownMs = Date.now() - killStarted;
    faultsDone = true;
    await writer;

    const convergeMs = await waitForConvergence(client, namespace, 90_000);

    // Watches, not the resync (5 minutes), deliver a change made now.
    const edited = REPOS[0] as string;
    const changeStarted = Date.now();
    await applyRepo(client, namespace, edited, `t.${edited}.after`);
    await waitForConvergence(client, namespace, 15_000);
    const changeMs = Date.now() - changeStarted;

    const quiet = await quietWrites(() => writeCount(operatorClient), 3_000);
    // Level-triggered: reconciling the converged namespace again writes nothing either.
    const beforeAgain = writeCount(operatorClient);
    await reconcileAgain(operator, namespace);
    const againWrites = writeCount(operatorClient) - beforeAgain;

    printFigures('operator-apiserver-restart', {
      repos: REPOS.length,
      writerApplies: applied,
      restartMs,
      killDownMs,
      convergeAfterFaultsMs: convergeMs,
      changeAfterFaultsMs: changeMs,
      operatorWrites: writeCount(operatorClient),
      operatorRequests: operatorClient.requests.byVerb,
      reconciles: await reconcileCount(operator),
      quietWrites3s: quiet,
      reconcileAgainWrites: againWrites,
    });
    expect(quiet).toBe(0);
    expect(againWrites).toBe(0);
  });
});
