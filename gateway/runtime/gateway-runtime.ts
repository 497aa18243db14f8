import type { Logger } from 'pino';
import type { GatewayConfig, ProducerConfig, RepoConfig } from '../config/schema.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { compilePipeline } from '../pipeline/compile-pipeline.ts';
import type { CompiledPipeline } from '../pipeline/line-outcome.ts';
import { BatchingProducer } from '../producers/batching-producer.ts';
import type { EngineFactory } from '../producers/create-engine.ts';

export interface RepoRuntime {
  readonly name: string;
  readonly mode: RepoConfig['mode'];
  readonly producerName: string;
  readonly producer: BatchingProducer;
  readonly pipeline: CompiledPipeline;
}

/**
 * Everything one config revision needs to serve requests. A request takes the
 * runtime current when it starts and uses it to the end, so a later swap never
 * changes a request half way.
 */
export interface GatewayRuntime {
  readonly revision: string;
  readonly config: GatewayConfig;
  readonly repos: ReadonlyMap<string, RepoRuntime>;
  readonly producers: ReadonlyMap<string, BatchingProducer>;
}

export interface RuntimeDeps {
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly createEngine: EngineFactory;
}

export function buildRuntime(config: GatewayConfig, deps: RuntimeDeps): GatewayRuntime {
  const producers = new Map<string, BatchingProducer>();
  for (const [name, producerConfig] of Object.entries(config.producers)) {
    producers.set(name, buildProducer(name, producerConfig, deps));
  }
  const repos = new Map<string, RepoRuntime>();
  for (const [name, repo] of Object.entries(config.repos)) {
    const producer = producers.get(repo.producer);
    // parse-config guarantees the reference; this guard keeps the types honest.
    if (!producer) throw new Error(`repo ${name} names unknown producer ${repo.producer}`);
    repos.set(name, {
      name,
      mode: repo.mode,
      producerName: repo.producer,
      producer,
      pipeline: compilePipeline(repo),
    });
  }
  return { revision: config.revision, config, repos, producers };
}

function buildProducer(name: string, config: ProducerConfig, deps: RuntimeDeps): BatchingProducer {
  const { engine, classifyError } = deps.createEngine(name, config, deps.logger);
  const { metrics } = deps;
  const batch =
    config.type === 'kafka' ? config.batch : { maxMessages: 1000, maxBytes: 1 << 20, lingerMs: 5 };
  return new BatchingProducer({
    engine,
    batch,
    maxPendingBytes: config.maxPendingBytes,
    classifyError,
    observer: {
      batchSettled: ({ messages, bytes, seconds, error }) => {
        metrics.produceLatency.observe({ producer: name }, seconds);
        metrics.batchMessages.observe({ producer: name }, messages);
        metrics.batchBytes.observe({ producer: name }, bytes);
        if (error !== undefined) metrics.producerErrors.inc({ producer: name, kind: error });
      },
      pendingBytesChanged: (bytes) => metrics.pendingBytes.set({ producer: name }, bytes),
    },
  });
}

/**
 * Connects every producer, retrying with capped exponential backoff until it
 * succeeds or `signal` aborts. Never rejects: an unreachable broker keeps the
 * gateway up and not ready, answering 503, rather than crashing it.
 */
export async function connectProducers(
  runtime: GatewayRuntime,
  logger: Logger,
  signal: AbortSignal,
): Promise<void> {
  await Promise.all(
    [...runtime.producers].map(async ([name, producer]) => {
      for (let attempt = 0; !signal.aborted; attempt++) {
        try {
          await producer.connect();
          logger.info({ producer: name }, 'producer connected');
          return;
        } catch (error) {
          const delayMs = Math.min(250 * 2 ** attempt, 10_000);
          logger.warn({ producer: name, err: error, retryInMs: delayMs }, 'producer connect failed');
          await new Promise((resolve) => {
            const timer = setTimeout(resolve, delayMs);
            signal.addEventListener(
              'abort',
              () => {
                clearTimeout(timer);
                resolve(undefined);
              },
              { once: true },
            );
          });
        }
      }
    }),
  );
}
