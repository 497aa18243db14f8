import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { type InjectGateway, injectGateway } from '../../test/support/inject-gateway.ts';

// Per-repo limits under the server-wide ones: the tight repo refuses what the open one,
// on the same server, accepts.

const lines = (count: number, pad = 0) =>
  Array.from({ length: count }, (_, i) => `{"n":${i},"p":"${'x'.repeat(pad)}"}`).join('\n');

let gateway: InjectGateway | undefined;
afterEach(async () => {
  await gateway?.app.close();
  gateway = undefined;
});

const repos = {
  open: { producer: 'main', topic: 'logs.open' },
  tight: {
    producer: 'main',
    topic: 'logs.tight',
    limits: { bodyLimitBytes: 2048, maxDecompressedBytes: 4096, maxLineBytes: 256, maxLinesPerRequest: 10 },
  },
};

describe('per-repo limits', () => {
  it.each([
    { name: 'too many lines', payload: lines(11), headers: {}, code: 'TOO_MANY_LINES' },
    { name: 'a long line', payload: lines(1, 300), headers: {}, code: 'LINE_TOO_LARGE' },
    { name: 'a large body', payload: lines(5, 500), headers: {}, code: 'BODY_TOO_LARGE' },
    {
      name: 'a large decompressed body',
      payload: zlib.gzipSync(lines(30, 150)),
      headers: { 'content-encoding': 'gzip' },
      code: 'DECOMPRESSED_TOO_LARGE',
    },
  ])('$name: the tight repo answers 413 $code, the open one 200', async ({ payload, headers, code }) => {
    gateway = await injectGateway({ repos });
    const tight = await gateway.app.inject({ method: 'POST', url: '/log/repo/tight', payload, headers });
    expect(tight.statusCode).toBe(413);
    expect(tight.json().error).toMatchObject({ code, retryable: false });
    expect(tight.headers['retry-after']).toBeUndefined();
    const open = await gateway.app.inject({ method: 'POST', url: '/log/repo/open', payload, headers });
    expect(open.statusCode).toBe(200);
  });

  it('produces nothing of a request with too many lines', async () => {
    gateway = await injectGateway({ repos });
    const response = await gateway.app.inject({ method: 'POST', url: '/log/repo/tight', payload: lines(50) });
    expect(response.statusCode).toBe(413);
    expect(gateway.engine.batches).toHaveLength(0);
  });

  it('takes exactly the limit', async () => {
    gateway = await injectGateway({ repos });
    const response = await gateway.app.inject({
      method: 'POST',
      url: '/log/repo/tight',
      payload: `${lines(10)}\n\n\n`,
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toMatchObject({ received: 10, accepted: 10 });
  });

  it('applies the server-wide line count to every repo', async () => {
    gateway = await injectGateway({ repos, server: { maxLinesPerRequest: 20 } });
    const response = await gateway.app.inject({ method: 'POST', url: '/log/repo/open', payload: lines(21) });
    expect(response.statusCode).toBe(413);
    expect(response.json().error.code).toBe('TOO_MANY_LINES');
  });
});
