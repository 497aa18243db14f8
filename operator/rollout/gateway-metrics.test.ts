import { readFile } from 'node:fs/promises';
import fc from 'fast-check';
import { Counter, collectDefaultMetrics, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { LATENCY_BUCKETS, parseGatewayMetrics, type RepoCounters, ZERO_COUNTERS } from './gateway-metrics.ts';

// The gateway's families, declared as gateway/observability/metrics.ts does (the operator may
// not import it), plus look-alikes the parser must leave out.
function gatewayRegistry() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'sluice_process_' });
  const registers = [registry];
  const counter = <L extends string>(name: string, labelNames: L[]) =>
    new Counter<L>({ name, help: name, labelNames, registers });
  return {
    registry,
    requests: counter('sluice_requests_total', ['repo', 'status']),
    bytesIn: counter('sluice_request_bytes_total', ['repo', 'encoding']),
    received: counter('sluice_lines_received_total', ['repo']),
    accepted: counter('sluice_lines_accepted_total', ['repo']),
    dropped: counter('sluice_lines_dropped_total', ['repo', 'reason']),
    invalid: counter('sluice_lines_invalid_total', ['repo', 'reason']),
    syncFailed: counter('sluice_sync_lines_failed_total', ['repo']),
    asyncFailed: counter('sluice_async_lines_failed_total', ['repo']),
    duration: new Histogram({
      name: 'sluice_request_duration_seconds',
      help: 'duration',
      labelNames: ['repo', 'mode'],
      buckets: LATENCY_BUCKETS.slice(0, -1),
      registers,
    }),
    produceLatency: new Histogram({
      name: 'sluice_produce_latency_seconds',
      help: 'produce',
      labelNames: ['producer'],
      buckets: [0.001, 0.01, 1],
      registers,
    }),
  };
}

/** Cumulative buckets from the bucket index each observation falls in. */
function bucketsOf(...indexes: number[]): number[] {
  return LATENCY_BUCKETS.map((_, bound) => indexes.filter((index) => index <= bound).length);
}

function counters(partial: Partial<RepoCounters>): RepoCounters {
  return { ...ZERO_COUNTERS, ...partial };
}

describe('parseGatewayMetrics on prom-client output', () => {
  it('reads exact counters per repo and ignores every other family', async () => {
    const m = gatewayRegistry();
    m.requests.inc({ repo: 'web', status: '200' }, 40);
    m.requests.inc({ repo: 'web', status: '202' }, 5);
    m.requests.inc({ repo: 'web', status: '400' }, 3);
    m.requests.inc({ repo: 'web', status: '413' }, 1);
    m.requests.inc({ repo: 'web', status: '429' }, 2);
    m.requests.inc({ repo: 'web', status: '503' }, 4);
    m.requests.inc({ repo: 'web', status: '500' }, 1);
    m.bytesIn.inc({ repo: 'web', encoding: 'gzip' }, 123_456);
    m.received.inc({ repo: 'web' }, 1000);
    m.accepted.inc({ repo: 'web' }, 950);
    m.dropped.inc({ repo: 'web', reason: 'health_check' }, 20);
    m.invalid.inc({ repo: 'web', reason: 'invalid_json' }, 20);
    m.invalid.inc({ repo: 'web', reason: 'executer_error' }, 10);
    m.syncFailed.inc({ repo: 'web' }, 7);
    m.asyncFailed.inc({ repo: 'web' }, 3);
    m.duration.observe({ repo: 'web', mode: 'sync' }, 0.0007); // bucket 0
    m.duration.observe({ repo: 'web', mode: 'sync' }, 0.02); // bucket 4
    m.duration.observe({ repo: 'web', mode: 'async' }, 0.02); // bucket 4
    m.duration.observe({ repo: 'web', mode: 'async' }, 30); // +Inf
    m.requests.inc({ repo: 'api', status: '200' }, 2);
    m.produceLatency.observe({ producer: 'web' }, 0.005);

    const parsed = parseGatewayMetrics(await m.registry.metrics());

    expect([...parsed.keys()]).toEqual(['web', 'api']);
    expect(parsed.get('web')).toEqual({
      requests: 56,
      retryableFailures: 7,
      linesReceived: 1000,
      linesInvalid: 30,
      deliveryFailures: 10,
      latencyBuckets: bucketsOf(0, 4, 4, 13),
    });
    expect(parsed.get('api')).toEqual(counters({ requests: 2 }));
  });

  it('reads 1000 repos from one body', async () => {
    const m = gatewayRegistry();
    for (let i = 0; i < 1000; i++) {
      const repo = `repo-${i}`;
      m.requests.inc({ repo, status: i % 2 ? '200' : '503' }, i + 1);
      m.received.inc({ repo }, 10 * i);
      m.duration.observe({ repo, mode: 'sync' }, 0.003);
    }
    const parsed = parseGatewayMetrics(await m.registry.metrics());
    expect(parsed.size).toBe(1000);
    expect(parsed.get('repo-998')).toEqual(
      counters({ requests: 999, retryableFailures: 999, linesReceived: 9980, latencyBuckets: bucketsOf(2) }),
    );
    expect(parsed.get('repo-999')).toEqual(
      counters({ requests: 1000, linesReceived: 9990, latencyBuckets: bucketsOf(2) }),
    );
  });

  it('holds the families and bucket bounds the gateway declares', async () => {
    const source = await readFile(new URL('../../gateway/observability/metrics.ts', import.meta.url), 'utf8');
    const declared = /name: 'sluice_request_duration_seconds',[\s\S]*?buckets: \[([^\]]*)\]/.exec(source);
    expect(declared?.[1]?.split(',').map(Number)).toEqual(LATENCY_BUCKETS.slice(0, -1));
    for (const name of [
      'sluice_requests_total',
      'sluice_lines_received_total',
      'sluice_lines_invalid_total',
      'sluice_sync_lines_failed_total',
      'sluice_async_lines_failed_total',
    ]) {
      expect(source).toContain(`name: '${name}'`);
    }
  });
});

describe('parseGatewayMetrics on hand-written bodies', () => {
  it.each([
    {
      name: 'escaped label values',
      text: 'sluice_requests_total{repo="a\\"b\\\\c\\nd",status="429"} 3\n',
      expected: { 'a"b\\c\nd': counters({ requests: 3, retryableFailures: 3 }) },
    },
    {
      name: 'a repo only in some families',
      text: [
        'sluice_lines_received_total{repo="a"} 10',
        'sluice_lines_invalid_total{repo="b",reason="x"} 2',
        'sluice_request_duration_seconds_bucket{le="+Inf",repo="c",mode="sync"} 4',
        '',
      ].join('\n'),
      expected: {
        a: counters({ linesReceived: 10 }),
        b: counters({ linesInvalid: 2 }),
        c: counters({ latencyBuckets: [...Array(13).fill(0), 4] }),
      },
    },
    {
      name: 'no gateway families at all',
      text: '# HELP process_cpu x\n# TYPE process_cpu counter\nprocess_cpu 1\nnodejs_heap{space="old"} 5\n',
      expected: {},
    },
    { name: 'an empty body', text: '', expected: {} },
    {
      name: 'garbage lines around a good one',
      text: [
        'garbage',
        '{repo="a"} 1',
        'sluice_requests_total',
        'sluice_requests_total{',
        'sluice_requests_total{repo="a"',
        'sluice_requests_total{repo="a",status="200"}',
        'sluice_requests_total{repo="a",status="200"}1',
        'sluice_requests_total{repo="a",status="200"} ',
        'sluice_requests_total{repo=a} 1',
        'sluice_requests_total{repo="a" status="200"} 1',
        'sluice_requests_total{="a"} 1',
        'sluice_requests_total{repo="a\\t"} 1',
        'sluice_requests_total{repo="a\\',
        'sluice_requests_total 5',
        'sluice_requests_total{status="200"} 5',
        'sluice_requests_total{repo="a"} abc',
        'sluice_requests_total{repo="a"} NaN',
        'sluice_requests_total{repo="a"} +Inf',
        'sluice_requests_total{repo="a"} -1',
        'sluice_requests_totalx{repo="a"} 1',
        'sluice_request_duration_seconds_bucket{repo="a",le="0.3"} 1',
        'sluice_request_duration_seconds_bucket{repo="a"} 1',
        'sluice_request_duration_seconds_bucket{repo="a",le=""} 1',
        'sluice_request_duration_seconds_sum{repo="a"} 1',
        'sluice_requests_total{repo="a",status="200"} 2',
        '',
      ].join('\n'),
      expected: { a: counters({ requests: 2 }) },
    },
    {
      name: 'CRLF, blanks, a trailing comma, labels in any order and a timestamp',
      text:
        'sluice_requests_total{ status = "502" , repo="a", } 2 1700000000000\r\n' +
        'sluice_request_duration_seconds_bucket{mode="async",repo="a",le="0.0025"}\t1\r\n' +
        'sluice_sync_lines_failed_total{repo="a"} 1.5e1\r\n',
      expected: {
        a: counters({
          requests: 2,
          retryableFailures: 2,
          deliveryFailures: 15,
          latencyBuckets: [0, 1, ...Array(12).fill(0)],
        }),
      },
    },
    {
      name: 'a last line cut before its line feed',
      text: 'sluice_lines_received_total{repo="a"} 10\nsluice_lines_received_total{repo="a"} 12',
      expected: { a: counters({ linesReceived: 10 }) },
    },
    {
      name: 'repeated series add up',
      text: 'sluice_async_lines_failed_total{repo="a"} 1\nsluice_async_lines_failed_total{repo="a"} 2\n',
      expected: { a: counters({ deliveryFailures: 3 }) },
    },
  ])('$name', ({ text, expected }) => {
    expect(Object.fromEntries(parseGatewayMetrics(text))).toEqual(expected);
  });
});

describe('parseGatewayMetrics properties', () => {
  const field = fc.nat({ max: 1_000_000 });

  it('reads back what prom-client wrote, for any repo names and counts', async () => {
    const repoData = fc.record({
      ok: field,
      unavailable: field,
      tooMany: field,
      badRequest: field,
      received: field,
      invalid: fc.array(field, { maxLength: 3 }),
      sync: field,
      async: field,
      durations: fc.array(fc.double({ min: 0, max: 20, noNaN: true }), { maxLength: 5 }),
    });
    await fc.assert(
      fc.asyncProperty(
        fc.dictionary(fc.string({ unit: 'binary' }), repoData, { maxKeys: 5 }),
        async (repos) => {
          const m = gatewayRegistry();
          const expected = new Map<string, RepoCounters>();
          for (const [repo, data] of Object.entries(repos)) {
            m.requests.inc({ repo, status: '200' }, data.ok);
            m.requests.inc({ repo, status: '503' }, data.unavailable);
            m.requests.inc({ repo, status: '429' }, data.tooMany);
            m.requests.inc({ repo, status: '400' }, data.badRequest);
            m.received.inc({ repo }, data.received);
            data.invalid.forEach((count, i) => {
              m.invalid.inc({ repo, reason: `r${i}` }, count);
            });
            m.syncFailed.inc({ repo }, data.sync);
            m.asyncFailed.inc({ repo }, data.async);
            for (const seconds of data.durations) m.duration.observe({ repo, mode: 'sync' }, seconds);
            expected.set(repo, {
              requests: data.ok + data.unavailable + data.tooMany + data.badRequest,
              retryableFailures: data.unavailable + data.tooMany,
              linesReceived: data.received,
              linesInvalid: data.invalid.reduce((a, b) => a + b, 0),
              deliveryFailures: data.sync + data.async,
              latencyBuckets: LATENCY_BUCKETS.map((bound) => data.durations.filter((s) => s <= bound).length),
            });
          }
          const parsed = parseGatewayMetrics(await m.registry.metrics());
          expect(new Map([...parsed].sort(([a], [b]) => (a < b ? -1 : 1)))).toEqual(
            new Map([...expected].sort(([a], [b]) => (a < b ? -1 : 1))),
          );
        },
      ),
      { numRuns: 60 },
    );
  });

  it('never throws and only yields finite, non-negative counts on hostile text', () => {
    const token = fc.constantFrom(
      'sluice_requests_total',
      'sluice_request_duration_seconds_bucket',
      '{',
      '}',
      'repo=',
      'status="503"',
      'le="+Inf"',
      '"',
      '\\',
      ',',
      ' ',
      '\n',
      '\r',
      '1',
      '-',
      'e9',
      '#',
    );
    const text = fc.oneof(
      fc.string({ unit: 'binary' }),
      fc.array(token, { maxLength: 60 }).map((t) => t.join('')),
    );
    fc.assert(
      fc.property(text, (body) => {
        for (const repo of parseGatewayMetrics(body).values()) {
          const values = [
            repo.requests,
            repo.retryableFailures,
            repo.linesReceived,
            repo.linesInvalid,
            repo.deliveryFailures,
            ...repo.latencyBuckets,
          ];
          expect(values.every((v) => Number.isFinite(v) && v >= 0)).toBe(true);
          expect(repo.latencyBuckets).toHaveLength(LATENCY_BUCKETS.length);
          expect(repo.retryableFailures).toBeLessThanOrEqual(repo.requests);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('lines of other families interleaved change nothing', () => {
    const good = 'sluice_requests_total{repo="a",status="500"} 3\nsluice_lines_received_total{repo="a"} 9\n';
    const other = fc
      .string({ unit: 'binary' })
      .map((s) => s.replace(/[\r\n]/g, ' '))
      .filter((s) => !s.startsWith('sluice_'));
    fc.assert(
      fc.property(fc.array(other, { maxLength: 10 }), fc.nat(), (noise, at) => {
        const lines = good.split('\n').slice(0, -1);
        lines.splice(at % (lines.length + 1), 0, ...noise);
        expect(parseGatewayMetrics(`${lines.join('\n')}\n`)).toEqual(parseGatewayMetrics(good));
      }),
      { numRuns: 200 },
    );
  });
});
