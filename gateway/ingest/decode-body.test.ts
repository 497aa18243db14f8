import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeBody, parseContentEncoding, supportedEncodings } from './decode-body.ts';

const text = Buffer.from('{"a":1}\n'.repeat(100));

describe('parseContentEncoding', () => {
  it.each([
    { header: undefined, expected: 'identity' },
    { header: '', expected: 'identity' },
    { header: 'GZIP', expected: 'gzip' },
    { header: ' deflate ', expected: 'deflate' },
    { header: 'br', expected: undefined },
    { header: 'gzip, deflate', expected: undefined },
  ])('$header → $expected', ({ header, expected }) => {
    expect(parseContentEncoding(header)).toBe(expected);
  });

  it('offers zstd (Node 24 zlib has it)', () => {
    expect(supportedEncodings).toContain('zstd');
  });
});

describe('decodeBody', () => {
  const cases = [
    { encoding: 'identity', body: text },
    { encoding: 'gzip', body: zlib.gzipSync(text) },
    { encoding: 'deflate', body: zlib.deflateSync(text) },
    { encoding: 'deflate', body: zlib.deflateRawSync(text) },
    { encoding: 'zstd', body: zlib.zstdCompressSync(text) },
  ];
  it.each(cases)('decodes $encoding', async ({ encoding, body }) => {
    const result = await decodeBody(body, encoding, 1 << 20);
    expect(result.ok && result.body.equals(text)).toBe(true);
  });

  it('stops a gzip bomb at the decompressed limit', async () => {
    const bomb = zlib.gzipSync(Buffer.alloc(50 * 1024 * 1024));
    expect(bomb.length).toBeLessThan(100 * 1024);
    const result = await decodeBody(bomb, 'gzip', 1024 * 1024);
    expect(result).toEqual({
      ok: false,
      failure: expect.objectContaining({ code: 'DECOMPRESSED_TOO_LARGE' }),
    });
  });

  it.each(['gzip', 'deflate', 'zstd'])('reports corrupt %s data as a bad request', async (encoding) => {
    const result = await decodeBody(Buffer.from('definitely not compressed'), encoding, 1024);
    expect(result).toEqual({ ok: false, failure: expect.objectContaining({ code: 'CORRUPT_BODY' }) });
  });
});
