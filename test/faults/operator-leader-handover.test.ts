import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { LEASES } from '../../operator/controller/leader-election.ts';
import type { LeaseSpec } from '../../operator/controller/lease-decision.ts';
import { kubectlOk } from '../infra/kubectl.ts';
import { patchLogRepo } from '../kube/kubectl-steps.ts';
import { eventually } from '../support/eventually.ts';
import {
  type ChildOperator,
  childOperators,
  freshNamespace,
  logRepoYaml,
  newClient,
  printFigures,
  quietWrites,
  repoNames,
  waitForConvergence,
} from './operator-fault-kit.ts';

// Two operator processes with leader election; the leader is SIGKILLed, so its Lease is not
// released and must expire. The standby takes the Lease within the lease duration (15 s,
// plus one 2 s retry period, counted from the kill), reconciles what changed while nobody
// led, and then writes nothing but its Lease renewals.

const LEASE_DURATION_MS = 15_000;
const RETRY_PERIOD_MS = 2_000;
const REPOS = repoNames(5, 'h');

/** Reconcile writes of a child: what it PATCHes, POSTs (events) and DELETEs; PUTs are its Lease. */
const reconcileWrites = (requests: Record<string, number>) =>
  (requests.PATCH ?? 0) + (requests.POST ?? 0) + (requests.DELETE ?? 0);

describe('leader hand-over after the leader is killed', () => {
  const client = newClient();
  const operators = childOperators('sluice-operator-handover-');
  const { children } = operators;

  it('the standby takes the Lease within the lease duration and converges, then stays quiet', async () => {
    const namespace = await freshNamespace('fault-leader');
    const holder = async () =>
      ((await client.get(LEASES, namespace, 'sluice-operator'))?.spec as LeaseSpec | undefined)
        ?.holderIdentity;
    for (const name of ['a', 'b'])
      await operators.start(name, { namespaces: [namespace], leaseNamespace: namespace });
    const identityOf = (child: ChildOperator) => `${hostname()}-${child.process.pid}`;
    const leaderIdentity = await eventually(holder, (identity) =>
      children.some((child) => identityOf(child) === identity),
    );
    const leader = children.find((child) => identityOf(child) === leaderIdentity) as ChildOperator;
    const standby = children.find((child) => child !== leader) as ChildOperator;
    await kubectlOk(['apply', '-f', '-'], {
      input: REPOS.map((name) => logRepoYaml(namespace, name)).join('---\n'),
    });
    await waitForConvergence(client, namespace);
    const standbyWritesWhileFollowing = reconcileWrites(await standby.requests());

    // The kill, then an edit while nobody leads.
    await leader.process.kill();
    const killedAt = Date.now();
    await patchLogRepo(namespace, REPOS[0] as string, { spec: { kafka: { topic: 't.after-handover' } } });
    await eventually(holder, (identity) => identity === identityOf(standby), LEASE_DURATION_MS * 2, 100);
    const takeoverMs = Date.now() - killedAt;
    await waitForConvergence(client, namespace, 30_000);
    const convergedMs = Date.now() - killedAt;

    const quiet = await quietWrites(async () => reconcileWrites(await standby.requests()), 3_000);
    const requests = await standby.requests();
    printFigures('operator-leader-handover', {
      leaseDurationMs: LEASE_DURATION_MS,
      takeoverAfterKillMs: takeoverMs,
      convergedAfterKillMs: convergedMs,
      standbyWritesWhileFollowing,
      newLeaderRequests: requests,
      quietReconcileWrites3s: quiet,
    });
    expect(standbyWritesWhileFollowing).toBe(0);
    expect(takeoverMs).toBeLessThanOrEqual(LEASE_DURATION_MS + RETRY_PERIOD_MS + 500);
    expect(quiet).toBe(0);
  });
});
