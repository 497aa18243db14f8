import { parseArgs } from 'node:util';
import type { CompiledPipeline } from '../gateway/pipeline/line-outcome.ts';
import { pipelineOf, testContext } from '../test/support/pipeline-kit.ts';
import { median, relativeSpread } from './bench-stats.ts';
import { createPrng, pick, randomHex, randomInt } from './seeded-prng.ts';

// Micro-benchmark of compiled pipelines on one core: lines per second for
// pass-through, the typical access-log chain and each executer alone, against
// the floor of any JSON pipeline — Buffer → JSON.parse → JSON.stringify →
// Buffer of the same lines, measured in the same run. Cases run round-robin
// in every repetition so machine noise hits them alike; medians are reported.
//
//   npm run bench:pipeline -- [--lines 20000] [--reps 7] [--ms 300]

const { values } = parseArgs({
  options: {
    lines: { type: 'string', default: '20000' },
    reps: { type: 'string', default: '7' },
    ms: { type: 'string', default: '300' },
  },
});
const LINE_COUNT = Number(values.lines);
const REPETITIONS = Number(values.reps);
const MIN_MS = Number(values.ms);

// ---- realistic CDN access-log lines, fixed seed ----------------------------

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const HOSTS = [
  'static.example.com',
  'img.example.com',
  'www.example.com',
  'api.example.com',
  'video.example.net',
];
const AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Safari/537.36',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0',
  'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)',
  'okhttp/4.12.0',
];
const PATHS = [
  '/assets/js/app.3f2a9c1d.js?v=1716000000',
  '/img/p/482913/9ac01f2e.webp?w=640&q=75',
  '/en/products/12345-trail-runner?utm_source=newsletter&utm_medium=email',
  '/api/v2/search?q=rain+jacket&page=2&sort=relevance',
  '/vod/8f2e1a9c0b/720p/seg_112.ts?exp=1717100000&sig=1f2e3d4c',
  '/healthz',
];
const STATUSES = [200, 200, 200, 200, 200, 200, 200, 304, 206, 404, 301, 500, 503];
const REFERERS = ['https://www.example.com/', 'https://www.google.com/', '-'];

/** `spacingMs` apart: 37 ms puts ~27 lines in each second, as a busy edge node logs. */
function accessLogLines(count: number, seed: number, spacingMs = 37): Buffer[] {
  const random = createPrng(seed);
  const pad = (n: number) => String(n).padStart(2, '0');
  const start = Date.UTC(2024, 5, 1);
  return Array.from({ length: count }, (_, index) => {
    const at = new Date(start + index * spacingMs);
    const time = `${pad(at.getUTCDate())}/${MONTHS[at.getUTCMonth()]}/${at.getUTCFullYear()}:${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}:${pad(at.getUTCSeconds())} +0000`;
    const record = {
      time,
      host: pick(random, HOSTS),
      client: `${randomInt(random, 11, 110)}.${randomInt(random, 0, 255)}.${randomInt(random, 0, 255)}.${randomInt(random, 1, 250)}`,
      request: `${random() < 0.95 ? 'GET' : 'POST'} ${pick(random, PATHS)} HTTP/${random() < 0.7 ? '2.0' : '1.1'}`,
      status: pick(random, STATUSES),
      bytes: Math.floor(random() * 500_000),
      rt: Math.round(random() * 400) / 1000,
      cache: random() < 0.8 ? 'HIT' : 'MISS',
      referer: pick(random, REFERERS),
      ua: pick(random, AGENTS),
      pop: pick(random, ['fra1', 'ams2', 'iad3', 'sjc1']),
      trace_id: randomHex(random, 16),
    };
    return Buffer.from(JSON.stringify(record));
  });
}

// ---- cases ------------------------------------------------------------------

const compile = (fields: Record<string, unknown>): CompiledPipeline => pipelineOf(fields, 'access', 'bench');

const typicalChain = {
  key: 'host',
  constraint: { field: 'status', exists: true },
  executers: [
    { type: 'splitter', field: 'request', separator: ' ', limit: 3 },
    { type: 'assigner', field: 'request', names: ['method', 'path', 'protocol'] },
    { type: 'rename', fields: { ua: 'user_agent' } },
    { type: 'remove', fields: ['referer'] },
    { type: 'timestamp', field: 'time', format: '%d/%b/%Y:%H:%M:%S %z' },
    { type: 'route', rules: [{ when: { field: 'status', gte: 500 }, topic: 'logs.errors' }] },
  ],
};

const alone = (executer: Record<string, unknown>) => compile({ executers: [executer] });

type LineFn = (line: Buffer) => number;
interface Case {
  readonly name: string;
  readonly fn: LineFn;
  /** Lines to run instead of the common set. */
  readonly lines?: readonly Buffer[];
}
const ofPipeline =
  (pipeline: CompiledPipeline): LineFn =>
  (line) => {
    const outcome = pipeline(line, testContext);
    return outcome.kind === 'accepted' ? outcome.value.length : 1;
  };

const tuples: Array<[string, LineFn]> = [
  [
    'floor: JSON.parse + JSON.stringify',
    (line) => Buffer.from(JSON.stringify(JSON.parse(line.toString('utf8')))).length,
  ],
  ['pass-through (json decoder only)', ofPipeline(compile({}))],
  ['typical chain', ofPipeline(compile(typicalChain))],
  ['constraint (exists)', ofPipeline(compile({ constraint: { field: 'status', exists: true } }))],
  [
    'constraint (all: gte + prefix + notIn)',
    ofPipeline(
      compile({
        constraint: {
          all: [
            { field: 'status', gte: 100 },
            { field: 'request', prefix: 'GET' },
            { field: 'host', notIn: ['localhost'] },
          ],
        },
      }),
    ),
  ],
  [
    'constraint (regex on ua)',
    ofPipeline(compile({ constraint: { not: { field: 'ua', regex: '(?i)bot|crawler|spider' } } })),
  ],
  ['splitter', ofPipeline(alone({ type: 'splitter', field: 'request', separator: ' ', limit: 3 }))],
  [
    'splitter + assigner',
    ofPipeline(
      compile({
        executers: [
          { type: 'splitter', field: 'request', separator: ' ', limit: 3 },
          { type: 'assigner', field: 'request', names: ['method', 'path', 'protocol'] },
        ],
      }),
    ),
  ],
  ['rename', ofPipeline(alone({ type: 'rename', fields: { ua: 'user_agent' } }))],
  ['set (static)', ofPipeline(alone({ type: 'set', field: 'env', value: 'prod' }))],
  ['set (traceId from traceparent)', ofPipeline(alone({ type: 'set', field: 'trace', from: 'traceId' }))],
  ['remove', ofPipeline(alone({ type: 'remove', fields: ['referer'] }))],
  [
    'keep (5 fields)',
    ofPipeline(alone({ type: 'keep', fields: ['time', 'host', 'request', 'status', 'bytes'] })),
  ],
  ['convert (number → string)', ofPipeline(alone({ type: 'convert', fields: { status: 'string' } }))],
  [
    'timestamp (nginx → iso)',
    ofPipeline(alone({ type: 'timestamp', field: 'time', format: '%d/%b/%Y:%H:%M:%S %z' })),
  ],
  ['truncate', ofPipeline(alone({ type: 'truncate', fields: ['ua'], maxLength: 64 }))],
  ['mask (keys, whole record)', ofPipeline(alone({ type: 'mask', keys: ['client'] }))],
  [
    'mask (pattern on one field)',
    ofPipeline(alone({ type: 'mask', fields: ['client'], pattern: '[0-9]+$', replacement: '0' })),
  ],
  ['sample (10%)', ofPipeline(alone({ type: 'sample', percent: 10 }))],
  [
    'route (field → topic)',
    ofPipeline(alone({ type: 'route', field: 'pop', topics: { fra1: 'logs.eu', ams2: 'logs.eu' } })),
  ],
  [
    'route (rules)',
    ofPipeline(
      alone({ type: 'route', rules: [{ when: { field: 'status', gte: 500 }, topic: 'logs.errors' }] }),
    ),
  ],
  ['drop-if', ofPipeline(alone({ type: 'drop-if', when: { field: 'request', contains: '/healthz' } }))],
];
const lines = accessLogLines(LINE_COUNT, 42);
const cases: Case[] = [
  ...tuples.map(([name, fn]) => ({ name, fn })),
  {
    name: 'timestamp, every line a new second',
    fn: ofPipeline(alone({ type: 'timestamp', field: 'time', format: '%d/%b/%Y:%H:%M:%S %z' })),
    lines: accessLogLines(LINE_COUNT, 42, 1000),
  },
];

// ---- measurement -------------------------------------------------------------

const averageBytes = Math.round(lines.reduce((sum, line) => sum + line.length, 0) / lines.length);

let sink = 0;
/** Lines per second of one pass set: whole passes over the lines until MIN_MS elapsed. */
function measure({ fn, lines: own }: Case): number {
  const input = own ?? lines;
  let processed = 0;
  const started = performance.now();
  let elapsed = 0;
  do {
    for (const line of input) sink += fn(line);
    processed += input.length;
    elapsed = performance.now() - started;
  } while (elapsed < MIN_MS);
  return (processed / elapsed) * 1000;
}

// Warm-up: every case once, so the JIT has seen them all before timing.
for (const { fn, lines: own } of cases) for (const line of own ?? lines) sink += fn(line);

const samples = new Map<string, number[]>(cases.map(({ name }) => [name, []]));
for (let repetition = 0; repetition < REPETITIONS; repetition++) {
  for (const testCase of cases) samples.get(testCase.name)?.push(measure(testCase));
}

const floor = median(samples.get(cases[0]?.name as string) ?? []);
const rows = cases.map(({ name }) => {
  const values = samples.get(name) ?? [];
  const rate = median(values);
  // One repetition says nothing about noise.
  const spread = relativeSpread(values);
  return {
    name,
    rate,
    ratio: rate / floor,
    spread: Number.isNaN(spread) ? 'n/a' : `${Math.round(spread * 100)}%`,
  };
});

const width = Math.max(...rows.map((row) => row.name.length));
console.log(
  `pipeline benchmark: ${LINE_COUNT} CDN access-log lines (${averageBytes} B average), ${REPETITIONS} repetitions of >= ${MIN_MS} ms, medians, one core, Node ${process.versions.node}`,
);
console.log(
  `${'case'.padEnd(width)}  ${'lines/s'.padStart(10)}  ${'x floor'.padStart(7)}  ${'spread'.padStart(6)}`,
);
for (const row of rows) {
  console.log(
    `${row.name.padEnd(width)}  ${Math.round(row.rate).toLocaleString('en-US').padStart(10)}  ${row.ratio.toFixed(2).padStart(7)}  ${row.spread.padStart(6)}`,
  );
}
if (sink === 0) console.log('(no output)');
