import { describe, expect, inject, it } from 'vitest';
import { createTopic, uniqueTopicName } from '../../infra/kafka-admin.ts';
import { kafkaEngines } from '../../support/kafka-engines.ts';
import { notFound, readBack, sleep, startChildGateway, startLoad } from './fault-kit.ts';

// A real gateway process (`node gateway/main.ts`) gets SIGTERM in the middle of sustained
// sync load. Every request in flight at the signal finishes (200) or fails retryably (503
// with Retry-After); later ones get 503 or a refused connection once the listener closed;
// no request hangs; every line answered 200 is in Kafka; the process exits 0 within its
// shutdown bound. (Moved here from test/integration/graceful-shutdown.test.ts.)

const brokers = inject('kafkaBrokers');
const SHUTDOWN_TIMEOUT_MS = 15_000;
const REQUEST_TIMEOUT_MS = 10_000;

describe.each(kafkaEngines())('SIGTERM under load (%s engine)', (engine) => {
  it('loses no acknowledged line, lets in-flight requests finish, exits within the grace period', async () => {
    const topic = uniqueTopicName(`faults-sigterm-${engine}`);
    await createTopic(brokers, topic, 3);
    const gateway = await startChildGateway(
      [
        'revision: sigterm-test',
        `server: { host: 127.0.0.1, shutdownTimeoutMs: ${SHUTDOWN_TIMEOUT_MS}, requestTimeoutMs: ${REQUEST_TIMEOUT_MS} }`,
        'producers:',
        `  main: { type: kafka, engine: ${engine}, brokers: [${brokers}], compression: lz4, batch: { lingerMs: 10 } }`,
        'repos:',
        `  access: { producer: main, topic: ${topic}, mode: sync }`,
      ].join('\n'),
    );
    const load = startLoad(
      {
        url: gateway.url,
        repo: 'access',
        workers: 8,
        linesPerRequest: 20,
        padBytes: 200,
        clientTimeoutMs: REQUEST_TIMEOUT_MS + 5000,
      },
      new Set([503]),
    );
    // 1.5 s of load before the signal (a duration, not a wait for an event).
    await sleep(1500);
    const beforeSignal = load.stats.acknowledged.length;
    const signalledAt = performance.now();
    const exit = await gateway.stop(SHUTDOWN_TIMEOUT_MS + 10_000);
    const exitMs = performance.now() - signalledAt;
    const stats = await load.stop();

    const read = await readBack(brokers, [topic]);
    const missing = notFound(stats, read);
    console.log(
      JSON.stringify({
        test: 'sigterm-under-load',
        engine,
        requests: stats.requests,
        sent: stats.sent,
        acknowledged: stats.acknowledged.length,
        acknowledgedAfterSignal: stats.acknowledged.length - beforeSignal,
        found: read.found.size,
        duplicates: read.duplicates,
        missing: missing.length,
        statuses: stats.statuses,
        connectionErrors: stats.connectionErrors,
        clientTimeouts: stats.clientTimeouts,
        exitCode: exit.code,
        exitMs: Math.round(exitMs),
      }),
    );

    expect(exit).toEqual({ code: 0, signal: null });
    expect(exitMs).toBeLessThan(SHUTDOWN_TIMEOUT_MS);
    expect(beforeSignal).toBeGreaterThan(100);
    expect(missing).toEqual([]);
    expect(read.malformed).toBe(0);
    expect(stats.clientTimeouts).toBe(0);
    expect(stats.violations.slice(0, 5)).toEqual([]);
  });
});
