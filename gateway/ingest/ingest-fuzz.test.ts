import { isUtf8 } from 'node:buffer';
import zlib from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { injectGateway } from '../../test/support/inject-gateway.ts';
import { IngestErrors } from '../http/error-catalogue.ts';
import { compileReadOnlyDecoder, decodeJsonObject } from '../pipeline/decode-line.ts';
import { decodeBody, parseContentEncoding, supportedEncodings } from './decode-body.ts';
import { forEachLine } from './split-lines.ts';

// A fuzz pass over the ingest edge with arbitrary bytes: the line splitter, the body
// decoder, the line decoder and the whole request handler (through the app, with an
// in-memory engine) never throw, and every answer is one the README documents. Run
// counts are bounded so the file stays well under the unit project's time budget.

const LF = 0x0a;

/** Bytes with many line breaks, blanks and BOMs mixed into arbitrary data. */
const bodyBytes = fc
  .array(
    fc.oneof(
      { weight: 4, arbitrary: fc.uint8Array({ maxLength: 40 }) },
      { weight: 2, arbitrary: fc.constantFrom('\n', '\r\n', '\r', ' ', '\t', '\ufeff', '{}').map(bytesOf) },
      { weight: 2, arbitrary: fc.json().map(bytesOf) },
    ),
    { maxLength: 30 },
  )
  .map((parts) => Buffer.concat(parts.map((part) => Buffer.from(part))));

function bytesOf(text: string): Buffer {
  return Buffer.from(text, 'utf8');
}

describe('forEachLine over arbitrary bytes', () => {
  it('never throws; lines are LF-free non-blank views within the limit, in order, numbered upwards', () => {
    fc.assert(
      fc.property(bodyBytes, fc.integer({ min: 1, max: 64 }), (body, max) => {
        const seen: Array<{ line: Buffer; lineNumber: number }> = [];
        const result = forEachLine(body, max, (line, lineNumber) => seen.push({ line, lineNumber }));
        let previous = 0;
        for (const { line, lineNumber } of seen) {
          expect(line.includes(LF)).toBe(false);
          expect(line.length).toBeLessThanOrEqual(max);
          expect(line.length).toBeGreaterThan(0);
          expect(lineNumber).toBeGreaterThan(previous);
          previous = lineNumber;
        }
        if (result.ok) expect(result.lines).toBe(seen.length);
        else expect(result.lineNumber).toBeGreaterThan(previous);
      }),
      { numRuns: 500 },
    );
  });

  it('with no limit in reach, every non-blank byte of the body reaches exactly one line', () => {
    fc.assert(
      fc.property(bodyBytes, (body) => {
        const lines: Buffer[] = [];
        const result = forEachLine(body, body.length + 1, (line) => lines.push(line));
        expect(result.ok).toBe(true);
        const bom = body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
        const rest = bom ? body.subarray(3) : body;
        // Dropping terminators and blank bytes from both sides leaves the same bytes.
        const significant = (bytes: Buffer) =>
          Buffer.from(
            [...bytes].filter((byte) => byte !== LF && byte !== 0x0d && byte !== 0x20 && byte !== 0x09),
          );
        expect(significant(Buffer.concat(lines)).equals(significant(rest))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('decodeJsonObject over arbitrary bytes', () => {
  const adversarial = fc.oneof(
    fc.uint8Array({ maxLength: 100 }).map((bytes) => Buffer.from(bytes)),
    fc.json().map(bytesOf),
    fc.string({ unit: 'binary' }).map(bytesOf),
    fc
      .integer({ min: 1, max: 20_000 })
      .map((depth) => bytesOf(`{"a":${'['.repeat(depth)}${']'.repeat(depth)}}`)),
    fc
      .integer({ min: 1, max: 20_000 })
      .map((depth) => bytesOf(`${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`)),
    fc
      .constantFrom(
        '{"n":1e400}',
        '{"n":-0}',
        '{"n":12345678901234567890}',
        '{"__proto__":{"polluted":1}}',
        '{"a":"\\u0000"}',
        '{"a":"\\ud800"}',
        '{"a":1,"a":2}',
        '{"a":1}garbage',
        '{"a":1',
      )
      .map(bytesOf),
  );

  it('never throws; yields an object or a documented invalid reason', () => {
    fc.assert(
      fc.property(adversarial, (line) => {
        const decoded = decodeJsonObject(line);
        if (decoded.kind === undefined) {
          expect(isUtf8(line)).toBe(true);
          expect(typeof decoded.record).toBe('object');
          expect(Array.isArray(decoded.record)).toBe(false);
        } else {
          expect(['invalid_utf8', 'invalid_json', 'not_an_object']).toContain(decoded.reason);
        }
      }),
      { numRuns: 400 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  // Pipelines that change no record and read no field decode with a grammar scan instead:
  // it must accept the same lines and refuse the others with the very same outcome.
  it('the read-only decoder answers as decodeJsonObject does, on the same bytes', () => {
    const readOnly = compileReadOnlyDecoder(new Set());
    fc.assert(
      fc.property(adversarial, fc.boolean(), (line, wholeBodyChecked) => {
        const utf8Checked = wholeBodyChecked && isUtf8(line);
        const reference = decodeJsonObject(line, utf8Checked);
        const decoded = readOnly(line, utf8Checked);
        if (reference.kind === undefined) expect(decoded).toEqual({ kind: undefined, record: {} });
        else expect(decoded).toBe(reference);
      }),
      { numRuns: 400 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('decodeBody over arbitrary bytes and encodings', () => {
  const compress: Record<string, (input: Buffer) => Buffer> = {
    gzip: (input) => zlib.gzipSync(input),
    'x-gzip': (input) => zlib.gzipSync(input),
    deflate: (input) => zlib.deflateSync(input),
    identity: (input) => input,
    ...(supportedEncodings.includes('zstd')
      ? {
          zstd: (input: Buffer) =>
            (zlib as unknown as { zstdCompressSync: (b: Buffer) => Buffer }).zstdCompressSync(input),
        }
      : {}),
  };
  const encodings = Object.keys(compress);

  it('never rejects; garbage is CORRUPT_BODY, never more than the cap comes out', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 300 }).map((bytes) => Buffer.from(bytes)),
        fc.constantFrom(...encodings),
        fc.integer({ min: 1, max: 400 }),
        async (body, encoding, cap) => {
          const result = await decodeBody(body, encoding, cap);
          if (result.ok) {
            if (encoding !== 'identity') expect(result.body.length).toBeLessThanOrEqual(cap);
          } else {
            expect(['CORRUPT_BODY', 'DECOMPRESSED_TOO_LARGE']).toContain(result.failure.code);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips compressed payloads within the cap, and refuses them beyond it', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 2000 }).map((bytes) => Buffer.from(bytes)),
        fc.constantFrom(...encodings.filter((name) => name !== 'identity')),
        fc.integer({ min: 1, max: 2500 }),
        async (payload, encoding, cap) => {
          const compressed = (compress[encoding] as (input: Buffer) => Buffer)(payload);
          const result = await decodeBody(compressed, encoding, cap);
          if (payload.length <= cap) {
            expect(result.ok && result.body.equals(payload)).toBe(true);
          } else {
            expect(result).toMatchObject({ ok: false, failure: { code: 'DECOMPRESSED_TOO_LARGE' } });
          }
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a truncated compressed body is CORRUPT_BODY, never a partial success', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 500 }).map((bytes) => Buffer.from(bytes)),
        fc.constantFrom('gzip', 'deflate', ...(supportedEncodings.includes('zstd') ? ['zstd'] : [])),
        fc.integer({ min: 1, max: 8 }),
        async (payload, encoding, cut) => {
          const compressed = (compress[encoding] as (input: Buffer) => Buffer)(payload);
          const truncated = compressed.subarray(0, Math.max(0, compressed.length - cut));
          const result = await decodeBody(truncated, encoding, 10_000);
          // A deflate stream can end exactly before the adler32 trailer; what comes out is never
          // different from the original.
          if (result.ok) expect(payload.subarray(0, result.body.length).equals(result.body)).toBe(true);
          else expect(result.failure.code).toBe('CORRUPT_BODY');
        },
      ),
      { numRuns: 200 },
    );
  });

  it('parseContentEncoding maps any header to a supported encoding or undefined', () => {
    fc.assert(
      fc.property(fc.option(fc.string({ unit: 'binary' })), (header) => {
        const parsed = parseContentEncoding(header ?? undefined);
        if (parsed !== undefined) expect(supportedEncodings).toContain(parsed);
      }),
      { numRuns: 500 },
    );
  });
});

describe('POST /log/repo/{repo} over arbitrary requests', () => {
  const documented = new Set<number>([200, 202, ...Object.values(IngestErrors).map((entry) => entry.status)]);
  const request = fc.record({
    repo: fc.constantFrom('access', 'audit', 'nope', '__proto__', 'constructor'),
    body: fc.oneof(
      bodyBytes,
      fc.uint8Array({ maxLength: 1500 }).map((bytes) => Buffer.from(bytes)),
      bodyBytes.map((body) => zlib.gzipSync(body)),
    ),
    encoding: fc.option(
      fc.constantFrom('gzip', 'deflate', 'zstd', 'identity', 'br', 'GZIP', ' gzip ', 'x-gzip'),
    ),
  });

  it('answers every request with a documented status and a JSON body; lines add up', async () => {
    const harness = await injectGateway({
      server: { bodyLimitBytes: 1024, maxDecompressedBytes: 2048, maxLineBytes: 64 },
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ repo, body, encoding }) => {
        const response = await harness.app.inject({
          method: 'POST',
          url: `/log/repo/${encodeURIComponent(repo)}`,
          payload: body,
          headers: {
            'content-type': 'application/x-ndjson',
            ...(encoding === null ? {} : { 'content-encoding': encoding }),
          },
        });
        expect(documented).toContain(response.statusCode);
        const answer = response.json() as Record<string, unknown> & {
          error?: { code: string; retryable: boolean };
          received?: number;
          accepted?: number;
          dropped?: { total: number };
          invalid?: { total: number };
        };
        if (response.statusCode >= 400) {
          expect(Object.keys(IngestErrors)).toContain(answer.error?.code);
          expect(response.headers['retry-after'] !== undefined).toBe(answer.error?.retryable === true);
        } else {
          const { received = -1, accepted = 0, dropped, invalid } = answer;
          expect(accepted + (dropped?.total ?? 0) + (invalid?.total ?? 0)).toBe(received);
        }
      }),
      { numRuns: 300 },
    );
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    await harness.app.close();
  });
});
