import kafkajs from 'kafkajs';
import { describe, expect, inject, it } from 'vitest';
import { createTopic, probeKafka, splitBrokers, uniqueTopicName } from '../infra/kafka-admin.ts';
import { connectKafkaControl } from '../infra/kafka-control.ts';
import { kcatConsume, kcatProduce } from '../infra/kcat.ts';

const { Kafka, logLevel, Partitioners } = kafkajs;

// Proves the integration infrastructure itself: a real broker that a kafkajs producer
// writes to and librdkafka (kcat) reads back from, including a compressed batch.
describe('kafka test infrastructure', () => {
  const brokers = inject('kafkaBrokers');

  it('exposes the brokers to tests and to child processes', () => {
    expect(brokers).toMatch(/^[^,]+:\d+/);
    expect(process.env.KAFKA_BROKERS).toBe(brokers);
  });

  it('reads back with kcat what kafkajs produced', async () => {
    const topic = uniqueTopicName('infra');
    await createTopic(brokers, topic, 3);

    const kafka = new Kafka({
      clientId: 'sluice-infra-test',
      brokers: splitBrokers(brokers),
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    try {
      await producer.send({
        topic,
        acks: -1,
        messages: [
          { key: 'a', value: 'first', headers: { source: 'kafkajs' } },
          { key: 'b', value: 'second' },
          { key: null, value: 'third' },
        ],
      });
    } finally {
      await producer.disconnect();
    }

    const messages = await kcatConsume({ brokers, topic, count: 3, timeoutMs: 20_000 });
    expect(messages.map((m) => m.value).sort()).toEqual(['first', 'second', 'third']);
    const first = messages.find((m) => m.value === 'first');
    expect(first?.key).toBe('a');
    expect(first?.headers).toEqual([{ key: 'source', value: 'kafkajs' }]);
    expect(messages.find((m) => m.value === 'third')?.key).toBeNull();
    for (const m of messages) {
      expect(m.topic).toBe(topic);
      expect(m.partition).toBeGreaterThanOrEqual(0);
      expect(m.partition).toBeLessThan(3);
      expect(m.offset).toBeGreaterThanOrEqual(0);
    }
  });

  it('produces lz4-compressed messages with kcat and reads them back', async () => {
    const topic = uniqueTopicName('infra-lz4');
    await createTopic(brokers, topic, 1);
    const lines = Array.from({ length: 50 }, (_, i) => `k${i}|{"n":${i},"msg":"${'x'.repeat(i)}"}`);

    const produced = await kcatProduce({ brokers, topic, lines, compression: 'lz4', keyDelimiter: '|' });
    expect(produced.messages).toBe(50);

    const messages = await kcatConsume({ brokers, topic, count: 50, timeoutMs: 20_000 });
    expect(messages.map((m) => m.offset)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(messages.map((m) => m.key)).toEqual(lines.map((l) => l.split('|')[0]));
    expect(messages.map((m) => JSON.parse(m.value).n)).toEqual(lines.map((_, i) => i));
  });

  it('reads an empty topic to its end without waiting', async () => {
    const topic = uniqueTopicName('infra-empty');
    await createTopic(brokers, topic, 2);
    expect(await kcatConsume({ brokers, topic, timeoutMs: 10_000 })).toEqual([]);
  });
});

// Only the local broker is ours to crash; against an external or testcontainers one
// connectKafkaControl() fails the test with what to change, as the kube infra test does.
describe('local broker control', () => {
  const brokers = inject('kafkaBrokers');

  it('survives a crash: data written before a SIGKILL is there after restart', async () => {
    const control = connectKafkaControl(inject('kafkaControl'));
    const topic = uniqueTopicName('infra-crash');
    await kcatProduce({ brokers, topic, lines: ['before-crash'] });
    try {
      expect((await control.kill()).running).toBe(false);
      expect(await probeKafka(brokers, 1_000)).toBe(false);
      const status = await control.restart();
      expect(status.running).toBe(true);
      expect(status.pid).not.toBeNull();
      await kcatProduce({ brokers, topic, lines: ['after-restart'] });
      const messages = await kcatConsume({ brokers, topic, count: 2 });
      expect(messages.map((m) => m.value).sort()).toEqual(['after-restart', 'before-crash']);
    } finally {
      await control.ensureRunning();
    }
  });

  it('pauses and resumes the broker process', async () => {
    const control = connectKafkaControl(inject('kafkaControl'));
    try {
      expect((await control.pause()).paused).toBe(true);
      expect(await probeKafka(brokers, 1_500)).toBe(false);
      expect((await control.resume()).paused).toBe(false);
      expect(await probeKafka(brokers, 10_000)).toBe(true);
    } finally {
      await control.ensureRunning();
    }
  });
});
