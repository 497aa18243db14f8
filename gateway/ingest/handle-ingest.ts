import type { Readable } from 'node:stream';
import {
  describeFailure,
  failure,
  type IngestErrorCode,
  type IngestFailure,
} from '../http/error-catalogue.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import type { LineContext, LineOutcome } from '../pipeline/line-outcome.ts';
import { DeliveryError, type SubmitResult } from '../producers/batching-producer.ts';
import type { GatewayRuntime, RepoRuntime } from '../runtime/gateway-runtime.ts';
import { collectMessages } from './collect-messages.ts';
import { decodeBody, parseContentEncoding } from './decode-body.ts';
import { type IngestSummary, IngestTally } from './ingest-tally.ts';
import { drainBody, readBody } from './read-body.ts';
import { forEachLine, STOP_LINES } from './split-lines.ts';

export interface IngestRequest {
  readonly repo: string;
  readonly body: Readable;
  readonly contentLength: number | undefined;
  readonly contentEncoding: string | undefined;
  readonly context: Omit<LineContext, 'repo'>;
  /** Monotonic start time in ms (performance.now()), the origin of the request deadline. */
  readonly startedAt: number;
}

export interface IngestResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Record<string, unknown>;
  /** Set when the rest of the request body could not be drained and the connection must close. */
  readonly closeConnection?: boolean;
}

/** Why the producer refused a request → the answer's code. */
const REFUSAL_CODES = {
  buffer_full: 'BUFFER_FULL',
  too_large: 'REQUEST_TOO_LARGE_FOR_PRODUCER',
  unavailable: 'KAFKA_UNAVAILABLE',
  closed: 'SHUTTING_DOWN',
} as const satisfies Record<Extract<SubmitResult, { ok: false }>['reason'], IngestErrorCode>;

/**
 * The data-plane contract for one `POST /log/repo/{repo}`: read and decode the
 * body within limits, run every line through the repo's pipeline, hand the
 * accepted lines to the producer, and answer honestly: 200 (sync) only once
 * Kafka acknowledged every accepted line, 202 (async) once they are queued,
 * retryable 429/503 with Retry-After within the deadline otherwise.
 */
export async function handleIngest(
  request: IngestRequest,
  runtime: GatewayRuntime,
  metrics: GatewayMetrics,
): Promise<IngestResponse> {
  const server = runtime.config.server;
  const retryAfter = String(server.retryAfterSeconds);
  const repo = runtime.repos.get(request.repo);
  if (!repo)
    return failed(failure('REPO_NOT_FOUND', `no log repo named "${truncate(request.repo)}"`), retryAfter);

  if (repo.state === 'reject') {
    const reason = `log repo "${repo.name}" is suspended, retry later`;
    return refuseUnread(request.body, failure('SUSPENDED', reason), retryAfter);
  }
  const encoding = parseContentEncoding(request.contentEncoding);
  if (encoding === undefined) {
    const reason = `Content-Encoding "${truncate(request.contentEncoding ?? '')}" is not supported`;
    return refuseUnread(request.body, failure('UNSUPPORTED_ENCODING', reason), retryAfter);
  }
  const limits = repo.limits;
  if (request.contentLength !== undefined && request.contentLength > limits.bodyLimitBytes) {
    const reason = `body exceeds ${limits.bodyLimitBytes} bytes`;
    return refuseUnread(request.body, failure('BODY_TOO_LARGE', reason), retryAfter);
  }
  const raw = await readBody(request.body, limits.bodyLimitBytes);
  if (!raw.ok) return failed(raw.failure, retryAfter, !raw.drained);
  metrics.bytesIn.inc({ repo: repo.name, encoding }, raw.body.length);

  const decoded = await decodeBody(raw.body, encoding, limits.maxDecompressedBytes);
  if (!decoded.ok) return failed(decoded.failure, retryAfter);

  if (repo.state === 'drop') return dropSuspended(decoded.body, repo, runtime.revision, metrics, retryAfter);

  const context: LineContext = { ...request.context, repo: repo.name };
  const { split, tally, groups, cost, tooManyLines } = collectMessages(
    decoded.body,
    repo.pipeline,
    context,
    limits.maxLineBytes,
    server.maxLineErrors,
    repo.producer,
    limits.maxLinesPerRequest,
  );
  if (!split.ok) {
    if (tooManyLines) {
      const reason = `the request carries more than ${limits.maxLinesPerRequest} lines`;
      return failed(failure('TOO_MANY_LINES', reason), retryAfter);
    }
    if (split.reason === 'stopped') return failed(failure('REQUEST_TOO_LARGE_FOR_PRODUCER'), retryAfter);
    return failed(
      failure('LINE_TOO_LARGE', `line ${split.lineNumber} exceeds ${limits.maxLineBytes} bytes`),
      retryAfter,
    );
  }
  const summary = tally.summary();
  countLines(metrics, repo.name, summary);

  const submitted = repo.producer.submit(groups, cost);
  if (!submitted.ok) {
    const code = REFUSAL_CODES[submitted.reason];
    return failed(failure(code), retryAfter, false, summary, runtime.revision);
  }
  const ok = (status: number) => ({
    status,
    headers: {},
    body: { repo: repo.name, revision: runtime.revision, ...summary },
  });
  if (repo.mode === 'async') {
    submitted.delivery.catch(() => metrics.asyncDeliveryFailures.inc({ repo: repo.name }, summary.accepted));
    return ok(202);
  }
  const remainingMs = Math.max(0, server.requestTimeoutMs - (performance.now() - request.startedAt));
  const outcome = await withDeadline(submitted.delivery, remainingMs);
  if (outcome === 'delivered') return ok(200);
  // What a rollout's analysis compares between tracks: lines Kafka did not take, per repo.
  metrics.syncDeliveryFailures.inc({ repo: repo.name }, summary.accepted);
  if (outcome === 'timeout') {
    return failed(
      failure('DELIVERY_TIMEOUT', `Kafka did not acknowledge within ${server.requestTimeoutMs} ms`),
      retryAfter,
      false,
      summary,
      runtime.revision,
    );
  }
  const detail =
    outcome.kind === 'connection' || outcome.kind === 'closed' ? 'KAFKA_UNAVAILABLE' : 'DELIVERY_FAILED';
  return failed(failure(detail), retryAfter, false, summary, runtime.revision);
}

const SUSPENDED_DROP: LineOutcome = Object.freeze({ kind: 'dropped', reason: 'suspended' });

/**
 * A suspended repo in drop mode: the body is read within the limits, its lines
 * are counted as dropped under reason `suspended` (so the sender's lines are
 * accounted for in the answer and the metrics), and nothing is produced.
 */
function dropSuspended(
  body: Buffer,
  repo: RepoRuntime,
  revision: string,
  metrics: GatewayMetrics,
  retryAfter: string,
): IngestResponse {
  const tally = new IngestTally(0);
  let lines = 0;
  const split = forEachLine(body, repo.limits.maxLineBytes, (_line, lineNumber) => {
    if (++lines > repo.limits.maxLinesPerRequest) return STOP_LINES;
    tally.record(SUSPENDED_DROP, lineNumber);
  });
  if (!split.ok) {
    return split.reason === 'stopped'
      ? failed(failure('TOO_MANY_LINES'), retryAfter)
      : failed(failure('LINE_TOO_LARGE'), retryAfter);
  }
  const summary = tally.summary();
  countLines(metrics, repo.name, summary);
  return { status: 200, headers: {}, body: { repo: repo.name, revision, ...summary } };
}

async function withDeadline(
  delivery: Promise<void>,
  ms: number,
): Promise<'delivered' | 'timeout' | DeliveryError> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  try {
    return await Promise.race([
      delivery.then(
        () => 'delivered' as const,
        (error: unknown) =>
          error instanceof DeliveryError ? error : new DeliveryError('unknown', String(error)),
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

function countLines(metrics: GatewayMetrics, repo: string, summary: IngestSummary): void {
  metrics.linesReceived.inc({ repo }, summary.received);
  metrics.linesAccepted.inc({ repo }, summary.accepted);
  for (const [reason, count] of Object.entries(summary.dropped.byReason))
    metrics.linesDropped.inc({ repo, reason }, count);
  for (const [reason, count] of Object.entries(summary.invalid.byReason))
    metrics.linesInvalid.inc({ repo, reason }, count);
}

/** Refuses before reading: drains the body (bounded) so the sender reads the answer, else closes. */
async function refuseUnread(
  body: Readable,
  reason: IngestFailure,
  retryAfter: string,
): Promise<IngestResponse> {
  const drained = await drainBody(body);
  return failed(reason, retryAfter, !drained);
}

function failed(
  reason: IngestFailure,
  retryAfter: string,
  closeConnection = false,
  summary?: IngestSummary,
  revision?: string,
): IngestResponse {
  const { status, retryable, body } = describeFailure(reason);
  return {
    status,
    headers: retryable ? { 'retry-after': retryAfter } : {},
    body: { error: body, ...(revision === undefined ? {} : { revision }), ...(summary ?? {}) },
    ...(closeConnection ? { closeConnection } : {}),
  };
}

function truncate(text: string): string {
  return text.length > 64 ? `${text.slice(0, 61)}...` : text;
}
