import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { Pool } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { dueRequests, type IngestTarget, runClosedLoop, runOpenLoop } from './load-generator.ts';

describe('dueRequests', () => {
  // 10 ms apart from t=1000 until t=1100: requests at 1000, 1010, …, 1090.
  it.each([
    { now: 999, sent: 0, expected: 0 },
    { now: 1000, sent: 0, expected: 1 },
    { now: 1009.9, sent: 1, expected: 0 },
    { now: 1035, sent: 1, expected: 3 },
    { now: 1035, sent: 4, expected: 0 },
    { now: 5000, sent: 0, expected: 10 },
    { now: 5000, sent: 10, expected: 0 },
  ])('at $now with $sent sent: $expected due', ({ now, sent, expected }) => {
    expect(dueRequests(1000, 10, 1100, now, sent)).toBe(expected);
  });

  it('counts the slots of a phase whose end carries float error', () => {
    // (1000.84 + 300) − 1000.84 is 300.0000000000001: still 30 slots of 10 ms, not 31.
    const start = 1000.84;
    expect(dueRequests(start, 10, start + 300, 1e9, 0)).toBe(30);
  });

  it('never schedules more than the phase holds, however the clock jumps', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.1, max: 1000, noNaN: true }),
        fc.double({ min: 1, max: 10_000, noNaN: true }),
        fc.array(fc.double({ min: 0, max: 20_000, noNaN: true }), { maxLength: 50 }),
        (interval, duration, jumps) => {
          let sent = 0;
          let now = 0;
          for (const jump of jumps) {
            now += jump;
            const due = dueRequests(0, interval, duration, now, sent);
            expect(due).toBeGreaterThanOrEqual(0);
            sent += due;
          }
          expect(sent).toBeLessThanOrEqual(Math.ceil(duration / interval));
        },
      ),
    );
  });
});

describe('load phases against a stub gateway', () => {
  let server: Server | undefined;
  let pool: Pool | undefined;
  afterEach(async () => {
    await pool?.close();
    pool = undefined;
    const open = server;
    server = undefined;
    if (open) await new Promise((resolve) => open.close(resolve));
  });

  /** Answers like the gateway: 200 with the line count, except for bodies starting with `fail`. */
  async function stub(): Promise<IngestTarget> {
    server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const body = Buffer.concat(chunks).toString();
        if (body.startsWith('fail')) {
          response.writeHead(503).end('{"error":{"code":"KAFKA_UNAVAILABLE"}}');
          return;
        }
        const lines = body.split('\n').filter((line) => line !== '').length;
        response
          .writeHead(200, { 'content-type': 'application/json' })
          .end(JSON.stringify({ accepted: lines }));
      });
    });
    await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    pool = new Pool(`http://127.0.0.1:${port}`, { connections: 4 });
    return {
      pool,
      path: '/log/repo/access',
      bodies: [
        { data: Buffer.from('{"a":1}\n{"a":2}\n'), lines: 2 },
        { data: Buffer.from('fail\n'), lines: 1 },
      ],
    };
  }

  it('closed loop tallies acknowledged lines, bytes and failures by status', async () => {
    const target = await stub();
    const tally = await runClosedLoop(target, { concurrency: 4, durationMs: 200 });
    // Every sender sends until the time is up: at least one request each (how many more
    // depends on the machine's load, which a unit test must not assert).
    expect(tally.requests).toBeGreaterThanOrEqual(4);
    expect(tally.requests).toBe(tally.ok + (tally.failures['503'] ?? 0));
    expect(tally.linesAcked).toBe(tally.ok * 2);
    expect(tally.bytesAcked).toBe(tally.ok * 16);
    expect(tally.latenciesMs).toHaveLength(tally.requests);
    expect(tally.elapsedMs).toBeGreaterThanOrEqual(200);
  });

  it('open loop sends on schedule', async () => {
    const target = await stub();
    const tally = await runOpenLoop(target, { requestsPerSecond: 100, durationMs: 300, maxOutstanding: 100 });
    expect(tally.requests).toBe(30);
    expect(tally.ok).toBe(15);
    expect(tally.failures).toEqual({ '503': 15 });
    expect(tally.overloaded).toBe(false);
  });

  it('counts connection failures by error code', async () => {
    // Nothing listens on port 1 of the loopback interface.
    pool = new Pool('http://127.0.0.1:1', { connections: 1 });
    const target: IngestTarget = {
      pool,
      path: '/log/repo/access',
      bodies: [{ data: Buffer.from('{}\n'), lines: 1 }],
    };
    const tally = await runClosedLoop(target, { concurrency: 1, durationMs: 50 });
    expect(tally.ok).toBe(0);
    expect(Object.keys(tally.failures)).toEqual(['ECONNREFUSED']);
  });
});
