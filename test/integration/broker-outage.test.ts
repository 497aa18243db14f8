import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { GatewayServer } from '../../gateway/http/server.ts';
import { createTopic, uniqueTopicName } from '../infra/kafka-admin.ts';
import { connectKafkaControl } from '../infra/kafka-control.ts';
import { kcatConsume } from '../infra/kcat.ts';
import { eventually } from '../support/eventually.ts';
import { kafkaEngines } from '../support/kafka-engines.ts';
import { postLines, startTestGateway } from '../support/start-test-gateway.ts';

// Real Apache Kafka broker, stopped and restarted through the global setup's control
// endpoint: while it is down, sync requests get a retryable 503 within the deadline; once
// it is back, the gateway recovers by itself and nothing answered 200 is missing.

const brokers = inject('kafkaBrokers');
const REQUEST_TIMEOUT_MS = 3000;

describe.each(kafkaEngines())('broker outage (%s engine)', (engine) => {
  const control = connectKafkaControl(inject('kafkaControl'));
  const topic = uniqueTopicName(`outage-${engine}`);
  let gateway: GatewayServer;
  const acknowledged: string[] = [];

  beforeAll(async () => {
    await createTopic(brokers, topic, 1);
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
  });
  afterAll(async () => {
    await control.ensureRunning();
    await gateway?.shutdown();
  });

  const post = async (id: string) => {
    const started = performance.now();
    const answer = await postLines(`${gateway.url}/log/repo/access`, JSON.stringify({ id }));
    if (answer.status === 200) acknowledged.push(id);
    return { ...answer, elapsedMs: performance.now() - started };
  };

  it('answers 503 with Retry-After within the deadline while the broker is down, then recovers', async () => {
    expect((await post('before')).status).toBe(200);

    await control.kill();
    const during = [];
    for (let i = 0; i < 3; i++) during.push(await post(`during-${i}`));
    for (const answer of during) {
      expect(answer.status).toBe(503);
      expect(answer.headers.get('retry-after')).toBe('2');
      expect(answer.body).toMatchObject({ error: { retryable: true } });
      expect(answer.elapsedMs).toBeLessThan(REQUEST_TIMEOUT_MS + 1500);
    }

    await control.restart();
    let attempt = 0;
    const recovered = await eventually(
      () => post(`after-${attempt++}`),
      (answer) => answer.status === 200,
      60_000,
      1000,
    );
    expect(recovered.status).toBe(200);

    // At least once: every acknowledged id is in the topic (503'd ones may be there too).
    const read = await kcatConsume({ brokers, topic, untilEnd: true, timeoutMs: 20_000 });
    const found = new Set(read.map((message) => JSON.parse(message.value).id));
    expect(acknowledged.filter((id) => !found.has(id))).toEqual([]);
  });
});
