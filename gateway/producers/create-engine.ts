import type { Logger } from 'pino';
import type { KafkaProducerConfig, ProducerConfig } from '../config/schema.ts';
import { classifyKafkajsError, createKafkajsEngine } from '../kafka/kafkajs-engine.ts';
import { classifyPlatformaticError, createPlatformaticEngine } from '../kafka/platformatic-engine.ts';
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

function createKafkaEngine(config: KafkaProducerConfig, logger: Logger): EngineBinding {
  switch (config.engine) {
    case 'platformatic':
      return { engine: createPlatformaticEngine(config, logger), classifyError: classifyPlatformaticError };
    case 'kafkajs':
      return { engine: createKafkajsEngine(config, logger), classifyError: classifyKafkajsError };
  }
}
