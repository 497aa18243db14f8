import type { Readable } from 'node:stream';
import { failure, type IngestFailure } from '../http/error-catalogue.ts';

export type ReadResult =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly failure: IngestFailure };

/**
 * Reads a request body into one buffer, stopping as soon as it exceeds
 * `limit` bytes so an oversized upload costs at most `limit` of memory. The
 * stream is paused, not destroyed, on overflow so the answer can still be
 * written; the caller then closes the connection. A stream that errors or is
 * aborted yields BAD_REQUEST; the HTTP server's request timeout bounds a slow
 * sender.
 */
const ignore = () => undefined;

export function readBody(stream: Readable, limit: number): Promise<ReadResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: ReadResult) => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.off('aborted', onError);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        stream.pause();
        finish({ ok: false, failure: failure('BODY_TOO_LARGE', `body exceeds ${limit} bytes`) });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () =>
      finish({ ok: true, body: chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size) });
    const onError = () =>
      finish({ ok: false, failure: failure('BAD_REQUEST', 'request body could not be read') });
    // Stays attached after we stop listening: a late socket error must not crash the process.
    stream.on('error', ignore);
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onError);
    stream.on('aborted', onError);
  });
}
