import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type { KafkaProducerConfig } from '../../kernel/config-schema.ts';
import { MESSAGE_OVERHEAD_BYTES } from '../producers/batching-producer.ts';
import type { EngineErrorKind, OutboundMessage, ProducerEngine } from '../producers/producer-engine.ts';
import {
  connectionSettings,
  nodeFileReader,
  type SecretFileReader,
  valueOrThrow,
} from './connection-settings.ts';

// Produces through librdkafka, via @confluentinc/kafka-javascript (an optional dependency
// with a native addon built from source at install time; see test/infra/librdkafka-binding.ts).
// Compression, batching on the wire, retries and delivery reports run on librdkafka's own
// threads; the JavaScript thread only hands messages over and counts reports.

export const LIBRDKAFKA_PACKAGE = '@confluentinc/kafka-javascript';

/** librdkafka's configuration: property names as librdkafka documents them. */
export type LibrdkafkaConfig = Record<string, string | number | boolean>;

/** The part of the library's Producer this engine uses. */
interface NativeProducer {
  connect(options: { timeout: number }, callback: (error: unknown) => void): void;
  produce(
    topic: string,
    partition: number | null,
    value: Buffer,
    key: string | null,
    timestamp: number | null,
    opaque: unknown,
    headers?: Array<Record<string, string>>,
  ): unknown;
  setPollInBackground(on: boolean): void;
  disconnect(timeoutMs: number, callback: (error: unknown) => void): void;
  isConnected(): boolean;
  on(event: 'delivery-report', listener: (error: unknown, report: { opaque: unknown }) => void): void;
  on(event: 'event.error', listener: (error: unknown) => void): void;
  on(
    event: 'event.log',
    listener: (entry: { severity?: number; fac?: string; message?: string }) => void,
  ): void;
}

interface Library {
  Producer: new (config: LibrdkafkaConfig) => NativeProducer;
}

export type LibraryResult = { ok: true; library: Library } | { ok: false; message: string };

let loaded: LibraryResult | undefined;

/** Loads the binding on first use; absent or not built is an error value that names the fix. */
export function loadLibrdkafka(
  load: (name: string) => unknown = createRequire(import.meta.url),
): LibraryResult {
  if (loaded?.ok) return loaded;
  try {
    loaded = { ok: true, library: load(LIBRDKAFKA_PACKAGE) as Library };
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    loaded = {
      ok: false,
      message:
        `engine "librdkafka" needs ${LIBRDKAFKA_PACKAGE} with its native addon, which did not load (${reason}). ` +
        'Install it with `npm install` (it is an optional dependency) and build it with `npm run build:librdkafka` ' +
        '(needs make, g++, python3 and the zlib, OpenSSL, zstd, lz4, SASL and curl development packages), ' +
        'or use engine "platformatic" or "kafkajs".',
    };
  }
  return loaded;
}

/** librdkafka's own ceilings for its queue caps. */
const MAX_QUEUE_KBYTES = 2_147_483_647;
const MAX_QUEUE_MESSAGES = 2_147_483_647;

/**
 * How the engine reaches mounted files; the real one reads the file system. Only blocking
 * reads: librdkafka copies its whole configuration, SASL credentials included, when the
 * producer is built, so every file is read then and never again by this producer.
 */
export type LibrdkafkaFiles = Pick<SecretFileReader, 'readText'>;

export interface LibrdkafkaLimits {
  /** The gateway's request deadline: no message is retried past the request waiting for it. */
  readonly deliveryTimeoutMs: number;
}

/**
 * The producer config in librdkafka's terms. Pure apart from the file reads it is handed;
 * throws a SecretFileError (code, setting and path, never content) when a TLS or SASL file
 * cannot be read.
 */
export function toLibrdkafkaConfig(
  config: KafkaProducerConfig,
  limits: LibrdkafkaLimits,
  files: LibrdkafkaFiles = nodeFileReader,
): LibrdkafkaConfig {
  // The asynchronous reader is never called: the credentials are read below with `readNow`.
  const settings = valueOrThrow(
    connectionSettings(config, {
      readText: (path) => files.readText(path),
      readSecret: async (path) => files.readText(path),
    }),
  );
  const out: LibrdkafkaConfig = {
    'bootstrap.servers': config.brokers.join(','),
    'client.id': config.clientId,
    'compression.codec': config.compression,
    acks: settings.acks,
    'enable.idempotence': settings.idempotent,
    // The gateway hands over whole batches; librdkafka forms its record batches from them
    // within the same bounds.
    'linger.ms': config.batch.lingerMs,
    'batch.num.messages': config.batch.maxMessages,
    'batch.size': config.batch.maxBytes,
    'request.timeout.ms': settings.requestTimeoutMs,
    'socket.connection.setup.timeout.ms': settings.connectTimeoutMs,
    'message.send.max.retries': settings.retry.retries,
    'retry.backoff.ms': settings.retry.initialBackoffMs,
    'retry.backoff.max.ms': settings.retry.maxBackoffMs,
    // A message is failed once the request waiting for it is past its deadline, so librdkafka
    // never keeps retrying what the gateway already answered 503 for.
    // librdkafka refuses a message timeout that does not exceed linger.ms.
    'message.timeout.ms': Math.max(limits.deliveryTimeoutMs, config.batch.lingerMs + 1),
    // Its own queue caps are the gateway's pending cap (admission counts every message at no
    // less than MESSAGE_OVERHEAD_BYTES), never librdkafka's 1 GiB / 100,000-message defaults.
    'queue.buffering.max.kbytes': Math.min(MAX_QUEUE_KBYTES, Math.ceil(config.maxPendingBytes / 1024)),
    'queue.buffering.max.messages': Math.min(
      MAX_QUEUE_MESSAGES,
      Math.max(1, Math.ceil(config.maxPendingBytes / MESSAGE_OVERHEAD_BYTES)),
    ),
    // The Java client's partitioner: a key lands on the partition Java and the other engines pick.
    partitioner: 'murmur2_random',
    'topic.metadata.refresh.interval.ms': 300_000,
    'allow.auto.create.topics': true,
    dr_cb: true,
  };
  const { tls, sasl } = settings;
  if (sasl) out['security.protocol'] = tls ? 'sasl_ssl' : 'sasl_plaintext';
  else if (tls) out['security.protocol'] = 'ssl';
  if (tls) {
    if (tls.ca !== undefined) out['ssl.ca.pem'] = tls.ca;
    if (tls.cert !== undefined) out['ssl.certificate.pem'] = tls.cert;
    if (tls.key !== undefined) out['ssl.key.pem'] = tls.key;
    out['enable.ssl.certificate.verification'] = tls.rejectUnauthorized;
    out['ssl.endpoint.identification.algorithm'] = tls.rejectUnauthorized ? 'https' : 'none';
  }
  if (sasl) {
    // librdkafka takes strings, not callbacks, and keeps its own copy from here on: the
    // credentials are read now, at producer build, and live only in this client's config.
    const credentials = valueOrThrow(sasl.readNow());
    out['sasl.mechanisms'] = sasl.mechanism;
    out['sasl.username'] = credentials.username;
    out['sasl.password'] = credentials.password;
  }
  return out;
}

/** One send's delivery reports, counted down; settles once. */
interface BatchReport {
  remaining: number;
  settled: boolean;
  resolve(): void;
  reject(error: unknown): void;
}

function headerList(headers: Readonly<Record<string, string>> | undefined) {
  if (headers === undefined) return undefined;
  return Object.entries(headers).map(([name, value]) => ({ [name]: value }));
}

export function createLibrdkafkaEngine(
  config: KafkaProducerConfig,
  logger: Logger,
  limits: LibrdkafkaLimits,
  files: LibrdkafkaFiles = nodeFileReader,
): ProducerEngine {
  const library = loadLibrdkafka();
  if (!library.ok) throw new Error(library.message);
  const producer = new library.library.Producer(toLibrdkafkaConfig(config, limits, files));
  producer.on('event.error', (error) => {
    const { code, message } = error as { code?: unknown; message?: unknown };
    logger.warn({ component: 'librdkafka', code }, typeof message === 'string' ? message : 'client error');
  });
  // Why a connection failed (SASL authentication, certificate verification) reaches us only as
  // librdkafka's own log lines; its connect error just says "broker transport failure".
  // Syslog severities: 4 is warning, lower is worse. librdkafka never logs credentials.
  producer.on('event.log', (entry) => {
    if ((entry.severity ?? 7) > 4) return;
    logger.warn({ component: 'librdkafka', facility: entry.fac }, entry.message ?? 'client log');
  });
  producer.on('delivery-report', (error, report) => {
    const batch = report?.opaque as BatchReport | undefined;
    if (batch === undefined || batch.settled) return;
    if (error) {
      batch.settled = true;
      batch.reject(error);
      return;
    }
    batch.remaining -= 1;
    if (batch.remaining === 0) {
      batch.settled = true;
      batch.resolve();
    }
  });
  return {
    connect: () =>
      new Promise<void>((resolve, reject) => {
        // Bootstrap connection, authentication and a metadata round trip, as the other engines prove.
        producer.connect({ timeout: Math.min(config.requestTimeoutMs, 10_000) }, (error) => {
          if (error) reject(error);
          else {
            // Delivery reports are dispatched from librdkafka's thread, not polled by a timer.
            producer.setPollInBackground(true);
            resolve();
          }
        });
      }),
    send: (topic, messages) =>
      new Promise<void>((resolve, reject) => {
        if (messages.length === 0) return resolve();
        const batch: BatchReport = { remaining: messages.length, settled: false, resolve, reject };
        for (let index = 0; index < messages.length; index++) {
          const message = messages[index] as OutboundMessage;
          try {
            producer.produce(
              topic,
              null,
              message.value,
              message.key,
              null,
              batch,
              headerList(message.headers),
            );
          } catch (error) {
            // Messages already queued still report; the batch has failed either way.
            if (!batch.settled) {
              batch.settled = true;
              reject(error);
            }
            return;
          }
        }
      }),
    close: () =>
      new Promise<void>((resolve) => {
        // A producer that never connected (wrong credentials, unreachable brokers) has
        // nothing to flush; the library refuses to disconnect it.
        if (!producer.isConnected()) return resolve();
        try {
          producer.disconnect(Math.min(config.requestTimeoutMs, 10_000), () => resolve());
        } catch {
          resolve();
        }
      }),
  };
}

// librdkafka's error codes (negative: raised by the client itself; positive: by the broker).
const TIMEOUT_CODES = new Set([-192, -185, -166, 7]); // MSG_TIMED_OUT, TIMED_OUT, TIMED_OUT_QUEUE, REQUEST_TIMED_OUT
const CONNECTION_CODES = new Set([-195, -193, -187, -181]); // TRANSPORT, RESOLVE, ALL_BROKERS_DOWN, SSL
const CLOSED_CODES = new Set([-197, -172]); // DESTROY, STATE
const AUTHENTICATION = -169;

/** Maps librdkafka errors to the few kinds operators alert on. */
export function classifyLibrdkafkaError(error: unknown): EngineErrorKind {
  if (typeof error !== 'object' || error === null) return 'unknown';
  const { code, message } = error as { code?: unknown; message?: unknown };
  if (typeof code === 'number') {
    if (TIMEOUT_CODES.has(code)) return 'timeout';
    if (CONNECTION_CODES.has(code)) return 'connection';
    if (CLOSED_CODES.has(code)) return 'closed';
    if (code === AUTHENTICATION || code > 0) return 'broker';
  }
  if (typeof message === 'string' && /not connected/i.test(message)) return 'closed';
  return 'unknown';
}
