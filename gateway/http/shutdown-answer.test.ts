import { type AddressInfo, connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { injectGateway } from '../../test/support/inject-gateway.ts';

// Regression: a request that arrives on a kept-alive connection while the server closes
// must get the documented SHUTTING_DOWN answer (503, Retry-After, coded body), not
// Fastify's bare 503 without Retry-After (its return503OnClosing). Found by
// test/faults/gateway/sigterm-under-load.test.ts.

const post = (body: string) =>
  `POST /log/repo/access HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-ndjson\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;

describe('ingest while the server is closing', () => {
  it('answers 503 SHUTTING_DOWN with Retry-After on a kept-alive connection', async () => {
    const harness = await injectGateway({}, { autoAck: false });
    await harness.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = harness.app.server.address() as AddressInfo;
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      received += chunk;
    });
    const ended = new Promise<void>((resolve) => socket.on('close', () => resolve()));
    socket.write(post('{"host":"a"}\n'));
    // The first request is held in flight (the engine has not acknowledged), so the
    // connection is busy, not idle, when the server starts closing.
    while (harness.engine.batches.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    harness.draining = true;
    const closing = harness.app.close();
    socket.write(post('{"host":"b"}\n'));
    await new Promise((resolve) => setTimeout(resolve, 50));
    harness.engine.batches[0]?.ack();
    await ended;
    await closing;

    const answers = received.split(/(?=HTTP\/1\.1 )/);
    expect(answers).toHaveLength(2);
    expect(answers[0]).toMatch(/^HTTP\/1\.1 200 /);
    expect(answers[1]).toMatch(/^HTTP\/1\.1 503 /);
    expect(answers[1]).toMatch(/\r\nretry-after: 1\r\n/i);
    expect(answers[1]).toContain('"code":"SHUTTING_DOWN"');
  });
});
