import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTopic, uniqueTopicName } from '../../infra/kafka-admin.ts';
import { connectKafkaControl } from '../../infra/kafka-control.ts';
import { kafkaEngines } from '../../support/kafka-engines.ts';
import {
  type ChildGateway,
  mib,
  notFound,
  PEAK_RSS_BOUND,
  readBack,
  samplePendingBytes,
  sleep,
  startChildGateway,
  startLoad,
  untilSuccessAfter,
} from './fault-kit.ts';

// The broker is frozen (SIGSTOP: its sockets stay open, nothing is answered) for 10 s under
// sync load, then thawed. A gateway process (so its RSS is its own) must keep answering
// within requestTimeoutMs (503 DELIVERY_TIMEOUT, or 429 once the pending-bytes cap is
// reached), never hold more than maxPendingBytes, recover by itself, and every 200 must be
// in Kafka.

const brokers = inject('kafkaBrokers');
const REQUEST_TIMEOUT_MS = 3000;
const MAX_PENDING_BYTES = 512 * 1024;
const PAUSE_MS = 10_000;

describe.each(kafkaEngines())('slow broker: SIGSTOP for 10 s under sync load (%s engine)', (engine) => {
  const control = connectKafkaControl(inject('kafkaControl'));
  let gateway: ChildGateway | undefined;
  afterAll(async () => {
    await control.ensureRunning();
    await gateway?.stop();
  });

  it('bounds latency and pending bytes, recovers, and every 200 is in Kafka', async () => {
    const topic = uniqueTopicName(`faults-slow-${engine}`);
    await createTopic(brokers, topic, 2);
    gateway = await startChildGateway(
      [
        'revision: slow-broker',
        `server: { host: 127.0.0.1, requestTimeoutMs: ${REQUEST_TIMEOUT_MS}, retryAfterSeconds: 1 }`,
        'producers:',
        `  main: { type: kafka, engine: ${engine}, brokers: [${brokers}], requestTimeoutMs: 2000, retries: 2, maxPendingBytes: ${MAX_PENDING_BYTES}, batch: { lingerMs: 2 } }`,
        'repos:',
        `  access: { producer: main, topic: ${topic}, mode: sync }`,
      ].join('\n'),
    );
    const url = gateway.url;
    // 8 workers × 30 lines × ~1.5 KiB counted (payload plus the per-message overhead) fit
    // under the 512 KiB cap while the broker answers; frozen, the unsettled batches of
    // timed-out requests pile up against it.
    const load = startLoad({
      url,
      repo: 'access',
      workers: 8,
      linesPerRequest: 30,
      padBytes: 1000,
      clientTimeoutMs: REQUEST_TIMEOUT_MS + 5000,
    });
    const pending = samplePendingBytes(url, 'main', 100);

    await sleep(2000);
    await control.pause();
    await sleep(PAUSE_MS);
    const duringPause = { ...load.stats.statuses };
    await control.resume();
    const resumedAt = performance.now();
    await untilSuccessAfter(load, resumedAt);
    const recoveryMs = load.stats.lastSuccessAt - resumedAt;
    await sleep(2000);
    const stats = await load.stop();
    const maxPending = await pending.stop();
    const peakRss = await gateway.peakRssBytes();

    const read = await readBack(brokers, [topic]);
    const missing = notFound(stats, read);
    console.log(
      JSON.stringify({
        test: 'slow-broker',
        engine,
        pauseMs: PAUSE_MS,
        requests: stats.requests,
        sent: stats.sent,
        acknowledged: stats.acknowledged.length,
        found: read.found.size,
        duplicates: read.duplicates,
        missing: missing.length,
        statuses: stats.statuses,
        maxLatencyMs: Math.round(stats.maxLatencyMs),
        clientTimeouts: stats.clientTimeouts,
        maxPendingKiB: Math.round(maxPending / 1024),
        pendingCapKiB: MAX_PENDING_BYTES / 1024,
        startRssMiB: mib(gateway.startRssBytes),
        peakRssMiB: mib(peakRss),
        recoveryAfterResumeMs: Math.round(recoveryMs),
      }),
    );

    expect(missing).toEqual([]);
    expect(read.malformed).toBe(0);
    expect(stats.clientTimeouts).toBe(0);
    expect(stats.connectionErrors).toBe(0);
    expect(stats.violations.slice(0, 5)).toEqual([]);
    expect(stats.maxLatencyMs).toBeLessThan(REQUEST_TIMEOUT_MS + 1500);
    // The freeze was felt, the cap was reached and held.
    expect(duringPause[503] ?? 0).toBeGreaterThan(0);
    expect(duringPause[429] ?? 0).toBeGreaterThan(0);
    expect(maxPending).toBeGreaterThan(0);
    expect(maxPending).toBeLessThanOrEqual(MAX_PENDING_BYTES);
    expect(peakRss).toBeLessThan(PEAK_RSS_BOUND);
  });
});
