import type { Logger } from 'pino';
import type { ProducerConfig } from '../config/schema.ts';
import { classifyKafkajsError, createKafkajsEngine } from '../kafka/kafkajs-engine.ts';
import type { EngineErrorKind, ProducerEngine } from './producer-engine.ts';
import { createStreamSinkEngine } from './stream-sink-engine.ts';

export interface EngineBinding {
  readonly engine: ProducerEngine;
  readonly classifyError: (error: unknown) => EngineErrorKind;
}

export type EngineFactory = (name: string, config: ProducerConfig, logger: Logger) => EngineBinding;

/** Chooses the engine for a producer config. */
export const createEngine: EngineFactory = (name, config, logger) => {
  if (config.type === 'kafka') {
    return {
      engine: createKafkajsEngine(config, logger.child({ producer: name })),
      classifyError: classifyKafkajsError,
    };
  }
  const target =
    config.type === 'file' ? { type: 'file' as const, path: config.path ?? '' } : { type: 'stdout' as const };
  return { engine: createStreamSinkEngine(target), classifyError: () => 'unknown' };
};
