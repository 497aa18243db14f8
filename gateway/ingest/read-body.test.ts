import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { drainBody, readBody } from './read-body.ts';

const chunks = (count: number, size = 1024) =>
  Readable.from(
    Array.from({ length: count }, () => Buffer.alloc(size, 0x61)),
    { objectMode: false },
  );

/** A body that never ends: a sender still uploading. */
const endless = () =>
  new Readable({
    read() {
      setImmediate(() => this.push(Buffer.alloc(1024, 0x62)));
    },
  });

describe('readBody', () => {
  it('returns the whole body within the limit', async () => {
    const result = await readBody(chunks(3), 4096);
    expect(result).toMatchObject({ ok: true });
    expect(result.ok && result.body.length).toBe(3072);
  });

  it.each([
    { name: 'drains a body that ends within the bounds', body: () => chunks(20), drained: true },
    { name: 'gives up on a body that outruns the byte bound', body: endless, drained: false },
  ])('answers BODY_TOO_LARGE past the limit and $name', async ({ body, drained }) => {
    const result = await readBody(body(), 4096, { maxBytes: 64 * 1024, maxMs: 5_000 });
    expect(result).toEqual({
      ok: false,
      failure: { code: 'BODY_TOO_LARGE', detail: 'body exceeds 4096 bytes' },
      drained,
    });
  });
});

describe('drainBody', () => {
  it('resolves true once the stream ended', async () => {
    const stream = chunks(10);
    expect(await drainBody(stream, { maxBytes: 1 << 20, maxMs: 5_000 })).toBe(true);
    expect(stream.readableEnded).toBe(true);
  });

  it('stops at the time bound and leaves the stream paused', async () => {
    const stream = new Readable({ read() {} });
    stream.push(Buffer.alloc(10));
    const started = performance.now();
    expect(await drainBody(stream, { maxBytes: 1 << 20, maxMs: 50 })).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(stream.isPaused()).toBe(true);
  });

  it('stops at the byte bound', async () => {
    expect(await drainBody(endless(), { maxBytes: 10 * 1024, maxMs: 5_000 })).toBe(false);
  });
});
