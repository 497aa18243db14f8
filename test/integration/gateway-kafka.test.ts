import { once } from 'node:events';
import { request } from 'node:http';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { GatewayServer } from '../../gateway/http/server.ts';
import { keyHash } from '../../gateway/kafka/java-partitioner.ts';
import { createTopic, uniqueTopicName } from '../infra/kafka-admin.ts';
import { storedBatches } from '../infra/kafka-log-segments.ts';
import { kcatConsume } from '../infra/kcat.ts';
import { type KafkaEngine, kafkaEngines } from '../support/kafka-engines.ts';
import { postLines, startTestGateway } from '../support/start-test-gateway.ts';

// Real Apache Kafka broker (from the integration global setup) and kcat (librdkafka) as
// the independent reader of everything the gateway produced, for every Kafka engine.

const brokers = inject('kafkaBrokers');
const control = inject('kafkaControl');
const kafka = (engine: KafkaEngine, extra: Record<string, unknown> = {}) => ({
  type: 'kafka',
  engine,
  brokers: brokers.split(','),
  batch: { lingerMs: 5 },
  ...extra,
});
const accessLine = (id: string, host = 'edge-1') =>
  JSON.stringify({ id, host, status: 200, request: 'GET /index.html HTTP/1.1', bytes: 5120, ua: 'curl/8.0' });

describe.each(kafkaEngines())('%s engine', (engine) => {
  describe.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)('compression %s', (compression) => {
    let gateway: GatewayServer;
    const topic = uniqueTopicName(`codec-${engine}-${compression}`);
    beforeAll(async () => {
      await createTopic(brokers, topic, 1);
      gateway = await startTestGateway({
        producers: { main: kafka(engine, { compression }) },
        repos: { access: { producer: 'main', topic, mode: 'sync' } },
      });
    });
    afterAll(() => gateway?.shutdown());

    it('produces lines that kcat (librdkafka) reads back byte for byte after a 200', async () => {
      const sent = Array.from({ length: 50 }, (_, i) => accessLine(`${compression}-${i}`));
      const answer = await postLines(`${gateway.url}/log/repo/access`, sent.join('\n'));
      expect(answer.status).toBe(200);
      expect(answer.body).toMatchObject({ received: 50, accepted: 50 });
      const read = await kcatConsume({ brokers, topic, count: 50, untilEnd: true, timeoutMs: 20_000 });
      expect(read.map((m) => m.value)).toEqual(sent);
    });

    it("stores the batches with that codec: Kafka's DumpLogSegments reads it from the segment", async () => {
      const batches = await storedBatches(control, topic);
      // kcat above decompresses transparently; the batch header says what crossed the wire.
      console.log(
        JSON.stringify({
          test: 'codec-on-the-wire',
          engine,
          compression,
          batches: batches.length,
          codecs: [...new Set(batches.map((b) => b.codec))],
        }),
      );
      expect(batches.length).toBeGreaterThan(0);
      expect(batches.reduce((sum, batch) => sum + batch.count, 0)).toBe(50);
      expect(new Set(batches.map((batch) => batch.codec))).toEqual(new Set([compression]));
    });
  });

  describe('ingest against a real broker', () => {
    let gateway: GatewayServer;
    const topics = {
      sync: uniqueTopicName(`sync-${engine}`),
      async: uniqueTopicName(`async-${engine}`),
      keyed: uniqueTopicName(`keyed-${engine}`),
      traced: uniqueTopicName(`traced-${engine}`),
    };
    const keyedPartitions = 6;
    beforeAll(async () => {
      await createTopic(brokers, topics.sync, 3);
      await createTopic(brokers, topics.async, 3);
      await createTopic(brokers, topics.keyed, keyedPartitions);
      await createTopic(brokers, topics.traced, 1);
      gateway = await startTestGateway({
        server: { bodyLimitBytes: 64 * 1024, maxLineBytes: 4096, maxDecompressedBytes: 256 * 1024 },
        producers: { main: kafka(engine, { compression: 'lz4' }) },
        repos: {
          access: { producer: 'main', topic: topics.sync, mode: 'sync' },
          audit: { producer: 'main', topic: topics.async, mode: 'async' },
          keyed: { producer: 'main', topic: topics.keyed, mode: 'sync', key: 'host' },
          traced: {
            producer: 'main',
            topic: topics.traced,
            mode: 'sync',
            key: 'edge.node',
            headers: { traceContext: true, fromFields: { 'x-tenant': 'tenant', 'x-status': 'status' } },
          },
        },
      });
    });
    afterAll(() => gateway?.shutdown());

    it('a gzip body answered 200 is readable from the topic at once', async () => {
      const sent = Array.from({ length: 20 }, (_, i) => accessLine(`gz-${i}`));
      const body = zlib.gzipSync(`${sent.join('\r\n')}\r\n`);
      const answer = await postLines(`${gateway.url}/log/repo/access`, body, { 'content-encoding': 'gzip' });
      expect(answer.status).toBe(200);
      const read = await kcatConsume({ brokers, topic: topics.sync, untilEnd: true, timeoutMs: 10_000 });
      expect(read.map((m) => m.value).sort()).toEqual([...sent].sort());
    });

    it('async mode answers 202 and the lines arrive', async () => {
      const sent = Array.from({ length: 10 }, (_, i) => accessLine(`async-${i}`));
      const answer = await postLines(`${gateway.url}/log/repo/audit`, sent.join('\n'));
      expect(answer.status).toBe(202);
      const read = await kcatConsume({ brokers, topic: topics.async, count: 10, timeoutMs: 15_000 });
      expect(read.map((m) => m.value).sort()).toEqual([...sent].sort());
    });

    it('the same key always lands on the same partition, as librdkafka/Java would place it', async () => {
      const hosts = ['edge-a', 'edge-b', 'edge-c', 'edge-d'];
      const sent = Array.from({ length: 40 }, (_, i) => accessLine(`k-${i}`, hosts[i % hosts.length]));
      expect((await postLines(`${gateway.url}/log/repo/keyed`, sent.join('\n'))).status).toBe(200);
      const read = await kcatConsume({
        brokers,
        topic: topics.keyed,
        count: 40,
        untilEnd: true,
        timeoutMs: 15_000,
      });
      expect(read).toHaveLength(40);
      const partitionsByKey = new Map<string, Set<number>>();
      for (const message of read) {
        expect(message.key).toBe(JSON.parse(message.value).host);
        // The Java client's placement: toPositive(murmur2(key)) % partitions.
        expect(message.partition).toBe(keyHash(Buffer.from(message.key ?? '')) % keyedPartitions);
        const set = partitionsByKey.get(message.key ?? '') ?? new Set();
        set.add(message.partition);
        partitionsByKey.set(message.key ?? '', set);
      }
      for (const set of partitionsByKey.values()) expect(set.size).toBe(1);
    });

    it('carries trace context and field headers as Kafka record headers, read back by kcat', async () => {
      const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
      const sent = [
        JSON.stringify({ id: 't-1', tenant: 'acme', status: 200, edge: { node: 'fra1-07' } }),
        JSON.stringify({ id: 't-2', status: 503, edge: { node: 'ams2-01' } }),
      ];
      const answer = await postLines(`${gateway.url}/log/repo/traced`, sent.join('\n'), {
        traceparent,
        tracestate: 'congo=t61rcWkgMzE',
      });
      expect(answer.status).toBe(200);
      const read = await kcatConsume({
        brokers,
        topic: topics.traced,
        count: 2,
        untilEnd: true,
        timeoutMs: 15_000,
      });
      const headersOf = (index: number) =>
        Object.fromEntries((read[index]?.headers ?? []).map(({ key, value }) => [key, value]));
      expect(read.map((message) => message.value)).toEqual(sent);
      expect(read.map((message) => message.key)).toEqual(['fra1-07', 'ams2-01']);
      expect(headersOf(0)).toEqual({
        traceparent,
        tracestate: 'congo=t61rcWkgMzE',
        'x-tenant': 'acme',
        'x-status': '200',
      });
      expect(headersOf(1)).toEqual({ traceparent, tracestate: 'congo=t61rcWkgMzE', 'x-status': '503' });
    });

    it.each([
      {
        name: 'unknown repo',
        path: '/log/repo/missing',
        body: accessLine('x'),
        status: 404,
        code: 'REPO_NOT_FOUND',
      },
      {
        name: 'oversized line',
        path: '/log/repo/access',
        body: accessLine('y'.repeat(5000)),
        status: 413,
        code: 'LINE_TOO_LARGE',
      },
      {
        name: 'declared oversized body',
        path: '/log/repo/access',
        body: 'x'.repeat(70_000),
        status: 413,
        code: 'BODY_TOO_LARGE',
      },
    ])('answers $status for $name', async ({ path, body, status, code }) => {
      const answer = await postLines(`${gateway.url}${path}`, body);
      expect(answer.status).toBe(status);
      expect(answer.body).toMatchObject({ error: { code } });
    });

    it('stops reading a chunked body past the limit and answers 413 without hanging', async () => {
      const { port } = new URL(gateway.url);
      const req = request({ host: '127.0.0.1', port, method: 'POST', path: '/log/repo/access' });
      const response = once(req, 'response');
      req.on('error', () => undefined);
      // About 1 MiB sent in chunks without Content-Length, well past the 64 KiB limit.
      for (let i = 0; i < 64; i++) req.write(`${accessLine('z'.repeat(16_000))}\n`);
      req.end();
      const [res] = (await response) as [import('node:http').IncomingMessage];
      expect(res.statusCode).toBe(413);
      res.resume();
    });

    it('a malformed gzip body is a 400, and the gateway keeps serving', async () => {
      const bad = await postLines(`${gateway.url}/log/repo/access`, 'not gzip', {
        'content-encoding': 'gzip',
      });
      expect(bad.status).toBe(400);
      const good = await postLines(`${gateway.url}/log/repo/access`, accessLine('after-bad'));
      expect(good.status).toBe(200);
    });
  });
});
