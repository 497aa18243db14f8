import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { Acks, KafkaProducerConfig } from '../../kernel/config-schema.ts';

// The engine-neutral meaning of a Kafka producer's connection settings: TLS material, SASL
// mechanism and credentials, acknowledgements, retries and their backoff. Computed here once,
// from the config and an injected file reader; each engine (kafkajs, platformatic, librdkafka)
// only renames these into its library's options. Two engines cannot drift apart on what
// `acks: all` or a CA file means, and they read secret files by one policy:
//
// - TLS files (caFile, certFile, keyFile) are read once, when the producer is built.
// - SASL credentials are never read here: `sasl` carries readers, called at the moment a
//   library needs the credentials. kafkajs and platformatic call them at every
//   authentication (each new broker connection and each re-authentication); librdkafka
//   copies its configuration when the producer is built, so its engine calls `readNow` then.
//
// Nothing read from a file ever enters an error: errors are values naming the setting, the
// path and at most the file system's error code.

/** How the settings reach mounted files; injected so the mapping stays pure. */
export interface SecretFileReader {
  /** The whole file as UTF-8 text, read now (blocking). Throws when it cannot be read. */
  readText(path: string): string;
  /** The whole file as UTF-8 text, read without blocking the event loop. Rejects when unreadable. */
  readSecret(path: string): Promise<string>;
}

/** The file system. */
export const nodeFileReader: SecretFileReader = {
  readText: (path) => readFileSync(path, 'utf8'),
  readSecret: (path) => readFile(path, 'utf8'),
};

/** The config field a file path came from, so an error says which setting to fix. */
export type FileSetting =
  | 'tls.caFile'
  | 'tls.certFile'
  | 'tls.keyFile'
  | 'sasl.usernameFile'
  | 'sasl.passwordFile';

export type SettingsErrorCode = 'SECRET_FILE_UNREADABLE' | 'SECRET_FILE_EMPTY';

export interface SettingsError {
  readonly ok: false;
  readonly code: SettingsErrorCode;
  readonly setting: FileSetting;
  readonly path: string;
  /** The file system's error code (ENOENT, EACCES…) when it gave one; never its message. */
  readonly reason?: string;
}

export type Result<T> = { readonly ok: true; readonly value: T } | SettingsError;

/** PEM text for node:tls. Absent fields: the system CAs, no client certificate. */
export interface TlsSettings {
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  /** Verify the broker's certificate chain and host name. */
  readonly rejectUnauthorized: boolean;
}

/** SASL mechanism names as Kafka's SaslHandshake spells them. */
export type SaslMechanismName = 'PLAIN' | 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

export interface SaslCredentials {
  readonly username: string;
  readonly password: string;
}

export interface SaslSettings {
  readonly mechanism: SaslMechanismName;
  /** Reads the user name file at this call, trimmed. Nothing is cached between calls. */
  username(): Promise<Result<string>>;
  /** Reads the password file at this call, trimmed. Nothing is cached between calls. */
  password(): Promise<Result<string>>;
  /**
   * Reads both files at this call, blocking. Only for a library that takes the credentials
   * as strings when the producer is built and keeps its own copy (librdkafka).
   */
  readNow(): Result<SaslCredentials>;
}

/** Acknowledgements as the Kafka protocol counts them: all in-sync replicas, the leader, none. */
export type AcksLevel = -1 | 1 | 0;

/** Retries of a failed request and the capped exponential backoff between them. */
export interface RetrySettings {
  readonly retries: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
}

export interface ConnectionSettings {
  /** Absent: plaintext connections. */
  readonly tls?: TlsSettings;
  /** Absent: no authentication. */
  readonly sasl?: SaslSettings;
  readonly acks: AcksLevel;
  readonly idempotent: boolean;
  readonly retry: RetrySettings;
  /** Bounds every request to a broker. */
  readonly requestTimeoutMs: number;
  /** Bounds a connection attempt: the request timeout, at most 10 s. */
  readonly connectTimeoutMs: number;
}

const ACKS: Readonly<Record<Acks, AcksLevel>> = { all: -1, leader: 1, none: 0 };

const SASL_MECHANISMS = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
} as const satisfies Record<NonNullable<KafkaProducerConfig['sasl']>['mechanism'], SaslMechanismName>;

/** 100 ms doubling to 2 s: every engine waits the same between retries. */
export const RETRY_BACKOFF = { initialBackoffMs: 100, maxBackoffMs: 2000 } as const;

/** A connection attempt waits at most this long, however long requests may take. */
const MAX_CONNECT_TIMEOUT_MS = 10_000;

/**
 * The acknowledgement level to request. An idempotent producer always asks all in-sync
 * replicas: with fewer, the broker cannot guarantee the ordering and de-duplication that
 * idempotence promises (config validation already refuses the combination; this keeps an
 * engine from ever sending it).
 */
export function acksLevel(acks: Acks, idempotent: boolean): AcksLevel {
  return idempotent ? -1 : ACKS[acks];
}

/** Delay before retry `attempt` (1 is the first retry): doubling from the initial backoff, capped. */
export function backoffDelayMs(retry: Omit<RetrySettings, 'retries'>, attempt: number): number {
  return Math.min(retry.initialBackoffMs * 2 ** Math.max(0, attempt - 1), retry.maxBackoffMs);
}

/**
 * The engine-neutral settings of a Kafka producer. Reads the TLS files now; SASL credentials
 * are left to the readers in `sasl`. Fails, as a value, when a TLS file cannot be read or is
 * empty.
 */
export function connectionSettings(
  config: KafkaProducerConfig,
  files: SecretFileReader = nodeFileReader,
): Result<ConnectionSettings> {
  let tls: TlsSettings | undefined;
  if (config.tls?.enabled === true) {
    const read = readTls(config.tls, files);
    if (!read.ok) return read;
    tls = read.value;
  }
  return {
    ok: true,
    value: {
      ...(tls ? { tls } : {}),
      ...(config.sasl ? { sasl: saslSettings(config.sasl, files) } : {}),
      acks: acksLevel(config.acks, config.idempotent),
      idempotent: config.idempotent,
      retry: { retries: config.retries, ...RETRY_BACKOFF },
      requestTimeoutMs: config.requestTimeoutMs,
      connectTimeoutMs: Math.min(config.requestTimeoutMs, MAX_CONNECT_TIMEOUT_MS),
    },
  };
}

function readTls(tls: NonNullable<KafkaProducerConfig['tls']>, files: SecretFileReader): Result<TlsSettings> {
  const out: { ca?: string; cert?: string; key?: string; rejectUnauthorized: boolean } = {
    rejectUnauthorized: tls.rejectUnauthorized,
  };
  const wanted: ReadonlyArray<readonly [FileSetting, string | undefined, 'ca' | 'cert' | 'key']> = [
    ['tls.caFile', tls.caFile, 'ca'],
    ['tls.certFile', tls.certFile, 'cert'],
    ['tls.keyFile', tls.keyFile, 'key'],
  ];
  for (const [setting, path, field] of wanted) {
    if (!path) continue;
    // PEM text is passed as read: node:tls accepts surrounding whitespace.
    const read = readSync(files, setting, path, false);
    if (!read.ok) return read;
    out[field] = read.value;
  }
  return { ok: true, value: out };
}

function saslSettings(sasl: NonNullable<KafkaProducerConfig['sasl']>, files: SecretFileReader): SaslSettings {
  const { usernameFile, passwordFile } = sasl;
  return {
    mechanism: SASL_MECHANISMS[sasl.mechanism],
    username: () => readAsync(files, 'sasl.usernameFile', usernameFile),
    password: () => readAsync(files, 'sasl.passwordFile', passwordFile),
    readNow() {
      const username = readSync(files, 'sasl.usernameFile', usernameFile, true);
      if (!username.ok) return username;
      const password = readSync(files, 'sasl.passwordFile', passwordFile, true);
      if (!password.ok) return password;
      return { ok: true, value: { username: username.value, password: password.value } };
    },
  };
}

// Credentials are trimmed: a Secret written with `echo` ends in a newline that is not part of
// the password. TLS material is not (`trim` is false).
function readSync(
  files: SecretFileReader,
  setting: FileSetting,
  path: string,
  trim: boolean,
): Result<string> {
  let text: string;
  try {
    text = files.readText(path);
  } catch (error) {
    return unreadable(setting, path, error);
  }
  return checked(setting, path, trim ? text.trim() : text);
}

async function readAsync(
  files: SecretFileReader,
  setting: FileSetting,
  path: string,
): Promise<Result<string>> {
  let text: string;
  try {
    text = await files.readSecret(path);
  } catch (error) {
    return unreadable(setting, path, error);
  }
  return checked(setting, path, text.trim());
}

function checked(setting: FileSetting, path: string, text: string): Result<string> {
  // An empty file is an absent Secret key or a botched rotation; sending it would only fail
  // later, as a handshake or authentication error that names no file.
  if (text.trim() === '') return { ok: false, code: 'SECRET_FILE_EMPTY', setting, path };
  return { ok: true, value: text };
}

function unreadable(setting: FileSetting, path: string, error: unknown): SettingsError {
  // Only the error code is kept: a reader's message is not ours to vouch for.
  const code = (error as { code?: unknown } | null)?.code;
  const reason = typeof code === 'string' && /^E[A-Z0-9]+$/.test(code) ? code : undefined;
  return { ok: false, code: 'SECRET_FILE_UNREADABLE', setting, path, ...(reason ? { reason } : {}) };
}

/** One line for a log or an exception: the code, the setting and the path; never file content. */
export function describeSettingsError(error: SettingsError): string {
  const what = `${error.setting} file ${error.path}`;
  return error.code === 'SECRET_FILE_EMPTY'
    ? `${error.code}: ${what} is empty`
    : `${error.code}: ${what} cannot be read${error.reason ? ` (${error.reason})` : ''}`;
}

/**
 * A settings error as an exception, for the places a library or a synchronous factory only
 * understands thrown errors (an engine being built, a credentials callback). Carries the
 * same fields as the value.
 */
export class SecretFileError extends Error {
  readonly code: SettingsErrorCode;
  readonly setting: FileSetting;
  readonly path: string;
  readonly reason: string | undefined;

  constructor(error: SettingsError) {
    super(describeSettingsError(error));
    this.name = 'SecretFileError';
    this.code = error.code;
    this.setting = error.setting;
    this.path = error.path;
    this.reason = error.reason;
  }
}

/** The value of a result, or its error thrown as a SecretFileError. */
export function valueOrThrow<T>(result: Result<T>): T {
  if (!result.ok) throw new SecretFileError(result);
  return result.value;
}
