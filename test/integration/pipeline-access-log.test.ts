import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { GatewayServer } from '../../gateway/http/server.ts';
import { createTopic, uniqueTopicName } from '../infra/kafka-admin.ts';
import { kcatConsume } from '../infra/kcat.ts';
import { kafkaEngines } from '../support/kafka-engines.ts';
import { postLines, startTestGateway } from '../support/start-test-gateway.ts';

// A realistic access-log repo on the real broker: the request line is split
// into method/path/protocol, health checks are dropped, 5xx go to an errors
// topic, bad lines to a dead-letter topic. kcat (librdkafka) reads back what
// the gateway produced, and every record is checked exactly.

const brokers = inject('kafkaBrokers');

describe.each(kafkaEngines())('access-log pipeline against a real broker (%s engine)', (engine) => {
  let gateway: GatewayServer;
  const topics = {
    access: uniqueTopicName(`pipeline-access-${engine}`),
    errors: uniqueTopicName(`pipeline-errors-${engine}`),
    dead: uniqueTopicName(`pipeline-dead-${engine}`),
  };

  beforeAll(async () => {
    for (const topic of Object.values(topics)) await createTopic(brokers, topic, 1);
    gateway = await startTestGateway({
      revision: 'pipeline-it',
      producers: { main: { type: 'kafka', engine, brokers: brokers.split(','), batch: { lingerMs: 5 } } },
      repos: {
        access: {
          producer: 'main',
          topic: topics.access,
          mode: 'sync',
          key: 'host',
          constraint: { field: 'status', exists: true },
          executers: [
            { type: 'splitter', field: 'request', separator: ' ', limit: 3 },
            { type: 'assigner', field: 'request', names: ['method', 'path', 'protocol'] },
            { type: 'drop-if', when: { field: 'path', equals: '/healthz' }, reason: 'health_check' },
            { type: 'timestamp', field: 'time', format: '%d/%b/%Y:%H:%M:%S %z' },
            { type: 'rename', fields: { ua: 'user_agent' } },
            { type: 'remove', fields: ['referer'] },
            { type: 'route', rules: [{ when: { field: 'status', gte: 500 }, topic: topics.errors }] },
          ],
          deadLetter: { topic: topics.dead },
        },
      },
    });
  });
  afterAll(() => gateway?.shutdown());

  it('produces exactly the expected records to each topic', async () => {
    const line = (host: string, status: number, request: string) =>
      JSON.stringify({
        host,
        status,
        request,
        time: '10/Oct/2023:13:55:36 +0200',
        ua: 'curl/8.0',
        referer: '-',
      });
    const notJson = '{"host":"edge-9","status":200,';
    const lines = [
      line('edge-1', 200, 'GET /index.html HTTP/1.1'),
      line('edge-2', 200, 'GET /healthz HTTP/1.1'),
      line('edge-1', 503, 'POST /api/orders HTTP/2.0'),
      JSON.stringify({ host: 'edge-3', request: 'GET / HTTP/1.1' }),
      line('edge-2', 404, 'GET /missing.png HTTP/1.1'),
      notJson,
      line('edge-3', 500, 'GET /search?q=a b HTTP/1.1'),
    ];

    const answer = await postLines(`${gateway.url}/log/repo/access`, `${lines.join('\n')}\n`);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      revision: 'pipeline-it',
      received: 7,
      accepted: 4,
      dropped: { total: 2, byReason: { health_check: 1, constraint: 1 } },
      invalid: { total: 1, byReason: { invalid_json: 1 } },
    });

    const expected = (host: string, status: number, method: string, path: string, protocol: string) => ({
      key: host,
      value: {
        host,
        status,
        time: '2023-10-10T11:55:36.000Z',
        method,
        path,
        protocol,
        user_agent: 'curl/8.0',
      },
    });
    const read = async (topic: string, count: number) =>
      (await kcatConsume({ brokers, topic, count, untilEnd: true, timeoutMs: 20_000 })).map((message) => ({
        key: message.key,
        value: JSON.parse(message.value) as unknown,
      }));

    expect(await read(topics.access, 2)).toEqual([
      expected('edge-1', 200, 'GET', '/index.html', 'HTTP/1.1'),
      expected('edge-2', 404, 'GET', '/missing.png', 'HTTP/1.1'),
    ]);
    expect(await read(topics.errors, 2)).toEqual([
      expected('edge-1', 503, 'POST', '/api/orders', 'HTTP/2.0'),
      expected('edge-3', 500, 'GET', '/search?q=a', 'b HTTP/1.1'),
    ]);

    const dead = await kcatConsume({
      brokers,
      topic: topics.dead,
      count: 1,
      untilEnd: true,
      timeoutMs: 20_000,
    });
    expect(
      dead.map((message) => ({ key: message.key, value: message.value, headers: message.headers })),
    ).toEqual([
      {
        key: null,
        value: notJson,
        headers: [
          { key: 'sluice-reason', value: 'invalid_json' },
          { key: 'sluice-repo', value: 'access' },
          { key: 'sluice-revision', value: 'pipeline-it' },
        ],
      },
    ]);
  });
});
