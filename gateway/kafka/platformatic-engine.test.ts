import { createServer } from 'node:net';
import {
  AuthenticationError,
  MultipleErrors,
  NetworkError,
  ProtocolError,
  TimeoutError,
  UserError,
} from '@platformatic/kafka';
import pino from 'pino';
import { beforeAll, describe, expect, it } from 'vitest';
import type { KafkaProducerConfig } from '../../kernel/config-schema.ts';
import type { OutboundMessage } from '../producers/producer-engine.ts';
import { SecretFileError } from './connection-settings.ts';
import { keyHash } from './java-partitioner.ts';
import {
  classifyPlatformaticError,
  createPlatformaticEngine,
  type EngineFiles,
  retryDelayMs,
  sendOptions,
  toPlatformaticOptions,
  toRecords,
} from './platformatic-engine.ts';

const base: KafkaProducerConfig = {
  type: 'kafka',
  engine: 'platformatic',
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

const mountedFiles: Record<string, string> = {
  '/tls/ca.crt': 'CA PEM',
  '/tls/tls.crt': 'CERT PEM',
  '/tls/tls.key': 'KEY PEM',
  '/sasl/username': 'sluice-user\n',
  '/sasl/password': 's3cret-pass\n',
};
const files: EngineFiles = {
  readText: (path) => {
    const text = mountedFiles[path];
    if (text === undefined) throw new Error(`ENOENT ${path}`);
    return text;
  },
  readSecret: async (path) => files.readText(path).trim(),
};
const options = (overrides: Partial<KafkaProducerConfig>) =>
  toPlatformaticOptions({ ...base, ...overrides }, files);

describe('toPlatformaticOptions', () => {
  it('maps the connection settings', () => {
    expect(options({})).toMatchObject({
      clientId: 'sluice',
      bootstrapBrokers: ['kafka-0.kafka:9092', 'kafka-1.kafka:9092'],
      idempotent: false,
      timeout: 10_000,
      requestTimeout: 10_000,
      connectTimeout: 10_000,
      retries: 5,
      autocreateTopics: true,
      strict: false,
      acks: -1,
      compression: 'lz4',
    });
  });

  it.each([
    { requestTimeoutMs: 100, connectTimeout: 100 },
    { requestTimeoutMs: 30_000, connectTimeout: 10_000 },
  ])(
    'bounds the connect timeout: $requestTimeoutMs ms → $connectTimeout ms',
    ({ requestTimeoutMs, connectTimeout }) => {
      expect(options({ requestTimeoutMs })).toMatchObject({ timeout: requestTimeoutMs, connectTimeout });
    },
  );

  it.each([
    { idempotent: false, retries: 0, expected: 0 },
    { idempotent: false, retries: 7, expected: 7 },
    // The library would retry an idempotent producer forever at 0 or 1.
    { idempotent: true, retries: 0, expected: 2 },
    { idempotent: true, retries: 1, expected: 2 },
    { idempotent: true, retries: 9, expected: 9 },
  ])('idempotent $idempotent, retries $retries → $expected', ({ idempotent, retries, expected }) => {
    expect(options({ idempotent, retries })).toMatchObject({ idempotent, retries: expected });
  });

  it('retries with capped exponential backoff', () => {
    const attempts = [1, 2, 3, 4, 5, 6, 20];
    const expected = [100, 200, 400, 800, 1600, 2000, 2000];
    expect(attempts.map(retryDelayMs)).toEqual(expected);
    const delay = options({}).retryDelay;
    if (typeof delay !== 'function') throw new Error(`retryDelay is ${typeof delay}, not a function`);
    expect(attempts.map((attempt) => delay({}, 'produce', attempt, 5, new Error('x')))).toEqual(expected);
  });

  it('has no TLS or SASL unless configured', () => {
    const plain = options({ tls: { enabled: false, rejectUnauthorized: true } });
    expect(plain.tls).toBeUndefined();
    expect(plain.sasl).toBeUndefined();
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
    const mapped = options({ tls });
    expect(mapped.tls).toEqual(expected);
    expect(mapped.tlsServerName).toBe(true);
  });

  it('fails at creation when a TLS file is missing', () => {
    expect(() =>
      options({ tls: { enabled: true, caFile: '/tls/missing.crt', rejectUnauthorized: true } }),
    ).toThrow(/missing\.crt/);
  });

  it.each([
    ['plain', 'PLAIN'],
    ['scram-sha-256', 'SCRAM-SHA-256'],
    ['scram-sha-512', 'SCRAM-SHA-512'],
  ] as const)(
    'maps SASL %s, reading credentials from the files when authenticating',
    async (mechanism, expected) => {
      const mapped = options({
        sasl: { mechanism, usernameFile: '/sasl/username', passwordFile: '/sasl/password' },
      });
      expect(mapped.sasl?.mechanism).toBe(expected);
      const { username, password } = mapped.sasl ?? {};
      expect(typeof username).toBe('function');
      expect(typeof password).toBe('function');
      expect(await (username as () => Promise<string>)()).toBe('sluice-user');
      expect(await (password as () => Promise<string>)()).toBe('s3cret-pass');
      // The credentials are not in the options object, so nothing can print them from it.
      expect(JSON.stringify(mapped)).not.toMatch(/s3cret|sluice-user/);
    },
  );
});

describe('toPlatformaticOptions: when secret files are read', () => {
  // A reader whose files a test changes between calls, as a Secret rotation changes them.
  function rotatingFiles() {
    const mounted = new Map(Object.entries(mountedFiles));
    const reads: string[] = [];
    const readText = (path: string) => {
      reads.push(path);
      const text = mounted.get(path);
      if (text === undefined) throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
      return text;
    };
    const reader: EngineFiles = { readText, readSecret: async (path) => readText(path) };
    return { mounted, reads, reader };
  }
  const withSasl = {
    sasl: { mechanism: 'scram-sha-256', usernameFile: '/sasl/username', passwordFile: '/sasl/password' },
    tls: { enabled: true, caFile: '/tls/ca.crt', rejectUnauthorized: true },
  } as const;
  type Provider = () => Promise<string>;

  it('reads TLS files when the options are built and SASL files at every authentication', async () => {
    const { mounted, reads, reader } = rotatingFiles();
    const mapped = toPlatformaticOptions({ ...base, ...withSasl }, reader);
    expect(reads).toEqual(['/tls/ca.crt']);
    const username = mapped.sasl?.username as Provider;
    const password = mapped.sasl?.password as Provider;
    // First authentication.
    expect([await username(), await password()]).toEqual(['sluice-user', 's3cret-pass']);
    mounted.set('/sasl/username', 'rotated-user\n');
    mounted.set('/sasl/password', 'rotated-pass\n');
    mounted.set('/tls/ca.crt', 'ROTATED CA PEM');
    // Second authentication (a new connection or a re-authentication): the rotated Secret.
    expect([await username(), await password()]).toEqual(['rotated-user', 'rotated-pass']);
    // TLS material stays what it was when the producer was built.
    expect(mapped.tls?.ca).toEqual(['CA PEM']);
  });

  it('an unreadable credentials file fails that authentication with a coded error, not the build', async () => {
    const { mounted, reader } = rotatingFiles();
    mounted.delete('/sasl/password');
    const mapped = toPlatformaticOptions({ ...base, ...withSasl }, reader);
    const password = mapped.sasl?.password as Provider;
    const failed = await password().then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(failed).toBeInstanceOf(SecretFileError);
    expect(failed).toMatchObject({ code: 'SECRET_FILE_UNREADABLE', setting: 'sasl.passwordFile' });
    mounted.set('/sasl/password', 'late-pass\n');
    expect(await password()).toBe('late-pass');
  });

  it('a missing TLS file fails the build with a coded error naming the setting', () => {
    const { mounted, reader } = rotatingFiles();
    mounted.delete('/tls/ca.crt');
    expect(() => toPlatformaticOptions({ ...base, ...withSasl }, reader)).toThrow(
      expect.objectContaining({
        name: 'SecretFileError',
        code: 'SECRET_FILE_UNREADABLE',
        setting: 'tls.caFile',
      }),
    );
  });
});

describe('sendOptions', () => {
  it.each([
    ['all', -1],
    ['leader', 1],
    ['none', 0],
  ] as const)('acks %s → %i on every send', (acks, expected) => {
    expect(sendOptions({ ...base, acks })).toMatchObject({ acks: expected });
  });

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)(
    'passes compression %s by name',
    (compression) => {
      expect(sendOptions({ ...base, compression }).compression).toBe(compression);
    },
  );
});

describe('toRecords', () => {
  const value = Buffer.from('{"msg":"x"}');
  it.each<[string, OutboundMessage, Record<string, unknown>]>([
    ['unkeyed → the batch partition', { key: null, value }, { partition: 7 }],
    [
      'keyed → the Java partition hash',
      { key: 'edge-1', value },
      { key: Buffer.from('edge-1'), partition: keyHash(Buffer.from('edge-1')) },
    ],
    ['empty key is a key', { key: '', value }, { key: Buffer.alloc(0), partition: keyHash(Buffer.alloc(0)) }],
  ])('%s', (_name, message, expected) => {
    const [record] = toRecords('logs', [message], 7).records;
    expect(record).toMatchObject({ topic: 'logs', value, ...expected });
    if (message.key === null) expect(record?.key).toBeUndefined();
  });

  it('passes headers through as bytes', () => {
    const [record] = toRecords(
      'dead',
      [{ key: null, value, headers: { 'sluice-reason': 'invalid_json' } }],
      0,
    ).records;
    expect(
      [...((record?.headers ?? new Map()) as Map<Buffer, Buffer>)].map(([k, v]) => [
        k.toString(),
        v.toString(),
      ]),
    ).toEqual([['sluice-reason', 'invalid_json']]);
  });

  it('keeps the order and every message', () => {
    const messages = Array.from({ length: 50 }, (_, i) => ({
      key: i % 2 ? `k${i}` : null,
      value: Buffer.from(`${i}`),
    }));
    const { records } = toRecords('t', messages, 3);
    expect(records.map((r) => String(r.value))).toEqual(messages.map((m) => m.value.toString()));
  });

  it.each([
    // [value sizes in KiB, first partition, expected partitions, next batch's partition]
    [[1, 1, 1], 4, [4, 4, 4], 5],
    [[200, 200, 200, 200], 0, [0, 0, 1, 1], 2],
    [[512, 1], 0, [0, 1], 2],
    [[600, 600], 9, [9, 10], 11],
    [[], 2, [], 3],
  ])('moves unkeyed messages on every %j KiB chunk', (sizes, first, partitions, next) => {
    const messages = sizes.map((kib) => ({ key: null, value: Buffer.alloc(kib * 1024) }));
    const batch = toRecords('t', messages, first);
    expect(batch.records.map((r) => r.partition)).toEqual(partitions);
    expect(batch.nextPartition).toBe(next);
  });

  it('keeps keyed messages on their key partition inside a chunked batch', () => {
    const big = Buffer.alloc(400 * 1024);
    const { records } = toRecords(
      't',
      [
        { key: null, value: big },
        { key: 'edge-1', value: big },
        { key: null, value: big },
      ],
      0,
    );
    expect(records.map((r) => r.partition)).toEqual([0, keyHash(Buffer.from('edge-1')), 1]);
  });

  it('wraps its partition counter before it turns negative', () => {
    expect(toRecords('t', [{ key: null, value }], 0x7fffffff).nextPartition).toBe(0);
  });
});

describe('classifyPlatformaticError', () => {
  const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9092'), { code: 'ECONNREFUSED' });
  const networkFailure = new NetworkError('Connection to 127.0.0.1:9092 failed.', { cause: refused });
  const timeout = new TimeoutError('Request timed out', { canRetry: true });

  it.each<[string, unknown, string]>([
    ['a request timeout', timeout, 'timeout'],
    ['a failed connection', networkFailure, 'connection'],
    [
      'a network error caused by a connect timeout',
      new NetworkError('failed', { cause: timeout }),
      'timeout',
    ],
    ['a closed client', new NetworkError('Client is closed.', { canRetry: false, closed: true }), 'closed'],
    ['a broker error code', new ProtocolError('NOT_ENOUGH_REPLICAS'), 'broker'],
    ['a failed authentication', new AuthenticationError('SASL authentication failed.'), 'broker'],
    [
      'a connection refused by authentication',
      new MultipleErrors('Cannot connect to any broker.', [
        new NetworkError('Connection to 127.0.0.1:9092 failed.', {
          cause: new AuthenticationError('SASL authentication failed.'),
        }),
      ]),
      'broker',
    ],
    ['an unknown topic', new UserError('Unknown topic logs.x.'), 'broker'],
    ['another usage error', new UserError('Cannot specify producerId'), 'unknown'],
    ['a bare socket error', refused, 'connection'],
    ['a socket timeout', Object.assign(new Error('t'), { code: 'ETIMEDOUT' }), 'timeout'],
    [
      'retries, judged by the last attempt',
      new MultipleErrors('Producing messages failed.', [
        new MultipleErrors('produce failed 3 times.', [timeout, timeout, networkFailure]),
      ]),
      'connection',
    ],
    [
      'retries ending in a timeout',
      new MultipleErrors('produce failed 2 times.', [networkFailure, timeout]),
      'timeout',
    ],
    [
      'an error with a cause chain',
      new Error('outer', { cause: new ProtocolError('NOT_LEADER_OR_FOLLOWER') }),
      'broker',
    ],
    ['a plain error', new Error('boom'), 'unknown'],
    ['a string', 'boom', 'unknown'],
    ['undefined', undefined, 'unknown'],
    ['an empty aggregate', new MultipleErrors('nothing', []), 'unknown'],
  ])('%s → %s', (_name, error, expected) => {
    expect(classifyPlatformaticError(error)).toBe(expected);
  });

  it('stops on cyclic causes', () => {
    const a = new Error('a');
    const b = new Error('b', { cause: a });
    Object.assign(a, { cause: b });
    expect(classifyPlatformaticError(a)).toBe('unknown');
  });
});

describe('engine against real library errors (loopback, no broker)', () => {
  let refusedPort = 0;
  beforeAll(async () => {
    // A port that was just free and is closed again: connections are refused at once.
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    refusedPort = (server.address() as { port: number }).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const engineFor = () =>
    createPlatformaticEngine(
      { ...base, brokers: [`127.0.0.1:${refusedPort}`], retries: 0, requestTimeoutMs: 1000 },
      pino({ level: 'silent' }),
      files,
    );

  it('rejects connect with a connection error when no broker listens', async () => {
    const engine = engineFor();
    const error = await engine.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(classifyPlatformaticError(error)).toBe('connection');
    await engine.close();
  });

  it('rejects send after close as closed', async () => {
    const engine = engineFor();
    await engine.close();
    const error = await engine.send('logs', [{ key: null, value: Buffer.from('x') }]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(classifyPlatformaticError(error)).toBe('closed');
  });
});
