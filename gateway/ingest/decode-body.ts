import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { failure, type IngestFailure } from '../http/error-catalogue.ts';

type Inflate = (input: Buffer, options: zlib.ZlibOptions) => Promise<Buffer>;

const gunzip = promisify(zlib.gunzip) as Inflate;
const inflate = promisify(zlib.inflate) as Inflate;
const inflateRaw = promisify(zlib.inflateRaw) as Inflate;
const zstdDecompress: Inflate | undefined =
  typeof (zlib as { zstdDecompress?: unknown }).zstdDecompress === 'function'
    ? (promisify((zlib as unknown as { zstdDecompress: typeof zlib.gunzip }).zstdDecompress) as Inflate)
    : undefined;

/** Content-Encoding values this runtime can decode (zstd only where Node's zlib has it). */
export const supportedEncodings: readonly string[] = [
  'identity',
  'gzip',
  'x-gzip',
  'deflate',
  ...(zstdDecompress ? ['zstd'] : []),
];

export type DecodeResult =
  | { readonly ok: true; readonly body: Buffer }
  | { readonly ok: false; readonly failure: IngestFailure };

/** Normalises a Content-Encoding header; undefined when it names something we cannot decode. */
export function parseContentEncoding(header: string | undefined): string | undefined {
  const value = (header ?? 'identity').trim().toLowerCase() || 'identity';
  return supportedEncodings.includes(value) ? value : undefined;
}

/**
 * Decompresses a request body, never producing more than `maxBytes`: zlib stops
 * at the cap, so a compression bomb costs at most `maxBytes` of memory.
 */
export async function decodeBody(body: Buffer, encoding: string, maxBytes: number): Promise<DecodeResult> {
  if (encoding === 'identity') return { ok: true, body };
  const options = { maxOutputLength: maxBytes };
  try {
    switch (encoding) {
      case 'gzip':
      case 'x-gzip':
        return { ok: true, body: await gunzip(body, options) };
      case 'deflate':
        return { ok: true, body: await inflateDeflate(body, options) };
      case 'zstd':
        if (zstdDecompress) return { ok: true, body: await zstdDecompress(body, options) };
        break;
    }
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      return {
        ok: false,
        failure: failure('DECOMPRESSED_TOO_LARGE', `decompressed body exceeds ${maxBytes} bytes`),
      };
    }
    return { ok: false, failure: failure('CORRUPT_BODY', `body is not valid ${encoding} data`) };
  }
  return { ok: false, failure: failure('UNSUPPORTED_ENCODING') };
}

// HTTP "deflate" means zlib-wrapped data, but many clients send raw deflate; accept both.
async function inflateDeflate(body: Buffer, options: zlib.ZlibOptions): Promise<Buffer> {
  const [cmf = 0, flg = 0] = body;
  const looksZlibWrapped = body.length >= 2 && (cmf & 0x0f) === 8 && ((cmf << 8) | flg) % 31 === 0;
  return looksZlibWrapped ? inflate(body, options) : inflateRaw(body, options);
}
