import { afterAll, describe, expect, inject, it } from 'vitest';
import type { GatewayServer } from '../../../gateway/http/server.ts';
import { createTopic, uniqueTopicName } from '../../infra/kafka-admin.ts';
import { connectKafkaControl } from '../../infra/kafka-control.ts';
import { kafkaEngines } from '../../support/kafka-engines.ts';
import { postLines, startTestGateway } from '../../support/start-test-gateway.ts';
import { notFound, readBack, sleep, startLoad, untilSuccessAfter } from './fault-kit.ts';

// The real broker is killed (SIGKILL, a crash) and restarted in the middle of sustained sync
// load. Promise: a 200 always means "in Kafka"; during the outage every request is answered,
// within the deadline, with a retryable 503/429 carrying Retry-After (none hangs); once the
// broker is back the gateway recovers by itself.

const brokers = inject('kafkaBrokers');
const REQUEST_TIMEOUT_MS = 3000;
// A request's client gives up well after the gateway's deadline: hitting it means a hang.
const CLIENT_TIMEOUT_MS = REQUEST_TIMEOUT_MS + 5000;

describe.each(kafkaEngines())('broker killed and restarted under sync load (%s engine)', (engine) => {
  const control = connectKafkaControl(inject('kafkaControl'));
  let gateway: GatewayServer | undefined;
  afterAll(async () => {
    await control.ensureRunning();
    await gateway?.shutdown();
  });

  it('acknowledges only what Kafka has, answers retryably during the outage, recovers', async () => {
    const topic = uniqueTopicName(`faults-restart-${engine}`);
    await createTopic(brokers, topic, 2);
    gateway = await startTestGateway({
      server: { requestTimeoutMs: REQUEST_TIMEOUT_MS, retryAfterSeconds: 2 },
      producers: {
        main: {
          type: 'kafka',
          engine,
          brokers: brokers.split(','),
          requestTimeoutMs: 1000,
          retries: 2,
          batch: { lingerMs: 2 },
        },
      },
      repos: { access: { producer: 'main', topic, mode: 'sync' } },
    });
    const url = gateway.url;
    const load = startLoad({
      url,
      repo: 'access',
      workers: 6,
      linesPerRequest: 10,
      clientTimeoutMs: CLIENT_TIMEOUT_MS,
    });

    await sleep(2000);
    const beforeKill = load.stats.acknowledged.length;
    await control.kill();
    const killedAt = performance.now();
    // Long enough for every in-flight request to hit its deadline at least twice.
    await sleep(2 * REQUEST_TIMEOUT_MS + 1000);
    const refusedDuringOutage = { ...load.stats.statuses };
    await control.restart();
    const restartedAt = performance.now();
    // Recovery by itself: the same load starts getting 200s again.
    await untilSuccessAfter(load, restartedAt);
    const recoveryMs = load.stats.lastSuccessAt - restartedAt;
    await sleep(2000);
    const stats = await load.stop();
    // One more request after the load: the gateway is fully healthy again.
    expect((await postLines(`${url}/log/repo/access`, '{"id":"after","pad":"x"}')).status).toBe(200);

    const read = await readBack(brokers, [topic]);
    const missing = notFound(stats, read);
    const figures = {
      test: 'broker-restart',
      engine,
      requests: stats.requests,
      sent: stats.sent,
      acknowledged: stats.acknowledged.length,
      found: read.found.size,
      messages: read.messages,
      duplicates: read.duplicates,
      missing: missing.length,
      statuses: stats.statuses,
      maxFailureLatencyMs: Math.round(stats.maxFailureLatencyMs),
      clientTimeouts: stats.clientTimeouts,
      recoveryAfterRestartMs: Math.round(recoveryMs),
      outageMs: Math.round(restartedAt - killedAt),
    };
    console.log(JSON.stringify(figures));

    expect(beforeKill).toBeGreaterThan(0);
    expect(missing).toEqual([]);
    expect(read.malformed).toBe(0);
    expect(stats.clientTimeouts).toBe(0);
    expect(stats.connectionErrors).toBe(0);
    expect(stats.violations.slice(0, 5)).toEqual([]);
    // The outage was seen (retryable answers), and none took much past the deadline.
    expect((refusedDuringOutage[503] ?? 0) + (refusedDuringOutage[429] ?? 0)).toBeGreaterThan(0);
    expect(stats.maxFailureLatencyMs).toBeLessThan(REQUEST_TIMEOUT_MS + 1500);
  });
});
