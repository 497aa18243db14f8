import kafkajs from 'kafkajs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { KafkaProducerConfig } from '../../kernel/config-schema.ts';
import { type KafkajsFiles, toKafkajsOptions } from './kafkajs-engine.ts';

const base: KafkaProducerConfig = {
  type: 'kafka',
  engine: 'kafkajs',
  brokers: ['kafka-0.kafka:9092', 'kafka-1.kafka:9092'],
  clientId: 'sluice',
  compression: 'lz4',
  acks: 'all',
  idempotent: false,
  batch: { maxMessages: 1000, maxBytes: 1 << 20, lingerMs: 5 },
  requestTimeoutMs: 10_000,
  retries: 5,
  maxPendingBytes: 64 << 20,
};

const mounted: Record<string, string> = {
  '/tls/ca.crt': 'CA PEM',
  '/tls/tls.crt': 'CERT PEM',
  '/tls/tls.key': 'KEY PEM',
  '/sasl/username': 'sluice-user\n',
  '/sasl/password': 's3cret-pass\n',
};
const files: KafkajsFiles = {
  readText: (path) => {
    const text = mounted[path];
    if (text === undefined) throw new Error(`ENOENT ${path}`);
    return text;
  },
};
const silent = pino({ level: 'silent' });
const options = (overrides: Partial<KafkaProducerConfig>) =>
  toKafkajsOptions({ ...base, ...overrides }, silent, files);

describe('toKafkajsOptions', () => {
  it('maps the client, producer and per-send settings', () => {
    const mapped = options({});
    expect(mapped.client).toMatchObject({
      clientId: 'sluice',
      brokers: ['kafka-0.kafka:9092', 'kafka-1.kafka:9092'],
      connectionTimeout: 10_000,
      requestTimeout: 10_000,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
      logLevel: kafkajs.logLevel.WARN,
    });
    expect(mapped.producer).toEqual({
      createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
      idempotent: false,
      allowAutoTopicCreation: true,
      retry: { retries: 5, initialRetryTime: 100, maxRetryTime: 2000 },
    });
    expect(mapped.send).toEqual({ acks: -1, compression: kafkajs.CompressionTypes.LZ4, timeout: 10_000 });
  });

  it.each([
    { requestTimeoutMs: 100, connectionTimeout: 100 },
    { requestTimeoutMs: 30_000, connectionTimeout: 10_000 },
  ])(
    'bounds the connection timeout: $requestTimeoutMs ms → $connectionTimeout ms',
    ({ requestTimeoutMs, connectionTimeout }) => {
      const { client, send } = options({ requestTimeoutMs });
      expect(client).toMatchObject({ connectionTimeout, requestTimeout: requestTimeoutMs });
      expect(send.timeout).toBe(requestTimeoutMs);
    },
  );

  it.each([
    ['all', -1],
    ['leader', 1],
    ['none', 0],
  ] as const)('acks %s → %i on every send', (acks, expected) => {
    expect(options({ acks }).send.acks).toBe(expected);
  });

  it.each([
    { idempotent: false, retries: 0, inFlight: undefined },
    { idempotent: false, retries: 7, inFlight: undefined },
    { idempotent: true, retries: 1, inFlight: 1 },
    { idempotent: true, retries: 9, inFlight: 1 },
  ])('idempotent $idempotent, retries $retries', ({ idempotent, retries, inFlight }) => {
    const { client, producer } = options({ idempotent, retries });
    expect(client.retry).toEqual({ retries, initialRetryTime: 100, maxRetryTime: 2000 });
    expect(producer.retry).toEqual({ retries, initialRetryTime: 100, maxRetryTime: 2000 });
    expect(producer.idempotent).toBe(idempotent);
    expect(producer.maxInFlightRequests).toBe(inFlight);
  });

  it('has no TLS or SASL unless configured', () => {
    const plain = options({ tls: { enabled: false, caFile: '/tls/ca.crt', rejectUnauthorized: true } });
    expect(plain.client.ssl).toBeUndefined();
    expect(plain.client.sasl).toBeUndefined();
  });

  it.each([
    [
      'CA only',
      { enabled: true, caFile: '/tls/ca.crt', rejectUnauthorized: true },
      { ca: ['CA PEM'], rejectUnauthorized: true },
    ],
    [
      'mutual TLS',
      {
        enabled: true,
        caFile: '/tls/ca.crt',
        certFile: '/tls/tls.crt',
        keyFile: '/tls/tls.key',
        rejectUnauthorized: false,
      },
      { ca: ['CA PEM'], cert: 'CERT PEM', key: 'KEY PEM', rejectUnauthorized: false },
    ],
    ['system CAs', { enabled: true, rejectUnauthorized: true }, { rejectUnauthorized: true }],
  ])('maps TLS: %s', (_name, tls, expected) => {
    expect(options({ tls }).client.ssl).toEqual(expected);
  });

  it('fails at creation when a TLS file is missing', () => {
    expect(() =>
      options({ tls: { enabled: true, caFile: '/tls/missing.crt', rejectUnauthorized: true } }),
    ).toThrow(/missing\.crt/);
  });

  it.each(['plain', 'scram-sha-256', 'scram-sha-512'] as const)('maps SASL %s', (mechanism) => {
    const { client } = options({
      sasl: { mechanism, usernameFile: '/sasl/username', passwordFile: '/sasl/password' },
    });
    expect(client.sasl).toMatchObject({ mechanism });
  });

  it('forwards kafkajs log entries to the logger by level, without their message in the fields', () => {
    const entries: Array<{ level: string; fields: Record<string, unknown>; message: string }> = [];
    const logger = pino(
      { level: 'debug' },
      {
        write(line: string) {
          const { level, msg, time: _t, pid: _p, hostname: _h, ...fields } = JSON.parse(line);
          entries.push({ level: pino.levels.labels[level] ?? String(level), fields, message: msg });
        },
      },
    );
    const { client } = toKafkajsOptions(base, logger, files);
    const log = client.logCreator?.(kafkajs.logLevel.DEBUG);
    if (log === undefined) throw new Error('no logCreator');
    for (const level of [kafkajs.logLevel.ERROR, kafkajs.logLevel.WARN, kafkajs.logLevel.INFO]) {
      log({
        namespace: 'Connection',
        level,
        label: 'x',
        log: { timestamp: 't', message: `at ${level}`, broker: 'b:9092' },
      });
    }
    expect(entries).toEqual([
      {
        level: 'error',
        fields: { component: 'kafkajs', namespace: 'Connection', timestamp: 't', broker: 'b:9092' },
        message: 'at 1',
      },
      {
        level: 'warn',
        fields: { component: 'kafkajs', namespace: 'Connection', timestamp: 't', broker: 'b:9092' },
        message: 'at 2',
      },
      {
        level: 'debug',
        fields: { component: 'kafkajs', namespace: 'Connection', timestamp: 't', broker: 'b:9092' },
        message: 'at 4',
      },
    ]);
  });
});
