import type { CompressionTypes, KafkaConfig, Producer, ProducerConfig, RetryOptions } from 'kafkajs';
import kafkajs from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaProducerConfig } from '../../kernel/config-schema.ts';
import type { EngineErrorKind, ProducerEngine } from '../producers/producer-engine.ts';
import { registerKafkajsCodecs, toKafkajsCompression } from './codecs/register-codecs.ts';
import {
  type ConnectionSettings,
  connectionSettings,
  nodeFileReader,
  type SecretFileReader,
  valueOrThrow,
} from './connection-settings.ts';
import { kafkajsSaslMechanism } from './kafkajs-sasl.ts';

/**
 * How the engine reaches mounted files; the real one reads the file system. TLS files are
 * read once, when the engine is created; SASL credentials at every authentication (each new
 * connection and each re-authentication), so a rotated Secret applies from the next one.
 */
export type KafkajsFiles = SecretFileReader;

/** Everything kafkajs is configured with: client, producer and per-send options. */
export interface KafkajsOptions {
  readonly client: KafkaConfig;
  readonly producer: ProducerConfig;
  readonly send: { readonly acks: number; readonly compression: CompressionTypes; readonly timeout: number };
}

/**
 * The producer config in kafkajs's terms. Pure apart from the file reads it is handed;
 * throws a SecretFileError (code, setting and path, never content) when a TLS file cannot
 * be read.
 */
export function toKafkajsOptions(
  config: KafkaProducerConfig,
  logger: Logger,
  files: KafkajsFiles = nodeFileReader,
): KafkajsOptions {
  const settings = valueOrThrow(connectionSettings(config, files));
  const producer: ProducerConfig = {
    // The Java-compatible murmur2 partitioner: a key lands on the same partition as with Java and librdkafka clients.
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    idempotent: settings.idempotent,
    allowAutoTopicCreation: true,
    retry: retryOptions(settings),
    ...(settings.idempotent ? { maxInFlightRequests: 1 } : {}),
  };
  return {
    client: kafkaClientConfig(config, settings, logger),
    producer,
    send: {
      acks: settings.acks,
      compression: toKafkajsCompression(config.compression),
      timeout: settings.requestTimeoutMs,
    },
  };
}

/** Produces through kafkajs. The gateway batches before calling `send`, so one call is one batch per topic. */
export function createKafkajsEngine(
  config: KafkaProducerConfig,
  logger: Logger,
  files: KafkajsFiles = nodeFileReader,
): ProducerEngine {
  registerKafkajsCodecs();
  const options = toKafkajsOptions(config, logger, files);
  const kafka = new kafkajs.Kafka(options.client);
  const producer: Producer = kafka.producer(options.producer);
  return {
    connect: () => producer.connect(),
    async send(topic, messages) {
      await producer.send({
        topic,
        ...options.send,
        // kafkajs does not mutate messages; the cast drops our readonly markers only.
        messages: messages as Array<{ key: string | null; value: Buffer; headers?: Record<string, string> }>,
      });
    },
    close: () => producer.disconnect(),
  };
}

// kafkajs multiplies its wait by 2 from initialRetryTime up to maxRetryTime (with its own
// jitter): the shared backoff in its names.
function retryOptions(settings: ConnectionSettings): RetryOptions {
  return {
    retries: settings.retry.retries,
    initialRetryTime: settings.retry.initialBackoffMs,
    maxRetryTime: settings.retry.maxBackoffMs,
  };
}

function kafkaClientConfig(
  config: KafkaProducerConfig,
  settings: ConnectionSettings,
  logger: Logger,
): KafkaConfig {
  const kafkaConfig: KafkaConfig = {
    clientId: config.clientId,
    brokers: config.brokers,
    connectionTimeout: settings.connectTimeoutMs,
    requestTimeout: settings.requestTimeoutMs,
    retry: retryOptions(settings),
    logLevel: kafkajs.logLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...fields } = entry.log;
      const child = { component: 'kafkajs', namespace: entry.namespace, ...fields };
      if (entry.level <= kafkajs.logLevel.ERROR) logger.error(child, message);
      else if (entry.level === kafkajs.logLevel.WARN) logger.warn(child, message);
      else logger.debug(child, message);
    },
  };
  if (settings.tls) {
    const { ca, cert, key, rejectUnauthorized } = settings.tls;
    kafkaConfig.ssl = {
      rejectUnauthorized,
      ...(ca === undefined ? {} : { ca: [ca] }),
      ...(cert === undefined ? {} : { cert }),
      ...(key === undefined ? {} : { key }),
    };
  }
  // A provider, not strings: the credentials files are read at every authentication and the
  // strings never sit in this client object.
  if (settings.sasl) kafkaConfig.sasl = kafkajsSaslMechanism(settings.sasl);
  return kafkaConfig;
}

/** Maps kafkajs errors to the few kinds operators alert on. */
export function classifyKafkajsError(error: unknown): EngineErrorKind {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    switch (current.name) {
      case 'KafkaJSRequestTimeoutError':
        return 'timeout';
      case 'KafkaJSConnectionError':
      case 'KafkaJSConnectionClosedError':
      case 'KafkaJSBrokerNotFound':
      case 'KafkaJSLockTimeout':
        return 'connection';
      case 'KafkaJSProtocolError':
        return 'broker';
    }
    if (/disconnected/i.test(current.message)) return 'closed';
    current =
      (current as { cause?: unknown; originalError?: unknown }).cause ??
      (current as { originalError?: unknown }).originalError;
  }
  return 'unknown';
}
