import zlib from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../test/support/eventually.ts';
import { type InjectGateway, injectGateway } from '../../test/support/inject-gateway.ts';

const lines = (count: number, extra = '') =>
  Array.from({ length: count }, (_, i) => `{"host":"edge-${i % 3}","n":${i}${extra}}`).join('\n');

let gateway: InjectGateway | undefined;
afterEach(async () => {
  await gateway?.app.close();
  gateway = undefined;
});

async function post(
  g: InjectGateway,
  repo: string,
  payload: string | Buffer,
  headers: Record<string, string | undefined> = {},
) {
  const response = await g.app.inject({ method: 'POST', url: `/log/repo/${repo}`, payload, headers });
  return { status: response.statusCode, headers: response.headers, body: response.json() };
}

describe('POST /log/repo/:repo', () => {
  it('answers 200 in sync mode once the batch is acknowledged, with counts', async () => {
    gateway = await injectGateway();
    const { status, body } = await post(gateway, 'access', `${lines(3)}\nnot json\n\n[1]\n`);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      repo: 'access',
      revision: 'test-rev',
      received: 5,
      accepted: 3,
      invalid: { total: 2, byReason: { invalid_json: 1, not_an_object: 1 } },
      errors: [
        { line: 4, reason: 'invalid_json' },
        { line: 6, reason: 'not_an_object' },
      ],
    });
    const sent = gateway.engine.batches.flatMap((batch) => batch.messages.map((m) => [batch.topic, m.key]));
    expect(sent).toEqual([
      ['logs.access', 'edge-0'],
      ['logs.access', 'edge-1'],
      ['logs.access', 'edge-2'],
    ]);
    // The valid lines, as they were posted.
    const values = gateway.engine.batches.flatMap((batch) => batch.messages.map((m) => m.value.toString()));
    expect(values).toEqual(lines(3).split('\n'));
  });

  it('answers 202 in async mode without waiting for Kafka', async () => {
    gateway = await injectGateway({}, { autoAck: false });
    const { status, body } = await post(gateway, 'audit', lines(2));
    expect(status).toBe(202);
    expect(body).toMatchObject({ accepted: 2 });
    // Answered before any acknowledgement, the lines are still on their way to the topic.
    const { engine } = gateway;
    await eventually(
      async () => engine.batches.length,
      (count) => count > 0,
      3000,
      5,
    );
    expect(engine.batches.map((batch) => [batch.topic, batch.messages.length])).toEqual([['logs.audit', 2]]);
  });

  it.each([
    { encoding: 'gzip', encode: (b: Buffer) => zlib.gzipSync(b) },
    { encoding: 'deflate', encode: (b: Buffer) => zlib.deflateSync(b) },
    { encoding: 'zstd', encode: (b: Buffer) => zlib.zstdCompressSync(b) },
  ])('accepts a $encoding body', async ({ encoding, encode }) => {
    gateway = await injectGateway();
    const { status, body } = await post(gateway, 'access', encode(Buffer.from(lines(10))), {
      'content-encoding': encoding,
    });
    expect(status).toBe(200);
    expect(body.accepted).toBe(10);
  });

  it.each([
    {
      name: 'unknown repo',
      repo: 'nope',
      payload: lines(1),
      headers: {},
      status: 404,
      code: 'REPO_NOT_FOUND',
    },
    {
      name: 'prototype key as repo',
      repo: '__proto__',
      payload: lines(1),
      headers: {},
      status: 404,
      code: 'REPO_NOT_FOUND',
    },
    {
      name: 'a Content-Type that is not a media type',
      repo: 'access',
      payload: lines(1),
      headers: { 'content-type': ';;;==' },
      status: 415,
      code: 'UNSUPPORTED_MEDIA_TYPE',
    },
    {
      name: 'brotli',
      repo: 'access',
      payload: lines(1),
      headers: { 'content-encoding': 'br' },
      status: 415,
      code: 'UNSUPPORTED_ENCODING',
    },
    {
      name: 'corrupt gzip',
      repo: 'access',
      payload: 'not gzip',
      headers: { 'content-encoding': 'gzip' },
      status: 400,
      code: 'CORRUPT_BODY',
    },
    {
      name: 'oversized body',
      repo: 'access',
      payload: 'x'.repeat(5000),
      headers: {},
      status: 413,
      code: 'BODY_TOO_LARGE',
    },
    {
      name: 'oversized line',
      repo: 'access',
      payload: `{"a":"${'x'.repeat(2000)}"}`,
      headers: {},
      status: 413,
      code: 'LINE_TOO_LARGE',
    },
    {
      name: 'gzip bomb',
      repo: 'access',
      payload: zlib.gzipSync(Buffer.alloc(1 << 20, 0x20)),
      headers: { 'content-encoding': 'gzip' },
      status: 413,
      code: 'DECOMPRESSED_TOO_LARGE',
    },
  ])('answers $status $code for $name', async ({ repo, payload, headers, status, code }) => {
    gateway = await injectGateway({
      server: { bodyLimitBytes: 4096, maxDecompressedBytes: 64 * 1024, maxLineBytes: 1024 },
    });
    const response = await post(gateway, repo, payload, headers);
    expect(response.status).toBe(status);
    expect(response.body.error).toMatchObject({ code, retryable: false });
    expect(response.headers['retry-after']).toBeUndefined();
  });

  it('answers 503 with Retry-After when Kafka does not acknowledge within the deadline', async () => {
    gateway = await injectGateway(
      { server: { requestTimeoutMs: 200, retryAfterSeconds: 3 } },
      { autoAck: false },
    );
    const started = performance.now();
    const response = await post(gateway, 'access', lines(2));
    // Ten times the 200 ms deadline: loose enough for a busy machine, and still far from the
    // test timeout a request that ignored the deadline would run into.
    expect(performance.now() - started).toBeLessThan(2000);
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('3');
    expect(response.body).toMatchObject({
      error: { code: 'DELIVERY_TIMEOUT', retryable: true },
      accepted: 2,
    });
  });

  it('answers 503 when the batch fails', async () => {
    gateway = await injectGateway({}, { autoAck: false });
    const answer = post(gateway, 'access', lines(2));
    // Wait for the batch to reach the engine (a busy machine may take a while), then fail it.
    const { engine } = gateway;
    await eventually(
      async () => engine.batches.length,
      (count) => count > 0,
      3000,
      5,
    );
    engine.batches[0]?.fail(new Error('connection'));
    const response = await answer;
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('KAFKA_UNAVAILABLE');
  });

  it('answers 429 with Retry-After when the pending-bytes cap is reached', async () => {
    gateway = await injectGateway(
      { server: { requestTimeoutMs: 300 }, producer: { maxPendingBytes: 65536 } },
      { autoAck: false },
    );
    // 60 lines of ~180 bytes plus the per-message overhead: one request fits the 64 KiB cap, two do not.
    const big = lines(60, `,"pad":"${'p'.repeat(150)}"`);
    const first = post(gateway, 'access', big);
    const producer = gateway.runtime.producers.get('main');
    await eventually(
      async () => producer?.pendingBytes ?? 0,
      (bytes) => bytes > 0,
      3000,
      5,
    );
    const second = await post(gateway, 'access', big);
    expect(second.status).toBe(429);
    expect(second.body.error.code).toBe('BUFFER_FULL');
    expect(second.headers['retry-after']).toBe('1');
    expect((await first).status).toBe(503);
  });

  it('answers 413 at once for more messages than the producer could ever hold, sending none', async () => {
    gateway = await injectGateway({ server: { maxLineBytes: 1024 }, producer: { maxPendingBytes: 65536 } });
    // 1000 tiny lines (2 KB of payload, about 500 KB of pending messages), then a line over
    // the line limit: the walk stops at the capacity, before it ever reaches that line.
    const tinyLines = Array.from({ length: 1000 }, () => '{}').join('\n');
    const response = await post(gateway, 'access', `${tinyLines}\n{"pad":"${'p'.repeat(2000)}"}`);
    expect(response.status).toBe(413);
    expect(response.body.error.code).toBe('REQUEST_TOO_LARGE_FOR_PRODUCER');
    expect(gateway.engine.batches).toHaveLength(0);
    expect(gateway.runtime.producers.get('main')?.pendingBytes).toBe(0);
  });

  it('answers 503 at once while the producer has never connected', async () => {
    gateway = await injectGateway({}, { hangOnConnect: true });
    const response = await post(gateway, 'access', lines(1));
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('KAFKA_UNAVAILABLE');
    const ready = await gateway.app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json().reasons).toEqual(['producer main not connected']);
  });

  it('answers 503 SHUTTING_DOWN while draining', async () => {
    gateway = await injectGateway();
    gateway.draining = true;
    const response = await post(gateway, 'access', lines(1));
    expect(response.status).toBe(503);
    expect(response.body.error.code).toBe('SHUTTING_DOWN');
  });

  it('echoes a well-formed x-request-id and ignores a malformed one', async () => {
    gateway = await injectGateway();
    const good = await post(gateway, 'access', lines(1), { 'x-request-id': 'abc-123' });
    const bad = await post(gateway, 'access', lines(1), { 'x-request-id': 'a b\tc' });
    expect(good.headers['x-request-id']).toBe('abc-123');
    expect(bad.headers['x-request-id']).not.toBe('a b\tc');
    // Replaced by an id of the gateway's own: every answer carries one to quote.
    expect(bad.headers['x-request-id']).toMatch(/^r[0-9a-z]+$/);
  });
});

describe('operational endpoints', () => {
  it('reports health, readiness, status and metrics', async () => {
    gateway = await injectGateway();
    await post(gateway, 'access', `${lines(2)}\nnope`);
    await post(gateway, 'nope', lines(1));
    expect((await gateway.app.inject('/healthz')).statusCode).toBe(200);
    expect((await gateway.app.inject('/readyz')).json()).toEqual({
      ready: true,
      reasons: [],
      revision: 'test-rev',
    });
    const status = (await gateway.app.inject('/status')).json();
    expect(status).toMatchObject({
      revision: 'test-rev',
      draining: false,
      reload: { lastResult: 'none', rejected: null },
    });
    // Each repo's config digest, as the operator computes it from what it rendered.
    expect(status.repos.map((repo: { name: string; digest: string }) => [repo.name, repo.digest])).toEqual([
      ['access', gateway.runtime.repoDigests.get('access')],
      ['audit', gateway.runtime.repoDigests.get('audit')],
    ]);
    expect(status.repos[0].digest).toMatch(/^[0-9a-f]{16}$/);
    const metrics = (await gateway.app.inject('/metrics')).body;
    expect(metrics).toContain('sluice_lines_received_total{repo="access"} 3');
    expect(metrics).toContain('sluice_lines_accepted_total{repo="access"} 2');
    expect(metrics).toContain('sluice_lines_invalid_total{repo="access",reason="invalid_json"} 1');
    expect(metrics).toContain('sluice_requests_total{repo="_unknown",status="404"} 1');
    expect(metrics).toContain('sluice_produce_latency_seconds_bucket');
  });
});
