import fastify, {
  type FastifyBaseLogger,
  type FastifyInstance,
  type FastifyReply,
  type FastifyRequest,
  LogController,
} from 'fastify';
import type { Logger } from 'pino';
import type { ReloadStatus } from '../config/reload-status.ts';
import { handleIngest } from '../ingest/handle-ingest.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { UNKNOWN_REPO_LABEL } from '../observability/metrics.ts';
import type { GatewayRuntime } from '../runtime/gateway-runtime.ts';
import type { RuntimeHolder } from '../runtime/runtime-holder.ts';
import { clientAddressOf } from './client-address.ts';
import { describeFailure, failure } from './error-catalogue.ts';
import { decideIngestAuth, type IngestAuthTable, parseBearer } from './ingest-auth.ts';

export interface AppDeps {
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  /**
   * The runtime new requests use (undefined until a config is loaded). An
   * ingest request holds its runtime from `enter` to `leave`, so a reload
   * never closes producers under a running request.
   */
  readonly runtimes: RuntimeHolder<GatewayRuntime>;
  /** True once shutdown began: readiness fails and new ingest requests get 503. */
  readonly isDraining: () => boolean;
  /**
   * The server is closing (the shutdown delay is over): ingest answers SHUTTING_DOWN. Until
   * then a draining gateway still serves, not ready, while proxies withdraw it. Defaults to
   * isDraining (no delay).
   */
  readonly isClosing?: () => boolean;
  /** The outcome of config reloads (absent when the gateway does not watch a file). */
  readonly reloadStatus?: ReloadStatus;
  /** The ingest-auth table of the running config; without it every repo is open. */
  readonly ingestAuth?: () => IngestAuthTable;
  /** Serve HTTPS with this key and certificate (listener-tls.ts swaps them later). */
  readonly https?: { readonly key: string; readonly cert: string };
}

const UNAUTHORIZED = describeFailure(failure('UNAUTHORIZED'));

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Builds the gateway's HTTP app. Never listens: `server.ts` owns the socket
 * and signals, tests use `app.inject` or listen themselves.
 */
export function buildApp(deps: AppDeps): FastifyInstance {
  let requestCounter = 0;
  const app = fastify({
    loggerInstance: deps.logger as FastifyBaseLogger,
    // No per-request log lines on the hot path; failures are logged by the route.
    logController: new LogController({ disableRequestLogging: true }),
    // The route reads the raw stream itself, with the limits of the config it runs.
    bodyLimit: Number.MAX_SAFE_INTEGER,
    routerOptions: { maxParamLength: 253 },
    // Requests that arrive while the server closes reach the route, which answers the
    // documented 503 SHUTTING_DOWN with Retry-After (Fastify's own 503 has neither).
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    // Node enforces the headers and request deadlines (server.ts) only when it checks its
    // connections, every 30 s by default: a slow sender would outlive its deadline by as much.
    ...(deps.https
      ? { https: { key: deps.https.key, cert: deps.https.cert, connectionsCheckingInterval: 2_000 } }
      : { http: { connectionsCheckingInterval: 2_000 } }),
    genReqId: (request) => {
      const header = request.headers['x-request-id'];
      if (typeof header === 'string' && REQUEST_ID.test(header)) return header;
      requestCounter = (requestCounter + 1) % Number.MAX_SAFE_INTEGER;
      return `r${requestCounter.toString(36)}`;
    },
  });

  app.removeAllContentTypeParsers();
  // The body stays a stream: the ingest handler reads it with its own limits.
  app.addContentTypeParser('*', (_request, payload, done) => done(null, payload));

  // Runs before the body is read: an unauthenticated sender never gets its body decoded.
  // The answer is identical for a protected and an unknown repo (ingest-auth.ts).
  const authorize = (
    request: FastifyRequest<{ Params: { repo: string } }>,
    reply: FastifyReply,
    done: () => void,
  ) => {
    const { headers } = request;
    const token = parseBearer(headers.authorization);
    // The token never reaches the pipeline (a header executer could copy it into a record).
    if (headers.authorization !== undefined) delete headers.authorization;
    const table = deps.ingestAuth?.();
    if (!table || decideIngestAuth(table, request.params.repo, token) === 'allow') return done();
    const repo = table.repos.has(request.params.repo) ? request.params.repo : UNKNOWN_REPO_LABEL;
    deps.metrics.requests.inc({ repo, status: UNAUTHORIZED.status });
    // Answered here, so `done` is not called and the handler never runs.
    reply
      .code(UNAUTHORIZED.status)
      .header('www-authenticate', 'Bearer realm="sluice"')
      .header('x-request-id', request.id)
      .header('connection', 'close')
      .send({ error: UNAUTHORIZED.body });
  };

  app.post<{ Params: { repo: string } }>(
    '/log/repo/:repo',
    { onRequest: authorize },
    async (request, reply) => {
      const runtime = deps.runtimes.enter();
      try {
        return await ingest(request, reply, runtime);
      } finally {
        if (runtime) deps.runtimes.leave(runtime);
      }
    },
  );

  async function ingest(
    request: FastifyRequest<{ Params: { repo: string } }>,
    reply: FastifyReply,
    runtime: GatewayRuntime | undefined,
  ) {
    const repoLabel = runtime?.repos.has(request.params.repo) ? request.params.repo : UNKNOWN_REPO_LABEL;
    if (!runtime || (deps.isClosing ?? deps.isDraining)()) {
      const { status, body } = describeFailure(
        failure('SHUTTING_DOWN', runtime ? undefined : 'no config loaded yet'),
      );
      deps.metrics.requests.inc({ repo: repoLabel, status });
      return reply
        .code(status)
        .header('retry-after', '1')
        .header('connection', 'close')
        .send({ error: body });
    }
    const startedAt = performance.now();
    const contentLength = request.headers['content-length'];
    const response = await handleIngest(
      {
        repo: request.params.repo,
        body: request.raw,
        contentLength: contentLength === undefined ? undefined : Number(contentLength),
        contentEncoding: request.headers['content-encoding'],
        context: {
          receivedAt: Date.now(),
          // The runtime's trusted proxies decide whether forwarding headers count (reloadable).
          clientAddress: clientAddressOf(
            request.socket.remoteAddress ?? '',
            request.headers,
            runtime.trustedProxies,
          ),
          headers: request.headers,
        },
        startedAt,
      },
      runtime,
      deps.metrics,
    );
    deps.metrics.requests.inc({ repo: repoLabel, status: response.status });
    const mode = runtime.repos.get(request.params.repo)?.mode ?? 'none';
    deps.metrics.requestDuration.observe({ repo: repoLabel, mode }, (performance.now() - startedAt) / 1000);
    if (response.status >= 500) {
      request.log.warn(
        { repo: repoLabel, status: response.status, error: response.body.error },
        'ingest failed',
      );
    }
    reply.code(response.status).headers(response.headers).header('x-request-id', request.id);
    if (response.closeConnection) reply.header('connection', 'close');
    return reply.send(response.body);
  }

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_request, reply) => {
    const runtime = deps.runtimes.current;
    const reasons: string[] = [];
    if (deps.isDraining()) reasons.push('shutting down');
    if (!runtime) reasons.push('no config loaded');
    for (const [name, producer] of runtime?.producers ?? []) {
      if (!producer.connected) reasons.push(`producer ${name} not connected`);
    }
    const ready = reasons.length === 0;
    return reply.code(ready ? 200 : 503).send({ ready, reasons, revision: runtime?.revision ?? null });
  });

  app.get('/status', async () => {
    const runtime = deps.runtimes.current;
    return {
      // With --workers each worker answers for itself: the pid tells which one did.
      pid: process.pid,
      revision: runtime?.revision ?? null,
      draining: deps.isDraining(),
      repos: [...(runtime?.repos.values() ?? [])].map((repo) => ({
        name: repo.name,
        mode: repo.mode,
        producer: repo.producerName,
        suspended: repo.state !== 'active',
        // What the operator compares with the digest it rendered (kernel/repo-config-digest.ts).
        digest: runtime?.repoDigests.get(repo.name) ?? null,
      })),
      reload: deps.reloadStatus?.report ?? { lastResult: 'none', rejected: null },
      producers: [...(runtime?.producers ?? [])].map(([name, producer]) => ({
        name,
        connected: producer.connected,
        pendingBytes: producer.pendingBytes,
      })),
    };
  });

  app.get('/metrics', async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });

  app.setNotFoundHandler((_request, reply) => {
    reply.code(404).send({ error: { code: 'NOT_FOUND', message: 'no such endpoint', retryable: false } });
  });

  // Fastify's own errors (malformed requests) and anything unexpected: a coded
  // answer, never a stack trace or a request body in the response.
  app.setErrorHandler((error: { statusCode?: number; code?: string; message: string }, request, reply) => {
    const client = error.statusCode !== undefined && error.statusCode >= 400 && error.statusCode < 500;
    if (!client) request.log.error({ err: error }, 'unexpected error');
    // Fastify's own client errors: an unparseable Content-Type (415), else a malformed request.
    const code = !client ? 'INTERNAL' : error.statusCode === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST';
    const { status, body } = describeFailure(failure(code, client ? error.message : undefined));
    reply.code(status).send({ error: body });
  });

  return app;
}
