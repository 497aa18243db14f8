import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KafkaProducerConfig } from '../../kernel/config-schema.ts';
import {
  acksLevel,
  backoffDelayMs,
  type ConnectionSettings,
  connectionSettings,
  describeSettingsError,
  nodeFileReader,
  RETRY_BACKOFF,
  type Result,
  SecretFileError,
  type SecretFileReader,
  type SettingsError,
  valueOrThrow,
} from './connection-settings.ts';

const base: KafkaProducerConfig = {
  type: 'kafka',
  engine: 'platformatic',
  brokers: ['kafka-0.kafka:9092'],
  clientId: 'sluice',
  compression: 'lz4',
  acks: 'all',
  idempotent: false,
  batch: { maxMessages: 1000, maxBytes: 1 << 20, lingerMs: 5 },
  requestTimeoutMs: 10_000,
  retries: 5,
  maxPendingBytes: 64 << 20,
};

const SECRET = 's3cret-pass';

/** Mounted files that a test can change, as a Secret rotation changes them; counts reads. */
function fakeFiles(): SecretFileReader & { readonly mounted: Map<string, string>; readonly reads: string[] } {
  const mounted = new Map<string, string>([
    ['/tls/ca.crt', 'CA PEM\n'],
    ['/tls/tls.crt', 'CERT PEM\n'],
    ['/tls/tls.key', 'KEY PEM\n'],
    ['/sasl/username', 'sluice-user\n'],
    ['/sasl/password', `${SECRET}\n`],
  ]);
  const reads: string[] = [];
  const readText = (path: string) => {
    reads.push(path);
    const text = mounted.get(path);
    // Like node:fs: the path in the message, the errno in `code`.
    if (text === undefined) throw Object.assign(new Error(`ENOENT: open '${path}'`), { code: 'ENOENT' });
    return text;
  };
  return { mounted, reads, readText, readSecret: async (path) => readText(path) };
}

const settingsOf = (
  overrides: Partial<KafkaProducerConfig>,
  files: SecretFileReader = fakeFiles(),
): ConnectionSettings => {
  const result = connectionSettings({ ...base, ...overrides }, files);
  if (!result.ok) throw new Error(describeSettingsError(result));
  return result.value;
};

const sasl = (mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512') => ({
  mechanism,
  usernameFile: '/sasl/username',
  passwordFile: '/sasl/password',
});

describe('connectionSettings: TLS', () => {
  it.each<[string, KafkaProducerConfig['tls'], ConnectionSettings['tls']]>([
    ['not configured: plaintext', undefined, undefined],
    [
      'disabled, files ignored',
      { enabled: false, caFile: '/tls/ca.crt', rejectUnauthorized: true },
      undefined,
    ],
    ['system CAs', { enabled: true, rejectUnauthorized: true }, { rejectUnauthorized: true }],
    [
      'CA only',
      { enabled: true, caFile: '/tls/ca.crt', rejectUnauthorized: true },
      { ca: 'CA PEM\n', rejectUnauthorized: true },
    ],
    [
      'client certificate (mutual TLS)',
      {
        enabled: true,
        caFile: '/tls/ca.crt',
        certFile: '/tls/tls.crt',
        keyFile: '/tls/tls.key',
        rejectUnauthorized: true,
      },
      { ca: 'CA PEM\n', cert: 'CERT PEM\n', key: 'KEY PEM\n', rejectUnauthorized: true },
    ],
    [
      'rejectUnauthorized false',
      { enabled: true, caFile: '/tls/ca.crt', rejectUnauthorized: false },
      { ca: 'CA PEM\n', rejectUnauthorized: false },
    ],
  ])('%s', (_name, tls, expected) => {
    const files = fakeFiles();
    const settings = settingsOf(tls ? { tls } : {}, files);
    expect(settings.tls).toEqual(expected);
    // TLS material is read once, when the settings are computed.
    expect(files.reads).toEqual(
      [tls?.caFile, tls?.certFile, tls?.keyFile].filter((path) => tls?.enabled && path !== undefined),
    );
  });
});

describe('connectionSettings: SASL', () => {
  it.each([
    ['plain', 'PLAIN'],
    ['scram-sha-256', 'SCRAM-SHA-256'],
    ['scram-sha-512', 'SCRAM-SHA-512'],
  ] as const)('%s → mechanism %s, credentials read only when asked, trimmed', async (mechanism, name) => {
    const files = fakeFiles();
    const settings = settingsOf({ sasl: sasl(mechanism) }, files);
    expect(settings.sasl?.mechanism).toBe(name);
    // Nothing is read when the settings are computed.
    expect(files.reads).toEqual([]);
    expect(await settings.sasl?.username()).toEqual({ ok: true, value: 'sluice-user' });
    expect(await settings.sasl?.password()).toEqual({ ok: true, value: SECRET });
    expect(settings.sasl?.readNow()).toEqual({
      ok: true,
      value: { username: 'sluice-user', password: SECRET },
    });
    // The settings object holds readers, never the credentials.
    expect(JSON.stringify(settings)).not.toContain(SECRET);
  });

  it('no SASL unless configured', () => {
    expect(settingsOf({}).sasl).toBeUndefined();
  });

  it('every read sees the file as it is then: a rotated Secret applies to the next read', async () => {
    const files = fakeFiles();
    const settings = settingsOf({ sasl: sasl('scram-sha-512') }, files);
    expect(await settings.sasl?.password()).toEqual({ ok: true, value: SECRET });
    files.mounted.set('/sasl/password', 'rotated-pass\n');
    expect(await settings.sasl?.password()).toEqual({ ok: true, value: 'rotated-pass' });
    expect(settings.sasl?.readNow()).toMatchObject({ ok: true, value: { password: 'rotated-pass' } });
  });
});

describe('connectionSettings: acks, retries, timeouts', () => {
  it.each([
    { acks: 'all', idempotent: false, expected: -1 },
    { acks: 'leader', idempotent: false, expected: 1 },
    { acks: 'none', idempotent: false, expected: 0 },
    // Idempotence needs every in-sync replica's acknowledgement, whatever was asked.
    { acks: 'all', idempotent: true, expected: -1 },
    { acks: 'leader', idempotent: true, expected: -1 },
    { acks: 'none', idempotent: true, expected: -1 },
  ] as const)('acks $acks, idempotent $idempotent → $expected', ({ acks, idempotent, expected }) => {
    expect(acksLevel(acks, idempotent)).toBe(expected);
    const settings = settingsOf({ acks, idempotent });
    expect(settings).toMatchObject({ acks: expected, idempotent });
  });

  it.each([0, 1, 5, 100])('retries %i, with the shared backoff', (retries) => {
    expect(settingsOf({ retries }).retry).toEqual({ retries, initialBackoffMs: 100, maxBackoffMs: 2000 });
  });

  it.each([
    [1, 100],
    [2, 200],
    [3, 400],
    [5, 1600],
    [6, 2000],
    [30, 2000],
    [0, 100],
  ])('backoff before retry %i: %i ms', (attempt, delay) => {
    expect(backoffDelayMs(RETRY_BACKOFF, attempt)).toBe(delay);
  });

  it.each([
    { requestTimeoutMs: 100, connectTimeoutMs: 100 },
    { requestTimeoutMs: 10_000, connectTimeoutMs: 10_000 },
    { requestTimeoutMs: 30_000, connectTimeoutMs: 10_000 },
  ])(
    'request timeout $requestTimeoutMs ms → connect timeout $connectTimeoutMs ms',
    ({ requestTimeoutMs, connectTimeoutMs }) => {
      expect(settingsOf({ requestTimeoutMs })).toMatchObject({ requestTimeoutMs, connectTimeoutMs });
    },
  );
});

describe('connectionSettings: unreadable and empty files', () => {
  const mtls = {
    enabled: true,
    caFile: '/tls/ca.crt',
    certFile: '/tls/tls.crt',
    keyFile: '/tls/tls.key',
    rejectUnauthorized: true,
  };

  it.each([
    ['tls.caFile', '/tls/ca.crt'],
    ['tls.certFile', '/tls/tls.crt'],
    ['tls.keyFile', '/tls/tls.key'],
  ] as const)('an unreadable %s is a coded error value', (setting, path) => {
    const files = fakeFiles();
    files.mounted.delete(path);
    expect(connectionSettings({ ...base, tls: mtls }, files)).toEqual({
      ok: false,
      code: 'SECRET_FILE_UNREADABLE',
      setting,
      path,
      reason: 'ENOENT',
    });
  });

  it.each([
    ['sasl.usernameFile', '/sasl/username', 'username'],
    ['sasl.passwordFile', '/sasl/password', 'password'],
  ] as const)('an unreadable %s is a coded error value at read time', async (setting, path, reader) => {
    const files = fakeFiles();
    files.mounted.delete(path);
    const settings = settingsOf({ sasl: sasl('plain') }, files);
    const expected: SettingsError = {
      ok: false,
      code: 'SECRET_FILE_UNREADABLE',
      setting,
      path,
      reason: 'ENOENT',
    };
    expect(await settings.sasl?.[reader]()).toEqual(expected);
    expect(settings.sasl?.readNow()).toEqual(expected);
  });

  it.each([
    ['/sasl/password', '\n', 'sasl.passwordFile'],
    ['/sasl/username', '  \n', 'sasl.usernameFile'],
  ] as const)('an empty %s is SECRET_FILE_EMPTY', async (path, text, setting) => {
    const files = fakeFiles();
    files.mounted.set(path, text);
    const settings = settingsOf({ sasl: sasl('scram-sha-256') }, files);
    expect(settings.sasl?.readNow()).toEqual({ ok: false, code: 'SECRET_FILE_EMPTY', setting, path });
  });

  it('an empty TLS file is SECRET_FILE_EMPTY', () => {
    const files = fakeFiles();
    files.mounted.set('/tls/ca.crt', '');
    expect(connectionSettings({ ...base, tls: mtls }, files)).toEqual({
      ok: false,
      code: 'SECRET_FILE_EMPTY',
      setting: 'tls.caFile',
      path: '/tls/ca.crt',
    });
  });

  it("keeps only an errno code from the reader, never the reader's message", async () => {
    const leaky: SecretFileReader = {
      readText: () => {
        throw new Error(`parse error near "${SECRET}"`);
      },
      readSecret: async () => {
        throw Object.assign(new Error(`bad byte in ${SECRET}`), { code: `not an errno ${SECRET}` });
      },
    };
    const settings = settingsOf({ sasl: sasl('plain') }, leaky);
    for (const result of [await settings.sasl?.password(), settings.sasl?.readNow()]) {
      expect(result).toEqual({
        ok: false,
        code: 'SECRET_FILE_UNREADABLE',
        setting: expect.stringMatching(/^sasl\./),
        path: expect.stringMatching(/^\/sasl\//),
      });
      expect(JSON.stringify(result)).not.toContain(SECRET);
    }
  });

  it('describes an error by code, setting and path; as an exception it keeps the fields', () => {
    const error: SettingsError = {
      ok: false,
      code: 'SECRET_FILE_UNREADABLE',
      setting: 'sasl.passwordFile',
      path: '/etc/sluice/secrets/kafka/password',
      reason: 'EACCES',
    };
    expect(describeSettingsError(error)).toBe(
      'SECRET_FILE_UNREADABLE: sasl.passwordFile file /etc/sluice/secrets/kafka/password cannot be read (EACCES)',
    );
    expect(describeSettingsError({ ...error, code: 'SECRET_FILE_EMPTY', reason: undefined })).toBe(
      'SECRET_FILE_EMPTY: sasl.passwordFile file /etc/sluice/secrets/kafka/password is empty',
    );
    const result: Result<string> = error;
    expect(() => valueOrThrow(result)).toThrow(SecretFileError);
    try {
      valueOrThrow(result);
    } catch (thrown) {
      expect(thrown).toMatchObject({
        name: 'SecretFileError',
        code: 'SECRET_FILE_UNREADABLE',
        setting: 'sasl.passwordFile',
        path: '/etc/sluice/secrets/kafka/password',
        reason: 'EACCES',
      });
    }
    expect(valueOrThrow({ ok: true, value: 7 })).toBe(7);
  });
});

describe('nodeFileReader', () => {
  it('reads real files, and a missing one reports ENOENT without its content', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'sluice-connection-settings-'));
    try {
      const usernameFile = join(dir, 'username');
      const passwordFile = join(dir, 'password');
      await writeFile(usernameFile, 'file-user\n');
      const result = connectionSettings(
        { ...base, sasl: { mechanism: 'plain', usernameFile, passwordFile } },
        nodeFileReader,
      );
      if (!result.ok) throw new Error(describeSettingsError(result));
      const { sasl: settings } = result.value;
      expect(await settings?.username()).toEqual({ ok: true, value: 'file-user' });
      expect(await settings?.password()).toEqual({
        ok: false,
        code: 'SECRET_FILE_UNREADABLE',
        setting: 'sasl.passwordFile',
        path: passwordFile,
        reason: 'ENOENT',
      });
      await writeFile(passwordFile, `${SECRET}\n`);
      expect(await settings?.password()).toEqual({ ok: true, value: SECRET });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
