import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { RolloutStatus } from '../../operator/api/rollout-status.ts';
import type { startOperator } from '../../operator/controller/operator-controller.ts';
import { CONFIG_MAPS, LOG_REPOS } from '../../operator/controller/resources.ts';
import { createTopic, uniqueTopicName } from '../infra/kafka-admin.ts';
import { kcatConsume } from '../infra/kcat.ts';
import { eventually as eventuallyWithin } from '../support/eventually.ts';
import {
  routedWeights,
  type SentRequest,
  startSenders,
  startTraefikFleet,
  type TraefikFleet,
} from '../support/traefik-fleet.ts';

// Closed-loop rollouts of a repo's pipeline, on real traffic through a real Gateway API
// proxy (test/support/traefik-fleet.ts: real apiserver, kube-controller-manager, Traefik and
// broker; the kubelet is the one stand-in). The operator runs in this process and watches the
// gateway pods it created: their EndpointSlices, their /status and /metrics.
//
// 1. A good pipeline change (a field set to "v2") is promoted through every step of
//    spec.rollout, the operator killed and restarted mid-way resuming at the step it recorded.
// 2. A bad change (a convert executer that fails on every line: all lines invalid) is rolled
//    back by the analysis within one interval of the minimum sample; stable never serves it.
// Throughout, every line a gateway acknowledged with 200 is in Kafka.

const logger = pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' });
const brokers = inject('kafkaBrokers');
const topic = uniqueTopicName('rollout-access');
const LINES = 5;
const ANALYSIS = { intervalSeconds: 5, minRequests: 30, minLines: 150, maxWaitSeconds: 120 };
const STEPS = [
  { weight: 20, pauseSeconds: 4 },
  { weight: 50, pauseSeconds: 4 },
];

const eventually = <T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 120_000) =>
  eventuallyWithin(probe, accept, timeoutMs, 250);

const repoYaml = (namespace: string, executers: string) => `apiVersion: sluice.dev/v1alpha1
kind: LogRepo
metadata: { name: access, namespace: ${namespace} }
spec:
  kafka: { producer: main, topic: ${topic}, mode: sync }
  executers: ${executers}
  rollout:
    steps: ${JSON.stringify(STEPS)}
    analysis: ${JSON.stringify(ANALYSIS)}
`;

describe('closed-loop rollouts through a real proxy: observe the pods, promote a good change, roll back a bad one', () => {
  let fleet: TraefikFleet;
  let operator: ReturnType<typeof startOperator> | undefined;

  const status = async () =>
    (await fleet.client.get(LOG_REPOS, fleet.namespace, 'access'))?.status as
      | {
          rollout?: RolloutStatus;
          applied?: string;
          conditions?: Array<{ type: string; status: string; reason: string; message: string }>;
        }
      | undefined;
  const condition = async (type: string) => (await status())?.conditions?.find((c) => c.type === type);
  /** The config revision each track's ConfigMap holds now (equal once a change is promoted). */
  const revisions = async () => {
    const of = async (name: string) =>
      (await fleet.client.get(CONFIG_MAPS, fleet.namespace, name))?.metadata.annotations?.[
        'sluice.dev/config-revision'
      ];
    return { stable: await of('sluice-gateway-config'), canary: await of('sluice-gateway-config-canary') };
  };

  beforeAll(async () => {
    fleet = await startTraefikFleet({ namespacePrefix: 'rollout', logger });
    await createTopic(brokers, topic, 1);
    operator = await fleet.startOperator({}, 1000);
    await fleet.kubectl(
      ['apply', '-f', '-'],
      `apiVersion: sluice.dev/v1alpha1
kind: KafkaProducer
metadata: { name: main, namespace: ${fleet.namespace} }
spec: { brokers: ["${fleet.podBrokers}"], compression: lz4, batch: { lingerMs: 5 } }
---
${repoYaml(fleet.namespace, '[{ type: set, field: version, value: v1 }]')}`,
    );
  }, 600_000);

  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      console.log(`[rollout] status: ${JSON.stringify(await status(), null, 2)}`);
      await fleet.dumpLogs('rollout');
    }
  });

  afterAll(async () => {
    await operator?.stop();
    await fleet?.stop();
  });

  it('says Ready and ConfigApplied only once the pods serve the repo, as they report it on /status', async () => {
    // Both stable pods ready and running the repo's config (a pod counts once it is a ready endpoint).
    await eventually(status, (s) => s?.applied === 'stable 2/2');
    const applied = await condition('ConfigApplied');
    expect(applied).toMatchObject({ status: 'True', reason: 'Applied' });
    expect(applied?.message).toMatch(/every ready pod runs the current config \(stable 2\/2\)/);
    expect(await condition('Ready')).toMatchObject({ status: 'True', reason: 'Applied' });
    expect((await status())?.applied).toBe('stable 2/2');
    // What a user sees, and what a GitOps health check waits for.
    const table = await fleet.kubectl(['get', 'logrepos', '-n', fleet.namespace]);
    expect(table).toMatch(/^access\s+main\s+\S+\s+sync\s+True\s+\S+\s+false\s+stable 2\/2\s+Promoted/m);
    await fleet.kubectl([
      'wait',
      '--for=condition=ConfigApplied',
      'logrepo/access',
      '-n',
      fleet.namespace,
      '--timeout=5s',
    ]);
  }, 300_000);

  it('promotes a good change through every step, resuming after an operator restart, losing no acknowledged line', async () => {
    const senders = startSenders({ url: fleet.traefik.url, repos: { access: 3 }, lines: LINES });
    const seen: string[] = [];
    try {
      await eventually(
        async () => senders.answers.filter((a) => a.status === 200).length,
        (n) => n > 20,
      );
      senders.setPhase('good-change');
      await fleet.kubectl(
        ['apply', '-f', '-'],
        repoYaml(fleet.namespace, '[{ type: set, field: version, value: v2 }]'),
      );
      // Step 1 runs with its weight on the proxy.
      await eventually(
        () => routedWeights(fleet.traefik, fleet.namespace, 'sluice-repo-access'),
        (w) => w.canary === STEPS[0]?.weight,
      );
      const atStep1 = await eventually(
        status,
        (s) => s?.rollout?.state === 'Progressing' && s.rollout.stepStartedAt !== undefined,
      );
      seen.push(`step ${(atStep1?.rollout?.step ?? 0) + 1} ${atStep1?.rollout?.weight}%`);

      // Kill the operator mid-rollout; a new one resumes from what status recorded.
      await operator?.stop();
      const stoppedAt = (await status())?.rollout;
      operator = await fleet.startOperator({}, 1000);
      const resumed = await eventually(status, (s) => s?.rollout?.state !== undefined);
      expect(resumed?.rollout?.step).toBeGreaterThanOrEqual(stoppedAt?.step ?? 0);
      expect(resumed?.rollout?.target).toBe(stoppedAt?.target);

      await eventually(
        () => routedWeights(fleet.traefik, fleet.namespace, 'sluice-repo-access'),
        (w) => w.canary === STEPS[1]?.weight,
      );
      seen.push(`step 2 ${STEPS[1]?.weight}%`);
      const promoted = await eventually(status, (s) => s?.rollout?.state === 'Promoted', 180_000);
      seen.push('promoted');
      expect(promoted?.rollout?.promoted).toBe(stoppedAt?.target);
      await eventually(
        () => routedWeights(fleet.traefik, fleet.namespace, 'sluice-repo-access'),
        (w) => (w.canary ?? 0) === 0,
      );
      // After promotion stable serves v2: new lines come back from the stable revision with it.
      senders.setPhase('after-promotion');
      await eventually(
        async () => senders.answers.filter((a) => a.phase === 'after-promotion' && a.status === 200).length,
        (n) => n > 20,
      );
    } finally {
      await senders.stop();
    }
    const { answers } = senders;
    const stableRevision = (await revisions()).stable;
    const after = answers.filter((a) => a.phase === 'after-promotion' && a.status === 200);
    const records = await kcatConsume({ brokers, topic, untilEnd: true, timeoutMs: 60_000 });
    const byId = new Map(
      records.map((m) => [
        (JSON.parse(m.value) as { id: string }).id,
        JSON.parse(m.value) as { version: string },
      ]),
    );
    const lost = acknowledgedIds(answers).filter((id) => !byId.has(id));
    const events = await fleet.kubectl([
      'get',
      'events',
      '-n',
      fleet.namespace,
      '--field-selector',
      'involvedObject.name=access',
      '-o',
      'custom-columns=REASON:.reason',
      '--no-headers',
    ]);
    console.log(
      `[rollout] good change: ${seen.join(' → ')}; ${answers.length} requests, ${answers.filter((a) => a.status !== 200 && a.phase !== 'warm-up').length} not 200 after the warm-up; lost ${lost.length}; events ${[...new Set(events.split('\n').filter(Boolean))].join(', ')}`,
    );
    // Before the first 200 the proxy was still picking up the route (503 without a revision):
    // setup, not the rollout. Every request after it must succeed.
    expect(answers.filter((a) => a.status !== 200 && a.phase !== 'warm-up').slice(0, 5)).toEqual([]);
    expect(lost).toEqual([]);
    expect(after.every((a) => a.revision === stableRevision)).toBe(true);
    expect(after.flatMap((a) => a.ids).every((id) => byId.get(id)?.version === 'v2')).toBe(true);
    expect(events).toMatch(/RolloutStarted/);
    expect(events).toMatch(/RolloutStepPassed/);
    expect(events).toMatch(/RolloutPromoted/);
  }, 600_000);

  it('rolls a bad change back within one analysis interval of the minimum sample; stable never serves it', async () => {
    const senders = startSenders({ url: fleet.traefik.url, repos: { access: 3 }, lines: LINES });
    let changedAt = 0;
    let rolledBackAt = 0;
    try {
      await eventually(
        async () => senders.answers.filter((a) => a.status === 200).length,
        (n) => n > 20,
      );
      senders.setPhase('bad-change');
      changedAt = Date.now();
      // Every line has level "info": converting it to an integer fails, the line is invalid.
      await fleet.kubectl(
        ['apply', '-f', '-'],
        repoYaml(
          fleet.namespace,
          '[{ type: set, field: version, value: v3 }, { type: convert, fields: { level: int } }]',
        ),
      );
      const back = await eventually(status, (s) => s?.rollout?.state === 'RolledBack', 180_000);
      rolledBackAt = Date.now();
      expect(back?.rollout?.failed).toMatchObject({ threshold: 'invalidRate', stable: 0 });
      expect(back?.rollout?.failed?.canary).toBeGreaterThan(90);
      expect(back?.rollout?.message).toMatch(/^rolled back at step 1\/2: invalid-line rate/);
      expect(await condition('Rollout')).toMatchObject({ status: 'False', reason: 'RolledBack' });
      await eventually(
        () => routedWeights(fleet.traefik, fleet.namespace, 'sluice-repo-access'),
        (w) => (w.canary ?? 0) === 0,
      );
      senders.setPhase('after-rollback');
      await eventually(
        async () => senders.answers.filter((a) => a.phase === 'after-rollback' && a.status === 200).length,
        (n) => n > 20,
      );
    } finally {
      await senders.stop();
    }
    const { answers } = senders;
    const { canary: canaryRevision } = await revisions();
    const bad = answers.filter((a) => a.phase === 'bad-change' && a.invalid > 0);
    const firstBad = bad[0]?.at ?? changedAt;
    const afterBack = answers.filter((a) => a.phase === 'after-rollback');
    const records = await kcatConsume({ brokers, topic, untilEnd: true, timeoutMs: 60_000 });
    const ids = new Set(records.map((m) => (JSON.parse(m.value) as { id: string }).id));
    const lost = acknowledgedIds(answers).filter((id) => !ids.has(id));
    const rollout = (await status())?.rollout;
    console.log(
      `[rollout] bad change: rolled back ${((rolledBackAt - changedAt) / 1000).toFixed(1)} s after the edit ` +
        `(${((rolledBackAt - firstBad) / 1000).toFixed(1)} s after the first request met it); ` +
        `${bad.length} requests (${bad.length * LINES} lines) met the bad pipeline of ${answers.filter((a) => a.phase === 'bad-change').length} in that phase; ` +
        `measured canary ${JSON.stringify(rollout?.measured?.canary)} stable ${JSON.stringify(rollout?.measured?.stable)}; lost ${lost.length}`,
    );
    // Only the canary share met it, and after the rollback nothing does.
    expect(bad.length).toBeGreaterThan(0);
    expect(bad.every((a) => a.revision === canaryRevision)).toBe(true);
    expect(afterBack.filter((a) => a.invalid > 0)).toEqual([]);
    // Before the first 200 the proxy was still picking up the route (503 without a revision):
    // setup, not the rollout. Every request after it must succeed.
    expect(answers.filter((a) => a.status !== 200 && a.phase !== 'warm-up').slice(0, 5)).toEqual([]);
    expect(lost).toEqual([]);
    // Judged at most one interval after the minimum sample was in; slack for the observer round and the proxy.
    expect(rolledBackAt - firstBad).toBeLessThan(60_000);
  }, 600_000);
});

/** Ids of the lines a gateway acknowledged: requests answered 200 with every line accepted. */
function acknowledgedIds(answers: readonly SentRequest[]): string[] {
  return answers.filter((a) => a.status === 200 && a.accepted === a.ids.length).flatMap((a) => a.ids);
}
