import type { AuthenticationProviderArgs, Logger as KafkajsLogger, Mechanism } from 'kafkajs';
import kafkajs from 'kafkajs';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { KafkaProducerConfig } from '../../kernel/config-schema.ts';
import { SecretFileError } from './connection-settings.ts';
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

// Mounted files, changeable between calls as a Secret rotation changes them.
function mountedFiles(): KafkajsFiles & { readonly mounted: Map<string, string> } {
  const mounted = new Map<string, string>([
    ['/tls/ca.crt', 'CA PEM'],
    ['/tls/tls.crt', 'CERT PEM'],
    ['/tls/tls.key', 'KEY PEM'],
    ['/sasl/username', 'sluice-user\n'],
    ['/sasl/password', 's3cret-pass\n'],
  ]);
  const readText = (path: string) => {
    const text = mounted.get(path);
    if (text === undefined) throw Object.assign(new Error(`ENOENT ${path}`), { code: 'ENOENT' });
    return text;
  };
  return { mounted, readText, readSecret: async (path) => readText(path) };
}
const files = mountedFiles();
const silent = pino({ level: 'silent' });
const options = (overrides: Partial<KafkaProducerConfig>, reader: KafkajsFiles = files) =>
  toKafkajsOptions({ ...base, ...overrides }, silent, reader);

const saslConfig = (mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512') => ({
  sasl: { mechanism, usernameFile: '/sasl/username', passwordFile: '/sasl/password' },
});

const quietLogger: KafkajsLogger = {
  info: () => {},
  error: () => {},
  warn: () => {},
  debug: () => {},
  namespace: () => quietLogger,
  setLogLevel: () => {},
};

/**
 * Runs one authentication through the client config's SASL mechanism, as a kafkajs connection
 * does, against a broker that records the first SASL message and then answers nothing more.
 * Returns that message: PLAIN's is "\0user\0password", SCRAM's client-first "n,,n=user,r=…".
 */
async function firstSaslMessage(mechanism: Mechanism): Promise<string> {
  let first: string | undefined;
  const saslAuthenticate = (async ({ request }: { request: { encode(): Promise<Buffer> } }) => {
    const bytes = await request.encode();
    // kafkajs writes SASL bytes with an int32 length prefix.
    first = bytes.subarray(4).toString('utf8');
    if (mechanism.mechanism !== 'PLAIN') throw new Error('broker gone after the first message');
  }) as AuthenticationProviderArgs['saslAuthenticate'];
  await mechanism
    .authenticationProvider({ host: 'kafka-0.kafka', port: 9092, logger: quietLogger, saslAuthenticate })
    .authenticate()
    .catch(() => undefined);
  if (first === undefined) throw new Error('no SASL message was sent');
  return first;
}

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

  it.each([
    ['plain', 'PLAIN', '\0sluice-user\0s3cret-pass'],
    ['scram-sha-256', 'SCRAM-SHA-256', 'n,,n=sluice-user,r='],
    ['scram-sha-512', 'SCRAM-SHA-512', 'n,,n=sluice-user,r='],
  ] as const)(
    'maps SASL %s to %s, reading trimmed credentials when authenticating',
    async (mechanism, name, message) => {
      const { client } = options(saslConfig(mechanism));
      const sasl = client.sasl as Mechanism;
      expect(sasl.mechanism).toBe(name);
      expect(await firstSaslMessage(sasl)).toMatch(new RegExp(`^${message}`));
      // The credentials are not in the client object, so nothing can print them from it.
      expect(JSON.stringify(client)).not.toMatch(/s3cret|sluice-user/);
    },
  );

  it.each(['plain', 'scram-sha-512'] as const)(
    'SASL %s re-reads the files at every authentication: a rotated Secret applies to the next one',
    async (mechanism) => {
      const rotating = mountedFiles();
      const sasl = options(saslConfig(mechanism), rotating).client.sasl as Mechanism;
      expect(await firstSaslMessage(sasl)).toContain('sluice-user');
      rotating.mounted.set('/sasl/username', 'rotated-user\n');
      rotating.mounted.set('/sasl/password', 'rotated-pass\n');
      const second = await firstSaslMessage(sasl);
      expect(second).toContain('rotated-user');
      if (mechanism === 'plain') expect(second).toBe('\0rotated-user\0rotated-pass');
    },
  );

  it('an unreadable credentials file fails that authentication with a coded error, and the next one reads again', async () => {
    const rotating = mountedFiles();
    rotating.mounted.delete('/sasl/password');
    // Building the producer does not read the credentials: a Secret mounted later still works.
    const sasl = options(saslConfig('plain'), rotating).client.sasl as Mechanism;
    const failed = await sasl
      .authenticationProvider({
        host: 'kafka-0.kafka',
        port: 9092,
        logger: quietLogger,
        saslAuthenticate: async () => undefined,
      })
      .authenticate()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failed).toBeInstanceOf(SecretFileError);
    expect(failed).toMatchObject({
      code: 'SECRET_FILE_UNREADABLE',
      setting: 'sasl.passwordFile',
      path: '/sasl/password',
      reason: 'ENOENT',
    });
    expect(String((failed as Error).message)).not.toContain('sluice-user');
    rotating.mounted.set('/sasl/password', 'late-pass\n');
    expect(await firstSaslMessage(sasl)).toBe('\0sluice-user\0late-pass');
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
