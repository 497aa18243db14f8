import { describe, expect, it } from 'vitest';
import type { KafkaProducerConfig } from '../../kernel/config-schema.ts';
import { SecretFileError } from './connection-settings.ts';
import {
  classifyLibrdkafkaError,
  LIBRDKAFKA_PACKAGE,
  type LibrdkafkaFiles,
  loadLibrdkafka,
  toLibrdkafkaConfig,
} from './librdkafka-engine.ts';

const base: KafkaProducerConfig = {
  type: 'kafka',
  engine: 'librdkafka',
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
const files: LibrdkafkaFiles = {
  readText: (path) => {
    const text = mounted[path];
    if (text === undefined) throw new Error(`ENOENT ${path}`);
    return text;
  },
};
const config = (overrides: Partial<KafkaProducerConfig>, deliveryTimeoutMs = 30_000) =>
  toLibrdkafkaConfig({ ...base, ...overrides }, { deliveryTimeoutMs }, files);

describe('toLibrdkafkaConfig', () => {
  it('maps connection, durability, batching and retries', () => {
    expect(config({})).toMatchObject({
      'bootstrap.servers': 'kafka-0.kafka:9092,kafka-1.kafka:9092',
      'client.id': 'sluice',
      'compression.codec': 'lz4',
      acks: -1,
      'enable.idempotence': false,
      'linger.ms': 5,
      'batch.num.messages': 1000,
      'batch.size': 1 << 20,
      'request.timeout.ms': 10_000,
      'message.send.max.retries': 5,
      partitioner: 'murmur2_random',
      dr_cb: true,
    });
    expect(config({})['security.protocol']).toBeUndefined();
  });

  it.each([
    ['all', -1],
    ['leader', 1],
    ['none', 0],
  ] as const)('acks %s → %d', (acks, expected) => {
    expect(config({ acks }).acks).toBe(expected);
  });

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)(
    'compression %s is librdkafka codec %s',
    (codec) => {
      expect(config({ compression: codec })['compression.codec']).toBe(codec);
    },
  );

  it.each([
    ['the request deadline', 30_000, 5, 30_000],
    ['above linger.ms, which librdkafka requires', 100, 1000, 1001],
  ])('message.timeout.ms is %s', (_name, deadline, lingerMs, expected) => {
    const out = config({ batch: { ...base.batch, lingerMs } }, deadline);
    expect(out['message.timeout.ms']).toBe(expected);
  });

  it.each([
    // 64 MiB: 65,536 kB and at most 131,072 messages of the 512-byte minimum cost.
    [64 << 20, 65_536, 131_072],
    [64 << 10, 64, 128],
    [4096 * (1 << 20), 4_194_304, 8_388_608],
  ])('queue caps follow maxPendingBytes %d, never the 1 GiB default', (maxPendingBytes, kbytes, messages) => {
    const out = config({ maxPendingBytes });
    expect(out['queue.buffering.max.kbytes']).toBe(kbytes);
    expect(out['queue.buffering.max.messages']).toBe(messages);
  });

  it.each([
    ['TLS', { tls: { enabled: true, rejectUnauthorized: true } }, 'ssl'],
    [
      'SASL',
      { sasl: { mechanism: 'plain', usernameFile: '/sasl/username', passwordFile: '/sasl/password' } },
      'sasl_plaintext',
    ],
    [
      'TLS and SASL',
      {
        tls: { enabled: true, rejectUnauthorized: true },
        sasl: { mechanism: 'scram-sha-512', usernameFile: '/sasl/username', passwordFile: '/sasl/password' },
      },
      'sasl_ssl',
    ],
    ['TLS disabled', { tls: { enabled: false, rejectUnauthorized: true } }, undefined],
  ] as const)('%s → security.protocol %s', (_name, overrides, protocol) => {
    expect(config(overrides as Partial<KafkaProducerConfig>)['security.protocol']).toBe(protocol);
  });

  it('passes TLS material as PEM and verification as configured', () => {
    const strict = config({
      tls: {
        enabled: true,
        caFile: '/tls/ca.crt',
        certFile: '/tls/tls.crt',
        keyFile: '/tls/tls.key',
        rejectUnauthorized: true,
      },
    });
    expect(strict).toMatchObject({
      'ssl.ca.pem': 'CA PEM',
      'ssl.certificate.pem': 'CERT PEM',
      'ssl.key.pem': 'KEY PEM',
      'enable.ssl.certificate.verification': true,
      'ssl.endpoint.identification.algorithm': 'https',
    });
    const lax = config({ tls: { enabled: true, rejectUnauthorized: false } });
    expect(lax).toMatchObject({
      'enable.ssl.certificate.verification': false,
      'ssl.endpoint.identification.algorithm': 'none',
    });
  });

  it.each([
    ['plain', 'PLAIN'],
    ['scram-sha-256', 'SCRAM-SHA-256'],
    ['scram-sha-512', 'SCRAM-SHA-512'],
  ] as const)('SASL %s reads trimmed credentials from the mounted files', (mechanism, name) => {
    const out = config({
      sasl: { mechanism, usernameFile: '/sasl/username', passwordFile: '/sasl/password' },
    });
    expect(out).toMatchObject({
      'sasl.mechanisms': name,
      'sasl.username': 'sluice-user',
      'sasl.password': 's3cret-pass',
    });
  });
});

describe('toLibrdkafkaConfig: when secret files are read', () => {
  const secured = {
    tls: { enabled: true, caFile: '/tls/ca.crt', rejectUnauthorized: true },
    sasl: { mechanism: 'plain', usernameFile: '/sasl/username', passwordFile: '/sasl/password' },
  } as const;

  it('reads every file when the producer is built; a rotation reaches only a producer built after it', () => {
    const rotating = new Map(Object.entries(mounted));
    const reads: string[] = [];
    const reader: LibrdkafkaFiles = {
      readText: (path) => {
        reads.push(path);
        const text = rotating.get(path);
        if (text === undefined) throw new Error(`ENOENT ${path}`);
        return text;
      },
    };
    const built = toLibrdkafkaConfig({ ...base, ...secured }, { deliveryTimeoutMs: 30_000 }, reader);
    expect(reads).toEqual(['/tls/ca.crt', '/sasl/username', '/sasl/password']);
    rotating.set('/sasl/password', 'rotated-pass\n');
    // librdkafka keeps its copy of the built config: nothing re-reads for it.
    expect(built['sasl.password']).toBe('s3cret-pass');
    const rebuilt = toLibrdkafkaConfig({ ...base, ...secured }, { deliveryTimeoutMs: 30_000 }, reader);
    expect(rebuilt['sasl.password']).toBe('rotated-pass');
  });

  it.each([
    ['/sasl/password', 'sasl.passwordFile', 'SECRET_FILE_UNREADABLE', undefined],
    ['/sasl/username', 'sasl.usernameFile', 'SECRET_FILE_EMPTY', '\n'],
    ['/tls/ca.crt', 'tls.caFile', 'SECRET_FILE_UNREADABLE', undefined],
  ] as const)('%s unreadable or empty fails the build as %s %s', (path, setting, code, text) => {
    const broken = new Map(Object.entries(mounted));
    if (text === undefined) broken.delete(path);
    else broken.set(path, text);
    const reader: LibrdkafkaFiles = {
      readText: (file) => {
        const value = broken.get(file);
        if (value === undefined) throw new Error(`ENOENT ${file}`);
        return value;
      },
    };
    let thrown: unknown;
    try {
      toLibrdkafkaConfig({ ...base, ...secured }, { deliveryTimeoutMs: 30_000 }, reader);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(SecretFileError);
    expect(thrown).toMatchObject({ code, setting, path });
    expect((thrown as Error).message).not.toMatch(/s3cret|sluice-user/);
  });
});

describe('classifyLibrdkafkaError', () => {
  it.each([
    [{ code: -192, message: 'Local: Message timed out' }, 'timeout'],
    [{ code: -185 }, 'timeout'],
    [{ code: 7 }, 'timeout'],
    [{ code: -195, message: 'Local: Broker transport failure' }, 'connection'],
    [{ code: -187 }, 'connection'],
    [{ code: -181 }, 'connection'],
    [{ code: -197 }, 'closed'],
    [{ code: -169 }, 'broker'],
    [{ code: 19, message: 'Broker: Not enough in-sync replicas' }, 'broker'],
    [{ code: 3 }, 'broker'],
    [new Error('Producer not connected'), 'closed'],
    [{ code: -184 }, 'unknown'],
    ['a string', 'unknown'],
    [null, 'unknown'],
  ])('%o → %s', (error, kind) => {
    expect(classifyLibrdkafkaError(error)).toBe(kind);
  });
});

describe('loadLibrdkafka', () => {
  it('names the package and the fix when the binding does not load', () => {
    const result = loadLibrdkafka(() => {
      throw new Error("Cannot find module 'confluent-kafka-javascript.node'\nRequire stack: …");
    });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.message).toContain(LIBRDKAFKA_PACKAGE);
      expect(result.message).toContain('npm run build:librdkafka');
      expect(result.message).not.toContain('Require stack');
    }
  });
});
