import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type { KafkaProducerConfig, ProducerConfig } from '../../kernel/config-schema.ts';
import type { EngineErrorKind, ProducerEngine } from './producer-engine.ts';
import { createStreamSinkEngine } from './stream-sink-engine.ts';

export interface EngineBinding {
  readonly engine: ProducerEngine;
  readonly classifyError: (error: unknown) => EngineErrorKind;
}

/** What an engine may need to know beyond its producer's config. */
export interface EngineContext {
  /** The gateway's request deadline (server.requestTimeoutMs): deliveries never outlive it. */
  readonly requestTimeoutMs: number;
}

export type EngineFactory = (
  name: string,
  config: ProducerConfig,
  logger: Logger,
  context: EngineContext,
) => EngineBinding;

/** Chooses the engine for a producer config. */
export const createEngine: EngineFactory = (name, config, logger, context) => {
  if (config.type === 'kafka') return createKafkaEngine(config, logger.child({ producer: name }), context);
  const target =
    config.type === 'file' ? { type: 'file' as const, path: config.path ?? '' } : { type: 'stdout' as const };
  return { engine: createStreamSinkEngine(target), classifyError: () => 'unknown' };
};

// Each engine module, and the Kafka library behind it, loads on first use: a gateway that
// only uses one engine does not carry the other (kafkajs ~18 MiB RSS, @platformatic/kafka
// ~59 MiB, which imports its schema registries and WebAssembly codecs; librdkafka's native
// addon is an optional dependency that may be absent). `require` keeps
// this factory synchronous; Node 24 loads the ES modules (TypeScript) through it.
const require = createRequire(import.meta.url);
// Sources run as TypeScript in development and as compiled JavaScript in the image.
const extension = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
const load = (module: string) => require(`../kafka/${module}${extension}`);
type PlatformaticModule = typeof import('../kafka/platformatic-engine.ts');
type KafkajsModule = typeof import('../kafka/kafkajs-engine.ts');
type LibrdkafkaModule = typeof import('../kafka/librdkafka-engine.ts');

function createKafkaEngine(
  config: KafkaProducerConfig,
  logger: Logger,
  context: EngineContext,
): EngineBinding {
  switch (config.engine) {
    case 'platformatic': {
      const engine = load('platformatic-engine') as PlatformaticModule;
      return {
        engine: engine.createPlatformaticEngine(config, logger),
        classifyError: engine.classifyPlatformaticError,
      };
    }
    case 'kafkajs': {
      const engine = load('kafkajs-engine') as KafkajsModule;
      return {
        engine: engine.createKafkajsEngine(config, logger),
        classifyError: engine.classifyKafkajsError,
      };
    }
    case 'librdkafka': {
      const engine = load('librdkafka-engine') as LibrdkafkaModule;
      return {
        engine: engine.createLibrdkafkaEngine(config, logger, {
          deliveryTimeoutMs: context.requestTimeoutMs,
        }),
        classifyError: engine.classifyLibrdkafkaError,
      };
    }
  }
}
