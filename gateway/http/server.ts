import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config/schema.ts';
import { createGatewayMetrics, type GatewayMetrics } from '../observability/metrics.ts';
import { createEngine as defaultEngineFactory, type EngineFactory } from '../producers/create-engine.ts';
import { buildRuntime, connectProducers, type GatewayRuntime } from '../runtime/gateway-runtime.ts';
import { buildApp } from './build-app.ts';

export interface GatewayServer {
  readonly app: FastifyInstance;
  readonly metrics: GatewayMetrics;
  /** Base URL the server listens on, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly runtime: () => GatewayRuntime;
  /** Resolves once every producer connected (it never rejects; it retries). */
  readonly connected: Promise<void>;
  /**
   * Graceful stop: not ready, wait `shutdownDelayMs`, stop accepting, let
   * in-flight requests finish, deliver everything admitted, disconnect.
   * Bounded by `shutdownTimeoutMs`; resolves false when that bound was hit.
   */
  readonly shutdown: () => Promise<boolean>;
}

export interface StartOptions {
  readonly logger: Logger;
  readonly createEngine?: EngineFactory;
  /** Overrides the configured listen port (0 picks a free one). */
  readonly port?: number;
  readonly host?: string;
}

export async function startGateway(config: GatewayConfig, options: StartOptions): Promise<GatewayServer> {
  const { logger } = options;
  const metrics = createGatewayMetrics();
  const runtime = buildRuntime(config, {
    logger,
    metrics,
    createEngine: options.createEngine ?? defaultEngineFactory,
  });
  metrics.configInfo.set({ revision: runtime.revision }, 1);
  let draining = false;
  const app = buildApp({ logger, metrics, currentRuntime: () => runtime, isDraining: () => draining });
  const connecting = new AbortController();
  const connected = connectProducers(runtime, logger, connecting.signal);

  const server = config.server;
  const address = await app.listen({ host: options.host ?? server.host, port: options.port ?? server.port });
  // A slow sender cannot hold a connection beyond the request deadline plus a margin for the body.
  app.server.requestTimeout = server.requestTimeoutMs + 30_000;
  app.server.headersTimeout = 15_000;
  app.server.keepAliveTimeout = 65_000;
  logger.info({ address, revision: runtime.revision, repos: runtime.repos.size }, 'gateway listening');

  let stopping: Promise<boolean> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      draining = true;
      connecting.abort();
      logger.info({ delayMs: server.shutdownDelayMs }, 'shutting down: not ready any more');
      const work = (async () => {
        await new Promise((resolve) => setTimeout(resolve, server.shutdownDelayMs));
        await app.close();
        await Promise.all([...runtime.producers.values()].map((producer) => producer.close()));
        return true;
      })();
      const timedOut = new Promise<false>((resolve) =>
        setTimeout(() => resolve(false), server.shutdownTimeoutMs).unref(),
      );
      const clean = await Promise.race([work, timedOut]);
      logger.info({ clean }, 'gateway stopped');
      return clean;
    })();
    return stopping;
  };

  return { app, metrics, url: address, runtime: () => runtime, connected, shutdown };
}

/** Shuts down on SIGTERM/SIGINT and exits; a second signal exits at once. */
export function exitOnSignals(gateway: Pick<GatewayServer, 'shutdown'>, logger: Logger): void {
  let received = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    received = true;
    logger.info({ signal }, 'signal received');
    void gateway.shutdown().then((clean) => process.exit(clean ? 0 : 1));
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
