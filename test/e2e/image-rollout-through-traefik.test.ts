import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEPLOYMENTS } from '../../operator/controller/fleet-resources.ts';
import type { startOperator } from '../../operator/controller/operator-controller.ts';
import { GATEWAY_FLEETS } from '../../operator/controller/resources.ts';
import { createTopic, uniqueTopicName } from '../infra/kafka-admin.ts';
import { kcatConsume } from '../infra/kcat.ts';
import { eventually as eventuallyWithin } from '../support/eventually.ts';
import {
  type SentRequest,
  startSenders,
  startTraefikFleet,
  type TraefikFleet,
} from '../support/traefik-fleet.ts';

// A new gateway image takes the repos over one by one under analysis, as the team we replace
// upgraded by hand — on the parts of test/support/traefik-fleet.ts (real apiserver,
// controllers, Traefik, broker; the kubelet is the stand-in). Images are not built here: the
// kubelet stand-in runs this checkout for every image, and an image whose tag is `bad` gets
// a documented injected fault (test/support/inject-kafka-stall.ts: its Kafka connections
// stall, every write 1.5 s late). A `good` image is the gateway as it is.
//
// 1. good: both repos move (each through its step), then stable takes the image (a rolling
//    update under its PodDisruptionBudget), and the canary shares return to 0.
// 2. bad: the first repo's step fails on its p99 latency against stable; every repo is back
//    on stable at once and stable keeps the good image.
// Throughout: no acknowledged line lost, and no request fails because a route or a
// Deployment changed.

const logger = pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' });
const brokers = inject('kafkaBrokers');
const topics = { access: uniqueTopicName('image-access'), errors: uniqueTopicName('image-errors') };
const LINES = 5;
const INJECT = fileURLToPath(new URL('../support/inject-kafka-stall.ts', import.meta.url));
const eventually = <T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 240_000) =>
  eventuallyWithin(probe, accept, timeoutMs, 250);

const fleetYaml = (namespace: string, image: string) => `apiVersion: sluice.dev/v1alpha1
kind: GatewayFleet
metadata: { name: fleet, namespace: ${namespace} }
spec:
  stable: { image: "${image}" }
  imageRollout:
    repos: [access, errors]
    steps: [{ weight: 50, pauseSeconds: 3 }]
    # Latency within a second of stable passes: this 2-core machine runs Kafka, an apiserver,
    # Traefik and the pods at once, so p99s swing by hundreds of ms; the stalled image's
    # 1.5 s per Kafka write is what must be caught.
    analysis: { intervalSeconds: 5, minRequests: 20, minLines: 100, maxWaitSeconds: 120, maxP99LatencyRatio: 5, p99LatencyToleranceMs: 1000 }
    pauseBetweenReposSeconds: 2
`;

describe('gateway image rollouts repo by repo through a real proxy', () => {
  let fleet: TraefikFleet;
  let operator: ReturnType<typeof startOperator> | undefined;
  const fleetStatus = async () =>
    (await fleet.client.get(GATEWAY_FLEETS, fleet.namespace, 'fleet'))?.status as
      | {
          images?: { stable?: string; canary?: string };
          rollout?: Record<string, unknown> & { state?: string };
        }
      | undefined;
  const stableImage = async () =>
    (
      (await fleet.client.get(DEPLOYMENTS, fleet.namespace, 'sluice-gateway'))?.spec as
        | { template: { spec: { containers: Array<{ image: string }> } } }
        | undefined
    )?.template.spec.containers[0]?.image;

  beforeAll(async () => {
    fleet = await startTraefikFleet({
      namespacePrefix: 'image',
      logger,
      imageEnv: (image): Record<string, string> =>
        image.endsWith(':bad')
          ? {
              NODE_OPTIONS: `--max-semi-space-size=8 --import=${INJECT}`,
              SLUICE_TEST_FAULT_KAFKA_DELAY_MS: '1500',
            }
          : {},
    });
    await createTopic(brokers, topics.access, 1);
    await createTopic(brokers, topics.errors, 1);
    operator = await fleet.startOperator({ canaryGraceSeconds: 5 }, 1000);
    await fleet.kubectl(
      ['apply', '-f', '-'],
      `apiVersion: sluice.dev/v1alpha1
kind: KafkaProducer
metadata: { name: main, namespace: ${fleet.namespace} }
spec: { brokers: ["${fleet.podBrokers}"], compression: lz4, batch: { lingerMs: 5 } }
---
apiVersion: sluice.dev/v1alpha1
kind: LogRepo
metadata: { name: access, namespace: ${fleet.namespace} }
spec: { kafka: { producer: main, topic: ${topics.access}, mode: sync } }
---
apiVersion: sluice.dev/v1alpha1
kind: LogRepo
metadata: { name: errors, namespace: ${fleet.namespace} }
spec: { kafka: { producer: main, topic: ${topics.errors}, mode: sync } }
---
${fleetYaml(fleet.namespace, 'sluice/gateway:0.1.0')}`,
    );
  }, 600_000);

  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      console.log(`[image] fleet status: ${JSON.stringify(await fleetStatus(), null, 2)}`);
      await fleet.dumpLogs('image');
    }
  });

  afterAll(async () => {
    await operator?.stop();
    await fleet?.stop();
  });

  const run = async (image: string, until: (status: Awaited<ReturnType<typeof fleetStatus>>) => boolean) => {
    const senders = startSenders({ url: fleet.traefik.url, repos: { access: 2, errors: 2 }, lines: LINES });
    const states: string[] = [];
    try {
      await eventually(
        async () => senders.answers.filter((a) => a.status === 200).length,
        (n) => n > 40,
      );
      senders.setPhase(image);
      await fleet.kubectl(['apply', '-f', '-'], fleetYaml(fleet.namespace, image));
      const final = await eventually(async () => {
        const status = await fleetStatus();
        const measured = (
          status?.rollout?.repoRollout as
            | {
                measured?: {
                  canary: { p99LatencyMs: number | null; requests: number };
                  stable: { p99LatencyMs: number | null };
                };
              }
            | undefined
        )?.measured;
        const figures = measured
          ? ` (p99 canary ${measured.canary.p99LatencyMs} ms over ${measured.canary.requests} requests, stable ${measured.stable.p99LatencyMs} ms)`
          : '';
        const label = `${status?.rollout?.state}:${status?.rollout?.repo ?? '-'}:${status?.rollout?.movedSummary}${figures}`;
        if (states.at(-1) !== label) states.push(label);
        return status;
      }, until);
      senders.setPhase('after');
      await eventually(
        async () => senders.answers.filter((a) => a.phase === 'after' && a.status === 200).length,
        (n) => n > 40,
      );
      return { final, states, answers: senders.answers };
    } finally {
      await senders.stop();
    }
  };
  const lostOf = async (answers: readonly SentRequest[]) => {
    const found = new Set<string>();
    for (const topic of Object.values(topics)) {
      for (const m of await kcatConsume({ brokers, topic, untilEnd: true, timeoutMs: 60_000 })) {
        found.add((JSON.parse(m.value) as { id: string }).id);
      }
    }
    return answers
      .filter((a) => a.status === 200 && a.accepted === a.ids.length)
      .flatMap((a) => a.ids)
      .filter((id) => !found.has(id));
  };

  it('moves every repo to a good image, then stable takes it; shares back to 0', async () => {
    await eventually(stableImage, (image) => image === 'sluice/gateway:0.1.0');
    const started = Date.now();
    const { final, states, answers } = await run(
      'sluice/gateway:good',
      (s) =>
        s?.rollout?.image === 'sluice/gateway:good' &&
        s.rollout.state === 'Promoted' &&
        s.images?.stable === 'sluice/gateway:good',
    );
    // Before the first answer the routes were still being set up (404 from the proxy): not the rollout's.
    const failed = answers.filter((a) => a.status !== 200 && a.phase !== 'warm-up');
    const lost = await lostOf(answers);
    const byStatus = (list: readonly SentRequest[]) =>
      JSON.stringify(
        Object.fromEntries(
          [...new Set(list.map((a) => `${a.phase}:${a.status}`))].map((k) => [
            k,
            list.filter((a) => `${a.phase}:${a.status}` === k).length,
          ]),
        ),
      );
    console.log(
      `[image] good: ${states.join(' → ')} in ${((Date.now() - started) / 1000).toFixed(0)} s; ${answers.length} requests, ${failed.length} not 200 ${byStatus(failed)} (${failed[0]?.error ?? ''}); lost ${lost.length}`,
    );
    expect(final?.rollout).toMatchObject({
      state: 'Promoted',
      image: 'sluice/gateway:good',
      moved: ['access', 'errors'],
    });
    expect(states.some((s) => s.startsWith('Progressing:access'))).toBe(true);
    expect(states.some((s) => s.startsWith('Progressing:errors'))).toBe(true);
    expect(await stableImage()).toBe('sluice/gateway:good');
    expect(failed.slice(0, 5)).toEqual([]);
    expect(lost).toEqual([]);
  }, 900_000);

  it('rolls a bad image back at the first repo; stable keeps the good one', async () => {
    const { final, states, answers } = await run(
      'sluice/gateway:bad',
      (s) => s?.rollout?.image === 'sluice/gateway:bad' && s.rollout.state === 'RolledBack',
    );
    const failed = answers.filter((a) => a.status !== 200 && a.phase !== 'warm-up');
    const lost = await lostOf(answers);
    const slow = answers.filter((a) => a.phase === 'sluice/gateway:bad' && a.status === 200).length;
    console.log(
      `[image] bad: ${states.join(' → ')}; ${answers.length} requests (${slow} in the bad phase), ${failed.length} failed; lost ${lost.length}; failed ${JSON.stringify(final?.rollout?.failed)}`,
    );
    expect(final?.rollout).toMatchObject({
      state: 'RolledBack',
      failed: { repo: 'access', threshold: 'p99Latency' },
    });
    expect(final?.rollout?.moved).toEqual([]);
    expect(await stableImage()).toBe('sluice/gateway:good');
    expect(failed.slice(0, 5)).toEqual([]);
    expect(lost).toEqual([]);
  }, 900_000);
});
