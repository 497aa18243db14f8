import type { Pool } from 'undici';

// Drives POST /log/repo/{repo} over keep-alive connections, closed loop (as fast as the
// gateway answers) or open loop (at a fixed rate). Only a 200 (sync repo) or 202 (async repo)
// whose body reports every line accepted counts as success; everything else is tallied by status or error code.

export interface RequestBody {
  readonly data: Buffer;
  readonly lines: number;
}

export interface IngestTarget {
  /** Keep-alive connections to the gateway; its `connections` bounds concurrency on the wire. */
  readonly pool: Pool;
  readonly path: string;
  /** Bodies are sent round-robin, so every phase posts the same mix. */
  readonly bodies: readonly RequestBody[];
}

export interface PhaseTally {
  /** Requests answered (or failed) in the phase. */
  requests: number;
  ok: number;
  /** Lines the gateway answered 200 for, from the answers' `accepted` counts. */
  linesAcked: number;
  /** Uncompressed JSONL bytes of the bodies answered 200. */
  bytesAcked: number;
  /** Failures by HTTP status ("503") or client error code ("ECONNRESET", "short_accept"). */
  failures: Record<string, number>;
  latenciesMs: number[];
  /** From the phase's start until its last answer. */
  elapsedMs: number;
  /** Open loop only: the phase stopped sending early because too many requests were outstanding. */
  overloaded: boolean;
}

function emptyTally(): PhaseTally {
  return {
    requests: 0,
    ok: 0,
    linesAcked: 0,
    bytesAcked: 0,
    failures: {},
    latenciesMs: [],
    elapsedMs: 0,
    overloaded: false,
  };
}

function countFailure(tally: PhaseTally, key: string): void {
  tally.failures[key] = (tally.failures[key] ?? 0) + 1;
}

/** Posts one body and records its outcome; `startedAt` is when the latency clock started. */
async function postOnce(
  target: IngestTarget,
  body: RequestBody,
  startedAt: number,
  tally: PhaseTally,
): Promise<void> {
  try {
    const response = await target.pool.request({
      path: target.path,
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: body.data,
    });
    const text = await response.body.text();
    tally.requests += 1;
    tally.latenciesMs.push(performance.now() - startedAt);
    if (response.statusCode !== 200 && response.statusCode !== 202) {
      countFailure(tally, String(response.statusCode));
      return;
    }
    const accepted = (JSON.parse(text) as { accepted?: unknown }).accepted;
    if (accepted !== body.lines) {
      // A 200 that did not take every (valid) line would mean the data or the gateway is wrong.
      countFailure(tally, 'short_accept');
      if (typeof accepted === 'number') tally.linesAcked += accepted;
      return;
    }
    tally.ok += 1;
    tally.linesAcked += body.lines;
    tally.bytesAcked += body.data.length;
  } catch (error) {
    tally.requests += 1;
    tally.latenciesMs.push(performance.now() - startedAt);
    countFailure(tally, (error as { code?: string }).code ?? 'client_error');
  }
}

export interface ClosedLoopOptions {
  /** Requests in flight at any time. */
  concurrency: number;
  durationMs: number;
  signal?: AbortSignal;
}

/**
 * `concurrency` senders each post, wait for the answer and post again until the duration is
 * over; requests in flight at that moment are waited for and counted. Latency is from send to
 * the end of the answer.
 */
export async function runClosedLoop(target: IngestTarget, options: ClosedLoopOptions): Promise<PhaseTally> {
  const tally = emptyTally();
  const started = performance.now();
  const end = started + options.durationMs;
  let next = 0;
  const sender = async () => {
    while (performance.now() < end && !options.signal?.aborted) {
      const body = target.bodies[next++ % target.bodies.length] as RequestBody;
      await postOnce(target, body, performance.now(), tally);
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, sender));
  tally.elapsedMs = performance.now() - started;
  return tally;
}

/**
 * How many more requests of a fixed-rate schedule are due at `nowMs`: request i is scheduled
 * at `startMs + i * intervalMs`, and only those scheduled before `endMs` exist. `sent`
 * requests have gone out already.
 */
export function dueRequests(
  startMs: number,
  intervalMs: number,
  endMs: number,
  nowMs: number,
  sent: number,
): number {
  if (nowMs < startMs) return 0;
  // The epsilon absorbs float error: start + 300 − start can be 300.00000000000006,
  // which would schedule a 31st slot in a 30-slot phase.
  const total = Math.ceil((endMs - startMs) / intervalMs - 1e-9);
  const dueByNow = Math.floor((nowMs - startMs) / intervalMs) + 1;
  return Math.max(0, Math.min(total, dueByNow) - sent);
}

export interface OpenLoopOptions {
  requestsPerSecond: number;
  durationMs: number;
  /** Safety bound: past this many outstanding requests the phase stops sending (`overloaded`). */
  maxOutstanding: number;
  signal?: AbortSignal;
}

/**
 * Sends on a fixed schedule whatever the answers do. Latency is measured from each request's
 * scheduled time, not from when it actually went out, so queueing behind slow answers shows
 * up in the percentiles instead of being hidden (no coordinated omission).
 */
export async function runOpenLoop(target: IngestTarget, options: OpenLoopOptions): Promise<PhaseTally> {
  const tally = emptyTally();
  const intervalMs = 1000 / options.requestsPerSecond;
  const started = performance.now();
  const end = started + options.durationMs;
  const outstanding = new Set<Promise<void>>();
  let sent = 0;
  for (;;) {
    if (options.signal?.aborted) break;
    const now = performance.now();
    const due = dueRequests(started, intervalMs, end, now, sent);
    for (let i = 0; i < due; i++) {
      if (outstanding.size >= options.maxOutstanding) {
        tally.overloaded = true;
        break;
      }
      const body = target.bodies[sent % target.bodies.length] as RequestBody;
      const request = postOnce(target, body, started + sent * intervalMs, tally);
      outstanding.add(request);
      void request.finally(() => outstanding.delete(request));
      sent += 1;
    }
    if (tally.overloaded || now >= end) break;
    const nextAt = started + sent * intervalMs;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, nextAt - performance.now())));
  }
  await Promise.all(outstanding);
  tally.elapsedMs = performance.now() - started;
  return tally;
}
