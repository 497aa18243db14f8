import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTopic, uniqueTopicName } from '../infra/kafka-admin.ts';
import { kcatConsume } from '../infra/kcat.ts';
import { eventually } from '../support/eventually.ts';
import { kafkaEngines } from '../support/kafka-engines.ts';
import { startWatchedGateway, type WatchedGateway } from '../support/watched-gateway.ts';

// Real Apache Kafka broker, a real gateway watching a config directory updated the way
// the kubelet projects a ConfigMap, and continuous load: 20 reloads that add and remove
// repos, move a repo to another topic and change the producer's compression and Kafka
// engine must fail no request and lose no line, and each line lands where the revision
// that served its request sent it.

const brokers = inject('kafkaBrokers').split(',');
const codecs = ['none', 'lz4', 'zstd', 'gzip', 'snappy'] as const;
// Revisions alternate the engine too: with two engines and five codecs, 20 revisions cover
// every pair, and every reload hands the load from one engine to the other.
const engines = kafkaEngines();
const RELOADS = 20;
const INVALID_AT = 10;

const metricValue = (text: string, name: string, labels: string): number => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').at(-1)) : 0;
};

describe('hot reload under load', () => {
  const topics = [uniqueTopicName('reload-a'), uniqueTopicName('reload-b'), uniqueTopicName('reload-c')];
  let watched: WatchedGateway | undefined;
  afterAll(async () => {
    await watched?.stop();
  });

  const configFor = (revision: number) =>
    [
      `revision: rev-${revision}`,
      'server: { requestTimeoutMs: 15000 }',
      'producers:',
      `  main: { type: kafka, engine: ${engines[revision % engines.length]}, brokers: [${brokers.join(', ')}], compression: ${codecs[revision % codecs.length]}, batch: { lingerMs: 5 } }`,
      'repos:',
      `  steady: { producer: main, topic: ${topics[revision % topics.length]}, mode: sync, key: user, executers: [{ type: set, field: rev, value: rev-${revision} }] }`,
      ...(revision % 2 === 1
        ? [`  extra-${revision}: { producer: main, topic: ${topics[0]}, mode: async }`]
        : []),
    ].join('\n');

  it('applies 20 reloads with zero failed requests and no lost line', async () => {
    for (const topic of topics) await createTopic(brokers.join(','), topic, 2);
    watched = await startWatchedGateway(configFor(0), 'sluice-reload-it-');
    const { gateway } = watched;
    const metric = async (name: string, labels: string) =>
      metricValue(await (await fetch(`${gateway.url}/metrics`)).text(), name, labels);

    const revisionOf = new Map<string, string>();
    const failures: string[] = [];
    let requests = 0;
    let stop = false;
    let sequence = 0;
    const worker = async (w: number) => {
      while (!stop) {
        const ids = Array.from({ length: 10 }, () => `w${w}-${sequence++}`);
        const body = ids
          .map((id) => JSON.stringify({ id, user: `u${sequence % 7}`, msg: 'x'.repeat(100) }))
          .join('\n');
        try {
          const response = await fetch(`${gateway.url}/log/repo/steady`, {
            method: 'POST',
            body,
            signal: AbortSignal.timeout(20_000),
          });
          const answer = (await response.json()) as { revision?: string };
          requests += 1;
          if (response.status !== 200) failures.push(`${response.status} ${JSON.stringify(answer)}`);
          else for (const id of ids) revisionOf.set(id, answer.revision ?? '?');
        } catch (error) {
          failures.push(String(error));
        }
      }
    };
    const started = performance.now();
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));

    // Throws when the revision is not served within 10 s.
    const waitForRevision = (revision: string) =>
      eventually(
        async () => gateway.runtime().revision,
        (current) => current === revision,
        10_000,
        20,
      );
    // Each revision serves the load for 700 ms before the next reload.
    for (let revision = 1; revision <= RELOADS; revision++) {
      await new Promise((resolve) => setTimeout(resolve, 700));
      if (revision === INVALID_AT) {
        await watched.write(configFor(revision).replace('producer: main, topic', 'producer: missing, topic'));
        // Until the watcher has read and refused it, the revision would not have moved anyway.
        await eventually(
          () => metric('sluice_config_reload_total', 'result="invalid"'),
          (invalid) => invalid === 1,
          10_000,
          20,
        );
        expect(gateway.runtime().revision).toBe(`rev-${revision - 1}`);
      }
      await watched.write(configFor(revision));
      await waitForRevision(`rev-${revision}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 700));
    stop = true;
    await Promise.all(workers);
    const seconds = (performance.now() - started) / 1000;

    expect(failures.slice(0, 5)).toEqual([]);
    // The reloads happened under load (a loaded 2-core machine still carries well above this).
    expect(requests / seconds).toBeGreaterThan(50);

    // Every acknowledged line is in the topic its request's revision routed it to.
    const expectedTopic = (revision: string) => topics[Number(revision.replace('rev-', '')) % topics.length];
    // Each revision's pipeline stamps its name on the line: the stamp must be the revision
    // that answered the request, and the topic the one that revision routed to.
    const foundIn = new Map<string, string>();
    const stampOf = new Map<string, string>();
    for (const topic of topics) {
      for (const message of await kcatConsume({
        brokers: brokers.join(','),
        topic,
        untilEnd: true,
        timeoutMs: 30_000,
      })) {
        const record = JSON.parse(message.value) as { id: string; rev: string };
        foundIn.set(record.id, topic);
        stampOf.set(record.id, record.rev);
      }
    }
    const lost = [...revisionOf.keys()].filter((id) => !foundIn.has(id));
    const misrouted = [...revisionOf].filter(
      ([id, revision]) => foundIn.get(id) !== expectedTopic(revision) || stampOf.get(id) !== revision,
    );
    const revisionsSeen = new Set(revisionOf.values());
    console.log(
      `hot reload: ${requests} requests in ${seconds.toFixed(1)} s (${Math.round(requests / seconds)}/s), ${revisionOf.size} lines acknowledged over ${revisionsSeen.size} revisions, ${lost.length} lost, ${misrouted.length} misrouted, ${failures.length} failed`,
    );
    expect(lost).toEqual([]);
    expect(misrouted).toEqual([]);
    expect(revisionsSeen.size).toBeGreaterThan(RELOADS / 2);

    // Each reload changed the compression, so each replaced producer was closed once drained.
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metricValue(metrics, 'sluice_config_reload_total', 'result="applied"')).toBe(RELOADS);
    expect(metricValue(metrics, 'sluice_config_reload_total', 'result="invalid"')).toBe(1);
    const closed = await eventually(
      () => metric('sluice_producer_lifecycle_total', 'event="closed"'),
      (count) => count === RELOADS,
      10_000,
    );
    expect(closed).toBe(RELOADS);
    expect(metrics).toContain(`sluice_config_info{revision="rev-${RELOADS}"} 1`);
  });
});
