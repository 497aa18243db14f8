import { readFileSync } from 'node:fs';
import type { KafkaConfig, Producer, ProducerConfig, SASLOptions } from 'kafkajs';
import kafkajs from 'kafkajs';
import type { Logger } from 'pino';
import type { KafkaProducerConfig } from '../../kernel/config-schema.ts';
import type { EngineErrorKind, ProducerEngine } from '../producers/producer-engine.ts';
import { registerKafkajsCodecs, toKafkajsCompression } from './codecs/register-codecs.ts';

const ACKS = { all: -1, leader: 1, none: 0 } as const;

/** Produces through kafkajs. The gateway batches before calling `send`, so one call is one batch per topic. */
export function createKafkajsEngine(config: KafkaProducerConfig, logger: Logger): ProducerEngine {
  registerKafkajsCodecs();
  const kafka = new kafkajs.Kafka(kafkaClientConfig(config, logger));
  const producerConfig: ProducerConfig = {
    // The Java-compatible murmur2 partitioner: a key lands on the same partition as with Java and librdkafka clients.
    createPartitioner: kafkajs.Partitioners.DefaultPartitioner,
    idempotent: config.idempotent,
    allowAutoTopicCreation: true,
    retry: { retries: config.retries, initialRetryTime: 100, maxRetryTime: 2000 },
    ...(config.idempotent ? { maxInFlightRequests: 1 } : {}),
  };
  const producer: Producer = kafka.producer(producerConfig);
  const compression = toKafkajsCompression(config.compression);
  const acks = ACKS[config.acks];
  return {
    connect: () => producer.connect(),
    async send(topic, messages) {
      await producer.send({
        topic,
        acks,
        compression,
        timeout: config.requestTimeoutMs,
        // kafkajs does not mutate messages; the cast drops our readonly markers only.
        messages: messages as Array<{ key: string | null; value: Buffer; headers?: Record<string, string> }>,
      });
    },
    close: () => producer.disconnect(),
  };
}

function kafkaClientConfig(config: KafkaProducerConfig, logger: Logger): KafkaConfig {
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
      ...(config.tls.caFile ? { ca: [readFileSync(config.tls.caFile, 'utf8')] } : {}),
      ...(config.tls.certFile ? { cert: readFileSync(config.tls.certFile, 'utf8') } : {}),
      ...(config.tls.keyFile ? { key: readFileSync(config.tls.keyFile, 'utf8') } : {}),
    };
  }
  if (config.sasl) {
    // Credentials come from mounted Secret files and live only in this client object.
    const username = readFileSync(config.sasl.usernameFile, 'utf8').trim();
    const password = readFileSync(config.sasl.passwordFile, 'utf8').trim();
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
