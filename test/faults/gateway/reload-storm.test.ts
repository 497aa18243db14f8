import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTopic, uniqueTopicName } from '../../infra/kafka-admin.ts';
import { eventually } from '../../support/eventually.ts';
import { startWatchedGateway, type WatchedGateway } from '../../support/watched-gateway.ts';
import { metricValue, notFound, readBack, scrape, startLoad } from './fault-kit.ts';

// A reload storm: 100 config swaps written back to back the way the kubelet updates a
// ConfigMap volume, 20 of them invalid, under continuous sync load. Valid swaps change the
// pipeline every time, the producer's compression every tenth time (a new producer, the old
// one drained and closed) and add or remove an async repo. Promise: no request fails (a
// reload never costs a request), every 200 line is in Kafka, the invalid swaps are refused
// and counted in sluice_config_reload_total{result="invalid"} while the last good config
// keeps serving. (test/integration/hot-reload.test.ts checks routing across 20 slower reloads.)

const brokers = inject('kafkaBrokers');
const SWAPS = 100;
const INVALID_EVERY = 5;
const codecs = ['lz4', 'zstd', 'gzip', 'snappy', 'none'] as const;

describe('reload storm under load', () => {
  const topic = uniqueTopicName('faults-reload-storm');
  let watched: WatchedGateway | undefined;
  afterAll(async () => {
    await watched?.stop();
  });

  const configFor = (swap: number) =>
    [
      `revision: storm-${swap}`,
      'server: { requestTimeoutMs: 10000 }',
      'producers:',
      `  main: { type: kafka, brokers: [${brokers}], compression: ${codecs[Math.floor(swap / 10) % codecs.length]}, batch: { lingerMs: 5 } }`,
      'repos:',
      `  steady: { producer: main, topic: ${topic}, mode: sync, executers: [{ type: set, field: rev, value: storm-${swap} }] }`,
      ...(swap % 2 === 1 ? [`  extra-${swap}: { producer: main, topic: ${topic}, mode: async }`] : []),
    ].join('\n');
  // Invalid in a different way each time round: an unknown producer, a bad enum, bad YAML.
  const invalidFor = (swap: number) =>
    [
      configFor(swap).replace('producer: main, topic', 'producer: missing, topic'),
      configFor(swap).replace('mode: sync', 'mode: fast'),
      `${configFor(swap)}\n  : [unbalanced`,
      configFor(swap).replace('lingerMs: 5', 'lingerMs: 5000'),
    ][swap % 4] as string;

  it('applies 80 valid swaps, refuses 20 invalid ones, fails no request, loses no line', async () => {
    await createTopic(brokers, topic, 2);
    watched = await startWatchedGateway(configFor(0), 'sluice-reload-storm-');
    const { gateway } = watched;
    const url = gateway.url;

    const load = startLoad(
      { url, repo: 'steady', workers: 6, linesPerRequest: 10, clientTimeoutMs: 15_000 },
      new Set(),
    );
    const started = performance.now();
    let invalid = 0;
    let applied = 0;
    for (let swap = 1; swap <= SWAPS; swap++) {
      if (swap % INVALID_EVERY === 0) {
        invalid += 1;
        const expected = invalid;
        const before = gateway.runtime().revision;
        await watched.write(invalidFor(swap));
        await eventually(
          async () => metricValue(await scrape(url), 'sluice_config_reload_total', 'result="invalid"'),
          (count) => count === expected,
          10_000,
          10,
        );
        expect(gateway.runtime().revision).toBe(before);
      } else {
        applied += 1;
        await watched.write(configFor(swap));
        await eventually(
          async () => gateway.runtime().revision,
          (revision) => revision === `storm-${swap}`,
          10_000,
          10,
        );
      }
    }
    const stormSeconds = (performance.now() - started) / 1000;
    const stats = await load.stop();

    const metrics = await scrape(url);
    const read = await readBack(brokers, [topic]);
    const missing = notFound(stats, read);
    const figures = {
      test: 'reload-storm',
      swaps: SWAPS,
      applied: metricValue(metrics, 'sluice_config_reload_total', 'result="applied"'),
      invalid: metricValue(metrics, 'sluice_config_reload_total', 'result="invalid"'),
      errors: metricValue(metrics, 'sluice_config_reload_total', 'result="error"'),
      stormSeconds: Math.round(stormSeconds * 10) / 10,
      requests: stats.requests,
      acknowledged: stats.acknowledged.length,
      found: read.found.size,
      duplicates: read.duplicates,
      missing: missing.length,
      failedRequests: stats.violations.length + stats.clientTimeouts + stats.connectionErrors,
      statuses: stats.statuses,
      maxLatencyMs: Math.round(stats.maxLatencyMs),
    };
    console.log(JSON.stringify(figures));

    // The load ran through the storm: "no request failed" is about real requests.
    expect(stats.acknowledged.length).toBeGreaterThan(0);
    expect(stats.violations.slice(0, 5)).toEqual([]);
    expect(stats.clientTimeouts).toBe(0);
    expect(stats.connectionErrors).toBe(0);
    expect(missing).toEqual([]);
    expect(read.malformed).toBe(0);
    expect(figures.applied).toBe(applied);
    expect(figures.invalid).toBe(SWAPS / INVALID_EVERY);
    expect(figures.errors).toBe(0);
    expect(gateway.runtime().revision).toBe(`storm-${SWAPS - 1}`);
  });
});
