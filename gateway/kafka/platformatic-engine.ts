import {
  type MessageToProduce,
  Producer,
  type ProducerOptions,
  type SASLOptions,
  type SendOptions,
  TimeoutError,
} from '@platformatic/kafka';
import type { Logger } from 'pino';
import type { KafkaProducerConfig } from '../../kernel/config-schema.ts';
import type { EngineErrorKind, OutboundMessage, ProducerEngine } from '../producers/producer-engine.ts';
import {
  acksLevel,
  backoffDelayMs,
  connectionSettings,
  nodeFileReader,
  RETRY_BACKOFF,
  type SecretFileReader,
  valueOrThrow,
} from './connection-settings.ts';
import { keyHash } from './java-partitioner.ts';

// Keys, values and headers reach the library as bytes: no serializers run per message.
type Options = ProducerOptions<Buffer, Buffer, Buffer, Buffer>;
type Send = Omit<SendOptions<Buffer, Buffer, Buffer, Buffer>, 'messages'>;
type KafkaRecord = MessageToProduce<Buffer, Buffer, Buffer, Buffer>;

/**
 * The library treats `retries` of 0 or 1 on an idempotent producer as "retry forever";
 * a batch must always settle, so an idempotent producer gets at least this many.
 */
const MIN_IDEMPOTENT_RETRIES = 2;

/**
 * How the engine reaches mounted files; the real one reads the file system. TLS files are
 * read once, when the engine is created; SASL credentials at every authentication (each new
 * connection and each re-authentication), so a rotated Secret applies from the next one.
 */
export type EngineFiles = SecretFileReader;

/** Capped exponential backoff between retries, as every engine waits (100 ms doubling to 2 s). */
export function retryDelayMs(attempt: number): number {
  return backoffDelayMs(RETRY_BACKOFF, attempt);
}

/**
 * Client options for a producer config. Pure apart from the file reads it is handed; throws
 * a SecretFileError (code, setting and path, never content) when a TLS file cannot be read.
 */
export function toPlatformaticOptions(
  config: KafkaProducerConfig,
  files: EngineFiles = nodeFileReader,
): Options {
  const settings = valueOrThrow(connectionSettings(config, files));
  const options: Options = {
    clientId: config.clientId,
    bootstrapBrokers: config.brokers,
    idempotent: settings.idempotent,
    // `timeout` is the produce request's broker-side wait for acknowledgements; `requestTimeout`
    // bounds every request on the client side, as kafkajs's requestTimeout does.
    timeout: settings.requestTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    connectTimeout: settings.connectTimeoutMs,
    retries: settings.idempotent
      ? Math.max(MIN_IDEMPOTENT_RETRIES, settings.retry.retries)
      : settings.retry.retries,
    retryDelay: (_client, _operation, attempt) => backoffDelayMs(settings.retry, attempt),
    // Like kafkajs's default and Java's metadata.max.age.ms; stale metadata (a moved leader)
    // is refreshed at once when a produce request reports it.
    metadataMaxAge: 300_000,
    autocreateTopics: true,
    // No per-call schema validation on the hot path; our own schema validated the config.
    strict: false,
    ...sendOptions(config),
  };
  if (settings.tls) {
    const { ca, cert, key, rejectUnauthorized } = settings.tls;
    options.tls = {
      rejectUnauthorized,
      ...(ca === undefined ? {} : { ca: [ca] }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
    };
    // SNI with the broker's host name, as kafkajs sends it (managed clusters route by it).
    options.tlsServerName = true;
  }
  if (settings.sasl) {
    const { mechanism, username, password } = settings.sasl;
    // Providers, not strings: the library calls them at every authentication, and the
    // credentials are never part of the options object (nothing can log them from there).
    // An unreadable file rejects with a SecretFileError, which the library reports as a
    // failed authentication.
    const sasl: SASLOptions = {
      mechanism,
      username: async () => valueOrThrow(await username()),
      password: async () => valueOrThrow(await password()),
    };
    options.sasl = sasl;
  }
  return options;
}

/**
 * Per-call produce options. The library's `send` ignores a producer-level `acks` (it
 * defaults to the leader's acknowledgement), so both are passed on every call.
 */
export function sendOptions(config: KafkaProducerConfig): Send {
  return { acks: acksLevel(config.acks, config.idempotent), compression: config.compression };
}

/**
 * Unkeyed messages of one batch stay on one partition until they carry this many bytes,
 * then move to the next. Fewer, larger record batches compress better and cost the broker
 * less than spreading every message; the bound keeps one record batch well under the
 * broker's default message.max.bytes (1 MiB) even without compression, as librdkafka's
 * batch.size does.
 */
export const STICKY_CHUNK_BYTES = 512 * 1024;

export interface BatchRecords {
  readonly records: KafkaRecord[];
  /** Where the next batch's unkeyed messages start. */
  readonly nextPartition: number;
}

/**
 * The records for one batch. A keyed message gets the Java client's partition for its key;
 * unkeyed messages go to `firstPartition` and the ones after it in chunks of
 * STICKY_CHUNK_BYTES, like Java's sticky partitioner. Partitions here are unbounded
 * counters: the library takes them modulo the topic's partition count.
 */
export function toRecords(
  topic: string,
  messages: readonly OutboundMessage[],
  firstPartition: number,
): BatchRecords {
  const records: KafkaRecord[] = new Array(messages.length);
  let partition = firstPartition;
  let chunkBytes = 0;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as OutboundMessage;
    const key = message.key === null ? undefined : Buffer.from(message.key);
    const record: KafkaRecord = { topic, value: message.value };
    if (key === undefined) {
      if (chunkBytes > 0 && chunkBytes + message.value.length > STICKY_CHUNK_BYTES) {
        partition = (partition + 1) & 0x7fffffff;
        chunkBytes = 0;
      }
      chunkBytes += message.value.length;
      record.partition = partition;
    } else {
      record.key = key;
      record.partition = keyHash(key);
    }
    if (message.headers) {
      const headers = new Map<Buffer, Buffer>();
      for (const [name, value] of Object.entries(message.headers)) {
        headers.set(Buffer.from(name), Buffer.from(value));
      }
      record.headers = headers;
    }
    records[i] = record;
  }
  return { records, nextPartition: (partition + 1) & 0x7fffffff };
}

/**
 * Produces through @platformatic/kafka. The gateway batches before calling `send`, and the
 * library's `send` writes its request at once (no linger of its own), so one call is one
 * produce request per partition leader.
 */
export function createPlatformaticEngine(
  config: KafkaProducerConfig,
  logger: Logger,
  files: EngineFiles = nodeFileReader,
): ProducerEngine {
  const producer = new Producer<Buffer, Buffer, Buffer, Buffer>(toPlatformaticOptions(config, files));
  producer.on('client:broker:failed', ({ broker }) => {
    logger.warn(
      { component: 'platformatic-kafka', broker: `${broker.host}:${broker.port}` },
      'broker connection failed',
    );
  });
  const perCall = sendOptions(config);
  // Where each topic's next unkeyed chunk goes: batches rotate over the partitions.
  const nextPartition = new Map<string, number>();
  return {
    async connect() {
      // Bootstrap connection, authentication and a metadata round trip: what kafkajs's connect proves.
      await producer.metadata({ topics: [] });
    },
    async send(topic, messages) {
      const { records, nextPartition: next } = toRecords(topic, messages, nextPartition.get(topic) ?? 0);
      nextPartition.set(topic, next);
      await producer.send({ ...perCall, messages: records });
    },
    close: () => producer.close(),
  };
}

const MAX_DEPTH = 8;

/**
 * Maps @platformatic/kafka errors to the few kinds operators alert on. Failures arrive
 * wrapped: "Producing messages failed" aggregates one error per leader, "produce failed
 * N times" one per attempt. Each aggregate is judged by its last error (the final attempt),
 * unless the aggregate itself says what it is.
 */
export function classifyPlatformaticError(error: unknown): EngineErrorKind {
  return classify(error, 0);
}

function classify(error: unknown, depth: number): EngineErrorKind {
  if (depth > MAX_DEPTH || typeof error !== 'object' || error === null) return 'unknown';
  const fields = error as {
    code?: unknown;
    closed?: unknown;
    message?: unknown;
    cause?: unknown;
    errors?: unknown;
  };
  if (fields.closed === true) return 'closed';
  // The library's TimeoutError carries the network error code (so its retry logic treats
  // both alike): only its class tells a timeout apart.
  if (error instanceof TimeoutError) return 'timeout';
  switch (fields.code) {
    case 'PLT_KFK_TIMEOUT':
      return 'timeout';
    case 'PLT_KFK_NETWORK':
      return classifyNetwork(fields.cause, depth);
    case 'PLT_KFK_PROTOCOL':
    case 'PLT_KFK_RESPONSE':
    case 'PLT_KFK_AUTHENTICATION':
      return 'broker';
    case 'PLT_KFK_USER':
      // Raised when the broker answered UNKNOWN_TOPIC_OR_PARTITION to a metadata request.
      return typeof fields.message === 'string' && fields.message.startsWith('Unknown topic ')
        ? 'broker'
        : 'unknown';
  }
  // Node's socket errors (ECONNREFUSED, ECONNRESET, EPIPE, ETIMEDOUT, ENOTFOUND…).
  if (typeof fields.code === 'string' && /^E[A-Z]+$/.test(fields.code)) {
    return fields.code === 'ETIMEDOUT' ? 'timeout' : 'connection';
  }
  if (Array.isArray(fields.errors) && fields.errors.length > 0) {
    return classify(fields.errors.at(-1), depth + 1);
  }
  return fields.cause === undefined ? 'unknown' : classify(fields.cause, depth + 1);
}

// A network error is a connection problem, unless what caused it says more: a timeout, or
// the broker refusing us (failed SASL authentication arrives as a failed connection).
function classifyNetwork(cause: unknown, depth: number): EngineErrorKind {
  if (cause === undefined) return 'connection';
  const inner = classify(cause, depth + 1);
  return inner === 'timeout' || inner === 'broker' ? inner : 'connection';
}
