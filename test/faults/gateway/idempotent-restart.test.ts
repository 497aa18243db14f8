import { afterAll, describe, expect, inject, it } from 'vitest';
import type { GatewayServer } from '../../../gateway/http/server.ts';
import { createTopic, uniqueTopicName } from '../../infra/kafka-admin.ts';
import { connectKafkaControl } from '../../infra/kafka-control.ts';
import { storedBatches } from '../../infra/kafka-log-segments.ts';
import { kafkaEngines } from '../../support/kafka-engines.ts';
import { postLines, startTestGateway } from '../../support/start-test-gateway.ts';
import { notFound, readBack, sleep, startLoad, untilSuccessAfter } from './fault-kit.ts';

// `idempotent: true` against the real broker, killed (SIGKILL) and restarted under sync load.
// A produce request whose acknowledgement the crash swallowed is retried by the engine; the
// broker must recognise the retry by producer id and sequence, so every line the load sent
// is stored at most once, and every line answered 200 is stored. The load never resends a
// line itself (ids are unique), so any duplicate would be the producer's. The segments show
// that the batches really were written by an idempotent producer.

const brokers = inject('kafkaBrokers');
const REQUEST_TIMEOUT_MS = 4000;
const CLIENT_TIMEOUT_MS = REQUEST_TIMEOUT_MS + 5000;

describe.each(kafkaEngines())('idempotent producer across a broker restart (%s engine)', (engine) => {
  const controlInfo = inject('kafkaControl');
  const control = connectKafkaControl(controlInfo);
  let gateway: GatewayServer | undefined;
  afterAll(async () => {
    await control.ensureRunning();
    await gateway?.shutdown();
  });

  it('stores every acknowledged line, and no line twice', async () => {
    const topic = uniqueTopicName(`faults-idempotent-${engine}`);
    await createTopic(brokers, topic, 1);
    gateway = await startTestGateway({
      server: { requestTimeoutMs: REQUEST_TIMEOUT_MS, retryAfterSeconds: 1 },
      producers: {
        main: {
          type: 'kafka',
          engine,
          brokers: brokers.split(','),
          idempotent: true,
          acks: 'all',
          requestTimeoutMs: 1500,
          retries: 10,
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
      linesPerRequest: 20,
      clientTimeoutMs: CLIENT_TIMEOUT_MS,
    });

    await sleep(2000);
    const beforeKill = load.stats.acknowledged.length;
    await control.kill();
    const killedAt = performance.now();
    await sleep(3000);
    await control.restart();
    const restartedAt = performance.now();
    await untilSuccessAfter(load, restartedAt);
    await sleep(2000);
    const stats = await load.stop();
    expect((await postLines(`${url}/log/repo/access`, '{"id":"after","pad":"x"}')).status).toBe(200);
    // Batches still retrying inside the engine when the load stopped land before shutdown ends.
    await gateway.shutdown();
    gateway = undefined;

    const read = await readBack(brokers, [topic]);
    const missing = notFound(stats, read);
    const batches = await storedBatches(controlInfo, topic);
    const producerIds = [...new Set(batches.map((batch) => batch.producerId))];
    const figures = {
      test: 'idempotent-restart',
      engine,
      requests: stats.requests,
      sent: stats.sent,
      acknowledged: stats.acknowledged.length,
      found: read.found.size,
      messages: read.messages,
      duplicates: read.duplicates,
      missing: missing.length,
      statuses: stats.statuses,
      batches: batches.length,
      producerIds,
      outageMs: Math.round(restartedAt - killedAt),
    };
    console.log(JSON.stringify(figures));

    expect(beforeKill).toBeGreaterThan(0);
    expect(stats.acknowledged.length).toBeGreaterThan(beforeKill);
    expect(missing).toEqual([]);
    expect(read.malformed).toBe(0);
    expect(read.duplicates).toBe(0);
    expect(read.messages).toBe(read.found.size);
    expect(stats.clientTimeouts).toBe(0);
    expect(stats.violations.slice(0, 5)).toEqual([]);
    // Written by an idempotent producer: a producer id and sequence numbers on every batch.
    expect(batches.length).toBeGreaterThan(0);
    for (const batch of batches) {
      expect(batch.producerId).toBeGreaterThanOrEqual(0);
      expect(batch.baseSequence).toBeGreaterThanOrEqual(0);
    }
  });
});
