import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { validateConfig } from '../config/parse-config.ts';
import { type GatewayServer, startGateway } from './server.ts';

// Regression: Node's headersTimeout starts with a request's first byte, so a connection
// that never sent one was held forever; 2000 of them stayed open indefinitely in
// test/faults/gateway/hostile-input.test.ts. Such a connection now gets the headers
// deadline too, while a connection that sends its request in time is served.

describe('connections that never send a byte', () => {
  let dir: string | undefined;
  let gateway: GatewayServer | undefined;
  afterAll(async () => {
    await gateway?.shutdown();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('are closed after the headers deadline; a prompt request on another connection is served', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-idle-'));
    const parsed = validateConfig({
      revision: 'idle',
      producers: { main: { type: 'file', path: join(dir, 'records.jsonl') } },
      repos: { open: { producer: 'main', topic: 'logs.open' } },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    gateway = await startGateway(parsed.config, {
      logger: pino({ level: 'silent' }),
      host: '127.0.0.1',
      port: 0,
    });
    await gateway.connected;
    // Shortened for the test; the timer reads the deadline when a connection arrives.
    gateway.app.server.headersTimeout = 300;
    const { hostname, port } = new URL(gateway.url);
    const started = performance.now();
    const idle = connect(Number(port), hostname);
    idle.on('error', () => undefined);
    const closedAfter = new Promise<number>((resolve) =>
      idle.on('close', () => resolve(performance.now() - started)),
    );
    const answer = await fetch(`${gateway.url}/healthz`);
    expect(answer.status).toBe(200);
    const elapsed = await Promise.race([
      closedAfter,
      new Promise<number>((resolve) => setTimeout(() => resolve(-1), 5000)),
    ]);
    idle.destroy();
    expect(elapsed).toBeGreaterThanOrEqual(250);
    expect(elapsed).toBeLessThan(3000);
  });
});
