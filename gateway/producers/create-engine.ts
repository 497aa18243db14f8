import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type { KafkaProducerConfig, ProducerConfig } from '../config/schema.ts';
import type { EngineErrorKind, ProducerEngine } from './producer-engine.ts';
import { createStreamSinkEngine } from './stream-sink-engine.ts';

export interface EngineBinding {
  readonly engine: ProducerEngine;
  readonly classifyError: (error: unknown) => EngineErrorKind;
}

export type EngineFactory = (name: string, config: ProducerConfig, logger: Logger) => EngineBinding;

/** Chooses the engine for a producer config. */
export const createEngine: EngineFactory = (name, config, logger) => {
  if (config.type === 'kafka') return createKafkaEngine(config, logger.child({ producer: name }));
  const target =
    config.type === 'file' ? { type: 'file' as const, path: config.path ?? '' } : { type: 'stdout' as const };
  return { engine: createStreamSinkEngine(target), classifyError: () => 'unknown' };
};

// Each engine module, and the Kafka library behind it, loads on first use: a gateway that
// only uses one engine does not carry the other (kafkajs ~18 MiB RSS, @platformatic/kafka
// ~59 MiB, which imports its schema registries and WebAssembly codecs). `require` keeps
// this factory synchronous; Node 24 loads the ES modules (TypeScript) through it.
const load = createRequire(import.meta.url);
type PlatformaticModule = typeof import('../kafka/platformatic-engine.ts');
type KafkajsModule = typeof import('../kafka/kafkajs-engine.ts');

function createKafkaEngine(config: KafkaProducerConfig, logger: Logger): EngineBinding {
  switch (config.engine) {
    case 'platformatic': {
      const engine = load('../kafka/platformatic-engine.ts') as PlatformaticModule;
      return {
        engine: engine.createPlatformaticEngine(config, logger),
        classifyError: engine.classifyPlatformaticError,
      };
    }
    case 'kafkajs': {
      const engine = load('../kafka/kafkajs-engine.ts') as KafkajsModule;
      return {
        engine: engine.createKafkajsEngine(config, logger),
        classifyError: engine.classifyKafkajsError,
      };
    }
  }
}
