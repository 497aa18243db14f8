import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Server as TlsServer } from 'node:tls';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../kernel/config-schema.ts';
import type { ReloadStatus } from '../config/reload-status.ts';
import { createGatewayMetrics, type GatewayMetrics } from '../observability/metrics.ts';
import type { BatchingProducer } from '../producers/batching-producer.ts';
import { createEngine as defaultEngineFactory, type EngineFactory } from '../producers/create-engine.ts';
import { fullGc } from '../runtime/full-gc.ts';
import { buildRuntime, connectProducers, type GatewayRuntime } from '../runtime/gateway-runtime.ts';
import { RuntimeHolder } from '../runtime/runtime-holder.ts';
import { buildApp } from './build-app.ts';
import { IngestAuth } from './ingest-auth-tokens.ts';
import { ListenerTls } from './listener-tls.ts';

export interface GatewayServer {
  readonly app: FastifyInstance;
  readonly metrics: GatewayMetrics;
  /** Base URL the server listens on, e.g. http://127.0.0.1:8080 */
  readonly url: string;
  readonly runtime: () => GatewayRuntime;
  /** Resolves once every producer of the initial config connected (never rejects; it retries). */
  readonly connected: Promise<void>;
  /**
   * Swaps in a new, already validated config: reuses unchanged producers,
   * builds and connects new ones (waiting at most `connectWaitMs`), then makes
   * it current for new requests. Requests in flight finish on the config they
   * started with; producers no longer referenced are flushed and closed after
   * the last of those requests ended. Calls are serialized.
   */
  readonly applyConfig: (config: GatewayConfig, repoDigests?: ReadonlyMap<string, string>) => Promise<void>;
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
  /** How long a reload waits for new producers to connect before swapping anyway. */
  readonly connectWaitMs?: number;
  /** Delay from a retired runtime closing to the full collection that follows it. */
  readonly collectAfterMs?: number;
  /** Fallback re-read interval of mounted token and certificate files (watches catch most changes). */
  readonly secretPollIntervalMs?: number;
  /** The initial config's repo digests (parse-config's result); `/status` reports them. */
  readonly repoDigests?: ReadonlyMap<string, string>;
  /** The outcome of the last config reloads, for `/status` (run-gateway.ts owns it). */
  readonly reloadStatus?: ReloadStatus;
}

export async function startGateway(config: GatewayConfig, options: StartOptions): Promise<GatewayServer> {
  const { logger } = options;
  const fileOptions = {
    logger,
    ...(options.secretPollIntervalMs === undefined ? {} : { pollIntervalMs: options.secretPollIntervalMs }),
  };
  // First: an unusable certificate stops the start before any producer connects.
  const listenerTls = config.server.tls
    ? await ListenerTls.create(config.server.tls, fileOptions)
    : undefined;
  const metrics = createGatewayMetrics();
  const deps = { logger, metrics, createEngine: options.createEngine ?? defaultEngineFactory };
  const holder = new RuntimeHolder<GatewayRuntime>();
  const retiring = new Set<Promise<void>>();
  const connecting = new AbortController();
  let draining = false;
  // After the shutdown delay: new ingest requests are refused from then on.
  let closing = false;

  const initial = buildRuntime(config, deps, undefined, options.repoDigests);
  holder.swap(initial.runtime);
  metrics.producerLifecycle.inc({ event: 'created' }, initial.created.size);
  const reportRuntime = (runtime: GatewayRuntime) => {
    metrics.configInfo.reset();
    metrics.configInfo.set({ revision: runtime.revision }, 1);
    // Reset first: a repo removed by a reload must not keep reporting its last state.
    metrics.repoSuspended.reset();
    for (const repo of runtime.repos.values())
      metrics.repoSuspended.set({ repo: repo.name }, repo.state === 'active' ? 0 : 1);
  };
  reportRuntime(initial.runtime);
  const connected = connectProducers(initial.created, logger, connecting.signal);

  const auth = await IngestAuth.create(config, fileOptions);
  const app = buildApp({
    logger,
    metrics,
    runtimes: holder,
    isDraining: () => draining,
    isClosing: () => closing,
    ingestAuth: () => auth.current,
    ...(options.reloadStatus ? { reloadStatus: options.reloadStatus } : {}),
    ...(listenerTls ? { https: listenerTls.initial } : {}),
  });
  const server = config.server;
  const address = await app.listen({ host: options.host ?? server.host, port: options.port ?? server.port });
  listenerTls?.attach(app.server as unknown as TlsServer);
  // A slow sender cannot hold a connection beyond the request deadline plus a margin for the body.
  app.server.requestTimeout = server.requestTimeoutMs + 30_000;
  app.server.headersTimeout = 15_000;
  app.server.keepAliveTimeout = 65_000;
  // Neither deadline starts before a request's first byte, so a connection that never sends
  // one would be held forever (a flood of them exhausts file descriptors). It gets the headers
  // deadline too. (server.timeout cannot do this: Node's connection checks re-arm it.)
  app.server.on('connection', (socket: Socket) => {
    const timer = setTimeout(() => {
      if (socket.bytesRead === 0) socket.destroy();
    }, app.server.headersTimeout).unref();
    socket.once('close', () => clearTimeout(timer));
  });
  logger.info(
    { address, revision: initial.runtime.revision, repos: initial.runtime.repos.size },
    'gateway listening',
  );

  const closeWhenDrained = (old: GatewayRuntime, producers: ReadonlyMap<string, BatchingProducer>) => {
    const work = holder
      .drained(old)
      .then(() =>
        Promise.all(
          [...producers].map(async ([name, producer]) => {
            await producer
              .close()
              .catch((error: unknown) => logger.warn({ producer: name, err: error }, 'close failed'));
            metrics.producerLifecycle.inc({ event: 'closed' });
            logger.info({ producer: name, revision: old.revision }, 'retired producer closed');
          }),
        ),
      )
      .then(() => undefined);
    retiring.add(work);
    void work.finally(() => {
      retiring.delete(work);
      scheduleCollection();
    });
  };

  // One full collection shortly after a retirement (not inside the swap, so it
  // never delays the first requests on the new config); a burst of reloads
  // shares one pending collection.
  let collection: NodeJS.Timeout | undefined;
  const scheduleCollection = () => {
    if (draining || collection !== undefined) return;
    collection = setTimeout(() => {
      collection = undefined;
      if (!draining) fullGc()();
    }, options.collectAfterMs ?? 250);
    collection.unref();
  };

  let applying: Promise<void> = Promise.resolve();
  const applyConfig = (next: GatewayConfig, repoDigests?: ReadonlyMap<string, string>) => {
    const run = async () => {
      if (draining) return;
      const current = holder.current;
      const built = buildRuntime(next, deps, current, repoDigests);
      metrics.producerLifecycle.inc({ event: 'created' }, built.created.size);
      // New producers get a bounded head start; past it the swap happens anyway and
      // they keep connecting in the background (their repos answer 503 meanwhile).
      await Promise.race([
        connectProducers(built.created, logger, connecting.signal),
        sleep(options.connectWaitMs ?? 5000, undefined, { ref: false }),
      ]);
      // Token files are read before the swap, so the new repos and their tokens go live together.
      const preparedAuth = await auth.prepare(next);
      const previous = holder.swap(built.runtime);
      auth.install(preparedAuth);
      reportRuntime(built.runtime);
      if (next.server.port !== server.port || next.server.host !== server.host) {
        logger.warn('listen address changes apply on restart only');
      }
      if (next.server.tls && listenerTls) await listenerTls.update(next.server.tls);
      else if ((next.server.tls === undefined) !== (listenerTls === undefined)) {
        logger.warn('turning listener TLS on or off applies on restart only');
      }
      logger.info(
        { revision: built.runtime.revision, previous: previous?.revision, producers: built.plan },
        'config applied',
      );
      if (previous) closeWhenDrained(previous, built.retired);
    };
    applying = applying.then(run, run);
    return applying;
  };

  let stopping: Promise<boolean> | undefined;
  const shutdown = () => {
    stopping ??= (async () => {
      draining = true;
      connecting.abort();
      auth.close();
      listenerTls?.close();
      logger.info({ delayMs: server.shutdownDelayMs }, 'shutting down: not ready any more');
      const work = (async () => {
        await new Promise((resolve) => setTimeout(resolve, server.shutdownDelayMs));
        closing = true;
        await applying.catch(() => undefined);
        await app.close();
        await Promise.all(retiring);
        const runtime = holder.current;
        await Promise.all([...(runtime?.producers.values() ?? [])].map((producer) => producer.close()));
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

  const runtime = () => holder.current as GatewayRuntime;
  return { app, metrics, url: address, runtime, connected, applyConfig, shutdown };
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
