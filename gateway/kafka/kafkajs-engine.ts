import { readFileSync } from 'node:fs';
import type { CompressionTypes, KafkaConfig, Producer, ProducerConfig, SASLOptions } from 'kafkajs';
import kafkajs from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaProducerConfig } from '../../kernel/config-schema.ts';
import type { EngineErrorKind, ProducerEngine } from '../producers/producer-engine.ts';
import { registerKafkajsCodecs, toKafkajsCompression } from './codecs/register-codecs.ts';

const ACKS = { all: -1, leader: 1, none: 0 } as const;

/** How the engine reaches mounted files; the real one reads the file system. */
export interface KafkajsFiles {
  readText(path: string): string;
}

const nodeFiles: KafkajsFiles = { readText: (path) => readFileSync(path, 'utf8') };

/** Everything kafkajs is configured with: client, producer and per-send options. */
export interface KafkajsOptions {
  readonly client: KafkaConfig;
  readonly producer: ProducerConfig;
  readonly send: { readonly acks: number; readonly compression: CompressionTypes; readonly timeout: number };
}

/** The producer config in kafkajs's terms. Pure apart from the file reads it is handed. */
export function toKafkajsOptions(
  config: KafkaProducerConfig,
  logger: Logger,
  files: KafkajsFiles = nodeFiles,
): KafkajsOptions {
  const producer: ProducerConfig = {
    // The Java-compatible murmur2 partitioner: a key lands on the same partition as with Java and librdkafka clients.
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    idempotent: config.idempotent,
    allowAutoTopicCreation: true,
    retry: { retries: config.retries, initialRetryTime: 100, maxRetryTime: 2000 },
    ...(config.idempotent ? { maxInFlightRequests: 1 } : {}),
  };
  return {
    client: kafkaClientConfig(config, logger, files),
    producer,
    send: {
      acks: ACKS[config.acks],
      compression: toKafkajsCompression(config.compression),
      timeout: config.requestTimeoutMs,
    },
  };
}

/** Produces through kafkajs. The gateway batches before calling `send`, so one call is one batch per topic. */
export function createKafkajsEngine(
  config: KafkaProducerConfig,
  logger: Logger,
  files: KafkajsFiles = nodeFiles,
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

function kafkaClientConfig(config: KafkaProducerConfig, logger: Logger, files: KafkajsFiles): KafkaConfig {
  const kafkaConfig: KafkaConfig = {
    clientId: config.clientId,
    brokers: config.brokers,
    connectionTimeout: Math.min(config.requestTimeoutMs, 10_000),
    requestTimeout: config.requestTimeoutMs,
    retry: { retries: config.retries, initialRetryTime: 100, maxRetryTime: 2000 },
    logLevel: kafkajs.logLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...fields } = entry.log;
      const child = { component: 'kafkajs', namespace: entry.namespace, ...fields };
      if (entry.level <= kafkajs.logLevel.ERROR) logger.error(child, message);
      else if (entry.level === kafkajs.logLevel.WARN) logger.warn(child, message);
      else logger.debug(child, message);
    },
  };
  if (config.tls?.enabled) {
    kafkaConfig.ssl = {
      rejectUnauthorized: config.tls.rejectUnauthorized,
      ...(config.tls.caFile ? { ca: [files.readText(config.tls.caFile)] } : {}),
      ...(config.tls.certFile ? { cert: files.readText(config.tls.certFile) } : {}),
      ...(config.tls.keyFile ? { key: files.readText(config.tls.keyFile) } : {}),
    };
  }
  if (config.sasl) {
    // Credentials come from mounted Secret files and live only in this client object.
    const username = files.readText(config.sasl.usernameFile).trim();
    const password = files.readText(config.sasl.passwordFile).trim();
    kafkaConfig.sasl = { mechanism: config.sasl.mechanism, username, password } as SASLOptions;
  }
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
