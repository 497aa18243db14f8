import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTopic, uniqueTopicName } from '../../infra/kafka-admin.ts';
import { connectKafkaControl } from '../../infra/kafka-control.ts';
import { eventually } from '../../support/eventually.ts';
import {
  type ChildGateway,
  MiB,
  metricSum,
  metricValue,
  mib,
  notFound,
  PEAK_RSS_BOUND,
  readBack,
  samplePendingBytes,
  scrape,
  sleep,
  startChildGateway,
  startLoad,
  untilSuccessAfter,
} from './fault-kit.ts';

// An async repo (202 once queued) flooded by more than Kafka takes: first flat out against a
// healthy broker, then with the broker frozen (SIGSTOP) so nothing drains. The buffer cap
// (maxPendingBytes) must hold, the excess must be refused with 429 + Retry-After and counted
// in sluice_requests_total, RSS must stay bounded, and every line answered 202 must end up
// either in Kafka or counted in sluice_async_lines_failed_total.

const brokers = inject('kafkaBrokers');
const MAX_PENDING_BYTES = 2 * MiB;

describe('async repo under overload', () => {
  const control = connectKafkaControl(inject('kafkaControl'));
  let gateway: ChildGateway | undefined;
  afterAll(async () => {
    await control.ensureRunning();
    await gateway?.stop();
  });

  it('holds the buffer cap, refuses the excess with 429, bounds RSS', async () => {
    const topic = uniqueTopicName('faults-async-overload');
    await createTopic(brokers, topic, 2);
    gateway = await startChildGateway(
      [
        'revision: async-overload',
        'server: { host: 127.0.0.1, requestTimeoutMs: 3000, retryAfterSeconds: 1 }',
        'producers:',
        `  main: { type: kafka, brokers: [${brokers}], requestTimeoutMs: 2000, retries: 2, maxPendingBytes: ${MAX_PENDING_BYTES}, batch: { lingerMs: 5 } }`,
        'repos:',
        `  bulk: { producer: main, topic: ${topic}, mode: async }`,
      ].join('\n'),
    );
    const url = gateway.url;
    const load = startLoad({
      url,
      repo: 'bulk',
      workers: 12,
      linesPerRequest: 100,
      padBytes: 500,
      clientTimeoutMs: 8000,
    });
    const pending = samplePendingBytes(url, 'main', 50);

    await sleep(4000);
    const healthy = { ...load.stats.statuses };
    await control.pause();
    await sleep(6000);
    await control.resume();
    await untilSuccessAfter(load, performance.now());
    await sleep(1000);
    const stats = await load.stop();
    // Let the queue drain (or fail) before counting.
    await eventually(
      async () => metricValue(await scrape(url), 'sluice_pending_bytes', 'producer="main"'),
      (pending) => pending === 0,
      60_000,
      200,
    );
    const maxPending = await pending.stop();
    const peakRss = await gateway.peakRssBytes();
    const metrics = await scrape(url);
    const refusedCounted = metricSum(metrics, 'sluice_requests_total', 'status="429"');
    const asyncFailed = metricValue(metrics, 'sluice_async_lines_failed_total', 'repo="bulk"');

    const read = await readBack(brokers, [topic]);
    const unaccounted = notFound(stats, read).length;
    console.log(
      JSON.stringify({
        test: 'async-overload',
        requests: stats.requests,
        sent: stats.sent,
        queued202: stats.acknowledged.length,
        found: read.found.size,
        duplicates: read.duplicates,
        notFound: unaccounted,
        asyncFailedMetric: asyncFailed,
        statuses: stats.statuses,
        statusesWhileHealthy: healthy,
        refused429Metric: refusedCounted,
        maxLatencyMs: Math.round(stats.maxLatencyMs),
        maxPendingKiB: Math.round(maxPending / 1024),
        pendingCapKiB: MAX_PENDING_BYTES / 1024,
        startRssMiB: mib(gateway.startRssBytes),
        peakRssMiB: mib(peakRss),
      }),
    );

    expect(stats.clientTimeouts).toBe(0);
    expect(stats.connectionErrors).toBe(0);
    expect(stats.violations.slice(0, 5)).toEqual([]);
    expect(stats.statuses[429] ?? 0).toBeGreaterThan(0);
    // Every 429 the clients saw is counted by the gateway (and nothing else answered 429).
    expect(refusedCounted).toBe(stats.statuses[429]);
    expect(maxPending).toBeGreaterThan(0);
    expect(maxPending).toBeLessThanOrEqual(MAX_PENDING_BYTES);
    expect(peakRss).toBeLessThan(PEAK_RSS_BOUND);
    // A 202 line is delivered or counted as failed, never silently gone.
    expect(unaccounted).toBeLessThanOrEqual(asyncFailed);
    expect(read.malformed).toBe(0);
  });
});
