import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { validateConfig } from '../../gateway/config/parse-config.ts';
import { buildApp } from '../../gateway/http/build-app.ts';
import { createGatewayMetrics, type GatewayMetrics } from '../../gateway/observability/metrics.ts';
import { buildRuntime, type GatewayRuntime } from '../../gateway/runtime/gateway-runtime.ts';
import { RuntimeHolder } from '../../gateway/runtime/runtime-holder.ts';
import { repoConfigDigests } from '../../kernel/repo-config-digest.ts';
import { type FakeEngine, fakeEngine } from './fake-engine.ts';

export interface InjectGateway {
  readonly app: FastifyInstance;
  readonly engine: FakeEngine;
  readonly runtime: GatewayRuntime;
  readonly metrics: GatewayMetrics;
  draining: boolean;
}

/**
 * An app built exactly like production (buildApp + buildRuntime from a
 * validated config) whose single producer `main` is an in-memory fake engine.
 */
export async function injectGateway(
  raw: {
    server?: Record<string, unknown>;
    repos?: Record<string, unknown>;
    producer?: Record<string, unknown>;
  } = {},
  engineOptions: { autoAck?: boolean; hangOnConnect?: boolean } = { autoAck: true },
): Promise<InjectGateway> {
  const document = {
    revision: 'test-rev',
    server: raw.server ?? {},
    producers: { main: { type: 'kafka', brokers: ['127.0.0.1:9'], batch: { lingerMs: 1 }, ...raw.producer } },
    repos: raw.repos ?? {
      access: { producer: 'main', topic: 'logs.access', mode: 'sync', key: 'host' },
      audit: { producer: 'main', topic: 'logs.audit', mode: 'async' },
    },
  };
  const parsed = validateConfig(document);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const engine = fakeEngine(engineOptions);
  const metrics = createGatewayMetrics({ defaultMetrics: false });
  const logger = pino({ level: 'silent' });
  const { runtime } = buildRuntime(
    parsed.config,
    {
      logger,
      metrics,
      createEngine: () => ({
        engine,
        classifyError: (error) => ((error as Error).message === 'connection' ? 'connection' : 'broker'),
      }),
    },
    undefined,
    repoConfigDigests(document),
  );
  const holder = new RuntimeHolder<GatewayRuntime>();
  holder.swap(runtime);
  if (!engineOptions.hangOnConnect)
    for (const producer of runtime.producers.values()) await producer.connect();
  const harness: InjectGateway = {
    engine,
    runtime,
    metrics,
    draining: false,
    app: buildApp({ logger, metrics, runtimes: holder, isDraining: () => harness.draining }),
  };
  return harness;
}
