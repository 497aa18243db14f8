import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import type { GatewayConfig, ProducerConfig, RepoConfig } from '../../kernel/config-schema.ts';
import { compileTrustedProxies, type TrustedProxies } from '../../kernel/trusted-proxies.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { compileRepoPipeline } from '../pipeline/compile-pipeline.ts';
import type { CompiledPipeline } from '../pipeline/line-outcome.ts';
import { BatchingProducer, MESSAGE_OVERHEAD_BYTES } from '../producers/batching-producer.ts';
import type { EngineContext, EngineFactory } from '../producers/create-engine.ts';
import { type ProducerPlan, planProducers } from './plan-producers.ts';
import { effectiveLimits, type RepoLimits } from './repo-limits.ts';

export interface RepoRuntime {
  readonly name: string;
  readonly mode: RepoConfig['mode'];
  readonly producerName: string;
  readonly producer: BatchingProducer;
  readonly pipeline: CompiledPipeline;
  /** Body, decompressed, line and line-count limits: the server's, tightened by the repo's. */
  readonly limits: RepoLimits;
  /** Not suspended (active), or what a suspended repo does with requests. */
  readonly state: 'active' | 'reject' | 'drop';
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
  /** server.trustedProxies, compiled: whose forwarding headers name the client. */
  readonly trustedProxies: TrustedProxies;
  /**
   * Each repo's config digest (kernel/repo-config-digest.ts), reported on `/status` so the
   * operator can tell which version of each repo's config this pod serves.
   */
  readonly repoDigests: ReadonlyMap<string, string>;
}

export interface RuntimeDeps {
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  readonly createEngine: EngineFactory;
}

export interface RuntimeBuild {
  readonly runtime: GatewayRuntime;
  readonly plan: ProducerPlan;
  /** Producers of the previous runtime that the new one no longer uses. */
  readonly retired: ReadonlyMap<string, BatchingProducer>;
  /** Producers built for this runtime; they still need to connect. */
  readonly created: ReadonlyMap<string, BatchingProducer>;
}

/**
 * Builds the runtime for `config`. With a `previous` runtime, producers whose
 * settings did not change are reused (connections and in-flight batches carry
 * over); the rest are built anew. Throws only on programming errors: the
 * config was validated before.
 */
export function buildRuntime(
  config: GatewayConfig,
  deps: RuntimeDeps,
  previous?: GatewayRuntime,
  repoDigests: ReadonlyMap<string, string> = new Map(),
): RuntimeBuild {
  // The request deadline is part of what an engine is built with (librdkafka's message
  // timeout), so a changed deadline rebuilds the producers like a changed setting does.
  const plan = planProducers(
    withDeadline(previous?.config.producers ?? {}, previous?.config.server.requestTimeoutMs),
    withDeadline(config.producers, config.server.requestTimeoutMs),
  );
  const producers = new Map<string, BatchingProducer>();
  const created = new Map<string, BatchingProducer>();
  for (const name of plan.reuse) {
    const reused = previous?.producers.get(name);
    if (reused) producers.set(name, reused);
  }
  for (const name of plan.create) {
    const producer = buildProducer(name, config.producers[name] as ProducerConfig, deps, {
      requestTimeoutMs: config.server.requestTimeoutMs,
    });
    producers.set(name, producer);
    created.set(name, producer);
  }
  const retired = new Map<string, BatchingProducer>();
  for (const name of plan.retire) {
    const old = previous?.producers.get(name);
    if (old) retired.set(name, old);
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
      pipeline: compileRepoPipeline(repo, { name, revision: config.revision }),
      limits: effectiveLimits(config.server, repo.limits),
      state: repo.suspend === true ? (repo.whileSuspended ?? 'reject') : 'active',
    });
  }
  const proxies = compileTrustedProxies(config.server.trustedProxies);
  // parse-config validated the list; like the producer guard above, this keeps the types honest.
  if (!proxies.ok) throw new Error(`invalid server.trustedProxies: ${proxies.issues[0]?.message}`);
  return {
    runtime: {
      revision: config.revision,
      config,
      repos,
      producers,
      trustedProxies: proxies.proxies,
      repoDigests,
    },
    plan,
    retired,
    created,
  };
}

function withDeadline(
  producers: Readonly<Record<string, ProducerConfig>>,
  requestTimeoutMs: number | undefined,
): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(producers).map(([name, config]) => [name, { config, requestTimeoutMs }]),
  );
}

function buildProducer(
  name: string,
  config: ProducerConfig,
  deps: RuntimeDeps,
  context: EngineContext,
): BatchingProducer {
  const { engine, classifyError } = deps.createEngine(name, config, deps.logger, context);
  const { metrics } = deps;
  const batch =
    config.type === 'kafka' ? config.batch : { maxMessages: 1000, maxBytes: 1 << 20, lingerMs: 5 };
  return new BatchingProducer({
    engine,
    batch,
    maxPendingBytes: config.maxPendingBytes,
    messageOverheadBytes: MESSAGE_OVERHEAD_BYTES,
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
 * succeeds, the producer is closed, or `signal` aborts. Never rejects: an
 * unreachable broker keeps the gateway up and not ready, answering 503,
 * rather than crashing it.
 */
export async function connectProducers(
  producers: ReadonlyMap<string, BatchingProducer>,
  logger: Logger,
  signal: AbortSignal,
): Promise<void> {
  await Promise.all(
    [...producers].map(async ([name, producer]) => {
      for (let attempt = 0; !signal.aborted && !producer.closed; attempt++) {
        try {
          await producer.connect();
          logger.info({ producer: name }, 'producer connected');
          return;
        } catch (error) {
          const delayMs = Math.min(250 * 2 ** attempt, 10_000);
          logger.warn({ producer: name, err: error, retryInMs: delayMs }, 'producer connect failed');
          await sleep(delayMs, undefined, { signal }).catch(() => undefined);
        }
      }
    }),
  );
}
