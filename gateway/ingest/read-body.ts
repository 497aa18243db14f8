import type { Readable } from 'node:stream';
import { failure, type IngestFailure } from '../http/error-catalogue.ts';

export type ReadResult =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly failure: IngestFailure; readonly drained: boolean };

/**
 * How much of a refused body the gateway reads and throws away before it answers. A sender
 * still writing when the answer goes out and the socket closes gets a TCP reset, which can
 * destroy the answer before the sender reads it; draining first lets it read a clean 413.
 * Bounded in bytes and time, never in memory: nothing drained is kept.
 */
export interface DrainBounds {
  readonly maxBytes: number;
  readonly maxMs: number;
}
export const DRAIN_BOUNDS: DrainBounds = { maxBytes: 64 * 1024 * 1024, maxMs: 2_000 };

const ignore = () => undefined;

/**
 * Reads and discards the rest of `stream`; resolves true when it ended within `bounds`,
 * false when the bounds ran out or the stream failed (the stream is then paused and the
 * caller closes the connection).
 */
export function drainBody(stream: Readable, bounds: DrainBounds = DRAIN_BOUNDS): Promise<boolean> {
  if (stream.readableEnded) return Promise.resolve(true);
  return new Promise((resolve) => {
    let drained = 0;
    const finish = (ended: boolean) => {
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onFailure);
      stream.off('aborted', onFailure);
      if (!ended) stream.pause();
      resolve(ended);
    };
    const onData = (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > bounds.maxBytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onFailure = () => finish(false);
    const timer = setTimeout(onFailure, bounds.maxMs);
    stream.on('error', ignore);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onFailure);
    stream.on('aborted', onFailure);
    stream.resume();
  });
}

/**
 * Reads a request body into one buffer, keeping at most `limit` bytes: past the limit the
 * rest is drained within `bounds` (see DrainBounds) and the answer is BODY_TOO_LARGE. A
 * stream that errors or is aborted yields BAD_REQUEST; the HTTP server's request timeout
 * bounds a slow sender.
 */
export function readBody(
  stream: Readable,
  limit: number,
  bounds: DrainBounds = DRAIN_BOUNDS,
): Promise<ReadResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const detach = () => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('aborted', onError);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        detach();
        chunks.length = 0;
        const tooLarge = failure('BODY_TOO_LARGE', `body exceeds ${limit} bytes`);
        drainBody(stream, bounds).then((drained) => resolve({ ok: false, failure: tooLarge, drained }));
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      detach();
      resolve({ ok: true, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) });
    };
    const onError = () => {
      detach();
      resolve({
        ok: false,
        failure: failure('BAD_REQUEST', 'request body could not be read'),
        drained: false,
      });
    };
    // Stays attached after we stop listening: a late socket error must not crash the process.
    stream.on('error', ignore);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('aborted', onError);
  });
}
