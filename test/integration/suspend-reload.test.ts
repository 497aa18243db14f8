import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTopic, uniqueTopicName } from '../infra/kafka-admin.ts';
import { kcatConsume } from '../infra/kcat.ts';
import { eventually } from '../support/eventually.ts';
import { postLines } from '../support/start-test-gateway.ts';
import { startWatchedGateway, type WatchedGateway } from '../support/watched-gateway.ts';

// Suspend and resume a repo the way a cluster does it: the config file in a ConfigMap-style
// volume is swapped (the kubelet's ..data symlink), the running gateway reloads it, no
// restart. Against the real broker: while suspended nothing reaches the topic, and after the
// resume the sender's retried lines do, each once.

const brokers = inject('kafkaBrokers');

describe('suspend and resume through a config reload', () => {
  const topic = uniqueTopicName('suspend');
  let watched: WatchedGateway | undefined;
  afterAll(async () => {
    await watched?.stop();
  });
  const configFor = (revision: string, suspend: boolean) =>
    [
      `revision: ${revision}`,
      'server: { retryAfterSeconds: 5 }',
      `producers: { main: { type: kafka, brokers: [${brokers}], batch: { lingerMs: 5 } } }`,
      `repos: { access: { producer: main, topic: ${topic}, mode: sync, suspend: ${suspend} } }`,
    ].join('\n');
  const line = (id: string) => JSON.stringify({ id });

  it('answers 503 SUSPENDED while suspended, produces nothing, and takes the retry after the resume', async () => {
    await createTopic(brokers, topic, 1);
    watched = await startWatchedGateway(configFor('active-1', false), 'sluice-suspend-it-');
    const { gateway } = watched;
    const url = `${gateway.url}/log/repo/access`;
    const waitFor = (revision: string) =>
      eventually(
        async () => gateway.runtime().revision,
        (current) => current === revision,
        15_000,
        50,
      );

    expect((await postLines(url, line('before'))).status).toBe(200);

    await watched.write(configFor('suspended-2', true));
    await waitFor('suspended-2');
    const refused = await postLines(url, [line('held-1'), line('held-2')].join('\n'));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(refused.body).toMatchObject({ error: { code: 'SUSPENDED', retryable: true } });

    await watched.write(configFor('active-3', false));
    await waitFor('active-3');
    // The sender retries what was refused.
    const retried = await postLines(url, [line('held-1'), line('held-2')].join('\n'));
    expect(retried.status).toBe(200);

    const read = await kcatConsume({ brokers, topic, count: 3, untilEnd: true, timeoutMs: 20_000 });
    expect(read.map((message) => JSON.parse(message.value).id)).toEqual(['before', 'held-1', 'held-2']);
  });
});
