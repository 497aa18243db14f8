import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fullDecodePipelineOf, pipelineOf, testContext } from '../../test/support/pipeline-kit.ts';
import { readOnlyRepos } from '../../test/support/read-only-repos.ts';
import { IngestTally } from '../ingest/ingest-tally.ts';
import { forEachLine } from '../ingest/split-lines.ts';
import type { CompiledPipeline, LineOutcome } from './line-outcome.ts';

// Properties of compiled pipelines over hostile input: they never throw,
// every line gets exactly one outcome (accepted + dropped + invalid =
// received), accepted values are JSON objects, and no input reaches a
// prototype.

const typicalChain = {
  key: 'host',
  constraint: { field: 'status', exists: true },
  executers: [
    { type: 'splitter', field: 'request', separator: ' ', limit: 3 },
    { type: 'assigner', field: 'request', names: ['method', 'path', 'protocol'] },
    { type: 'drop-if', when: { field: 'path', prefix: '/healthz' }, reason: 'health_check' },
    { type: 'rename', fields: { ua: 'user_agent' } },
    { type: 'remove', fields: ['referer'] },
    { type: 'timestamp', field: 'ts', format: '%d/%b/%Y:%H:%M:%S %z' },
    { type: 'route', rules: [{ when: { field: 'status', gte: 500 }, topic: 'logs.errors' }] },
  ],
};

const everyExecuter = {
  onExecuterError: 'pass',
  deadLetter: { topic: 'logs.dead' },
  constraint: { any: [{ field: 'status', gte: 0 }, { not: { field: 'x', regex: '^a+$' } }] },
  executers: [
    { type: 'splitter', field: 'request', separator: ' ', limit: 3 },
    { type: 'assigner', field: 'request', names: ['method', 'path', 'protocol'], keepSource: true },
    { type: 'rename', fields: { ua: 'http.user_agent', __x: 'y' } },
    { type: 'set', field: 'meta.repo', from: 'repo' },
    { type: 'add', field: 'trace', from: 'traceId' },
    { type: 'add', field: 'toString', value: 'own' },
    { type: 'remove', fields: ['referer', 'a.b.c'] },
    { type: 'convert', fields: { status: 'int', bytes: 'float', cached: 'bool', id: 'string' } },
    { type: 'timestamp', field: 'ts', target: 'time', output: 'epoch-ms' },
    { type: 'truncate', fields: ['http.user_agent', 'path'], maxLength: 16 },
    { type: 'mask', keys: ['password', '__proto__'], pattern: '[0-9]{3,}', replacement: '#' },
    { type: 'sample', percent: 90 },
    { type: 'route', field: 'service', topics: { a: 'logs.a', constructor: 'logs.c' } },
    {
      type: 'keep',
      fields: ['method', 'path', 'status', 'time', 'http', 'meta', 'trace', 'toString', '__x'],
    },
    { type: 'drop-if', when: { field: 'method', equals: 'OPTIONS' } },
  ],
};

const pipelines: Array<[string, () => CompiledPipeline]> = [
  ['pass-through', () => pipelineOf({})],
  ['the typical chain', () => pipelineOf(typicalChain)],
  ['every executer', () => pipelineOf(everyExecuter)],
  ['a raw decoder', () => pipelineOf({ decoder: { type: 'raw' }, ...everyExecuter })],
  ...readOnlyRepos.map(([name, fields]): [string, () => CompiledPipeline] => [
    `read-only: ${name}`,
    () => pipelineOf(fields),
  ]),
];

const hostileKey = fc.constantFrom(
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'valueOf',
);
const fieldValue = fc.oneof(
  fc.string(),
  fc.constantFrom(
    'GET /index.html HTTP/1.1',
    'GET /healthz HTTP/1.1',
    '-',
    '10/Oct/2023:13:55:36 +0000',
    '\ud800',
  ),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.jsonValue({ maxDepth: 3 }),
);
const record = fc.dictionary(
  fc.oneof(
    fc.constantFrom(
      'status',
      'request',
      'ts',
      'ua',
      'referer',
      'host',
      'service',
      'password',
      'bytes',
      'cached',
      'id',
    ),
    hostileKey,
    fc.string(),
  ),
  fieldValue,
  { maxKeys: 12 },
);

const lineText = fc.oneof(
  record.map((value) => JSON.stringify(value)),
  record.map((value) => JSON.stringify(value).replace('{', '{"__proto__":{"polluted":1},')),
  record.map(
    (value) =>
      `${JSON.stringify(value).slice(0, -1)}${JSON.stringify(value).length > 2 ? ',' : ''}"status":1,"status":"dup"}`,
  ),
  fc.json(),
  fc.string(),
  fc.constantFrom(
    '\ufeff{"a":1}',
    '{"a":1}\r',
    '[1,2,3]',
    '"a string"',
    '12',
    'null',
    '{"n":1e400,"m":-1e400,"big":123456789012345678901234567890123}',
    '{"s":"\\ud800\\udc00\\udfff"}',
    '{"constructor":{"prototype":{"polluted":1}}}',
    `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`,
    `${'['.repeat(10_000)}${']'.repeat(10_000)}`,
  ),
);
const lineBytes = fc.oneof(
  lineText.map((text) => Buffer.from(text)),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  // Lone surrogates and overlong forms as raw bytes: not UTF-8.
  fc.constantFrom(
    Buffer.from([0xed, 0xa0, 0x80]),
    Buffer.from([0xc0, 0xaf]),
    Buffer.from([0x7b, 0xff, 0x7d]),
  ),
);

function checkOutcome(outcome: LineOutcome): void {
  expect(['accepted', 'dropped', 'invalid']).toContain(outcome.kind);
  if (outcome.kind === 'accepted') {
    const value = JSON.parse(outcome.value.toString('utf8')) as unknown;
    expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
    expect(outcome.topic).toMatch(/^[a-zA-Z0-9._-]+$/);
  } else {
    expect(outcome.reason).toMatch(/^[a-z][a-z0-9_]*$/);
  }
}

function expectNoPollution(): void {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
  expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('own');
}

describe.each(pipelines)('compiled pipeline: %s', (_name, build) => {
  it('never throws; every outcome is well-formed; accepted values are JSON objects', () => {
    const pipeline = build();
    fc.assert(
      fc.property(lineBytes, (line) => {
        checkOutcome(pipeline(line, testContext));
      }),
      { numRuns: 300 },
    );
    expectNoPollution();
  });

  it('accepted + dropped + invalid = received over whole bodies (BOM, CRLF, blanks, no final newline)', () => {
    const pipeline = build();
    const body = fc.record({
      bom: fc.boolean(),
      lines: fc.array(fc.oneof(lineText, fc.constantFrom('', '   ', '\t')), { maxLength: 30 }),
      crlf: fc.boolean(),
      finalNewline: fc.boolean(),
    });
    fc.assert(
      fc.property(body, ({ bom, lines, crlf, finalNewline }) => {
        // A line must not carry its own line breaks: they would split it.
        const flat = lines.map((line) => line.replace(/[\r\n]/g, ' '));
        const text = `${bom ? '\ufeff' : ''}${flat.join(crlf ? '\r\n' : '\n')}${finalNewline ? '\n' : ''}`;
        const tally = new IngestTally(5);
        const split = forEachLine(Buffer.from(text), 1 << 20, (line, lineNumber) => {
          const outcome = pipeline(line, testContext);
          checkOutcome(outcome);
          tally.record(outcome, lineNumber);
        });
        expect(split.ok).toBe(true);
        const summary = tally.summary();
        // The splitter skips lines of only blanks and tabs.
        const nonBlank = flat.filter((line) => /[^ \t]/.test(line)).length;
        expect(summary.received).toBe(nonBlank);
        expect(summary.accepted + summary.dropped.total + summary.invalid.total).toBe(summary.received);
      }),
      { numRuns: 200 },
    );
    expectNoPollution();
  });

  // Linear work on 10 MB takes under a second here; anything super-linear would take hours.
  // The bound is loose on purpose: the tests share a busy 2-core machine.
  it('handles a 10 MB line in bounded time', { timeout: 60_000 }, () => {
    const pipeline = build();
    const huge = Buffer.from(
      JSON.stringify({
        status: 200,
        request: `GET /${'a'.repeat(10 * 1024 * 1024)} HTTP/1.1`,
        ua: `${'1234 '.repeat(1000)}`,
        ts: '10/Oct/2023:13:55:36 +0000',
      }),
    );
    const started = performance.now();
    checkOutcome(pipeline(huge, testContext));
    expect(performance.now() - started).toBeLessThan(30_000);
  });
});

// The read-only decoder (a grammar check, only the members read) stands in for JSON.parse
// in pipelines that change no record: over the same hostile lines, in the same order (so
// samplers agree), every outcome must equal the whole-object decoder's, and an accepted
// value must be the line's own bytes.
describe.each(readOnlyRepos)(
  'read-only decoding agrees with the whole-object decoder: %s',
  (_name, fields) => {
    it('the same outcome for every line, the line itself as the value', () => {
      const fast = pipelineOf(fields);
      const full = fullDecodePipelineOf(fields);
      fc.assert(
        fc.property(fc.array(lineBytes, { minLength: 1, maxLength: 8 }), (lines) => {
          for (const line of lines) {
            const outcome = fast(line, testContext);
            expect(outcome).toEqual(full(line, testContext));
            if (outcome.kind === 'accepted') expect(outcome.value.equals(line)).toBe(true);
          }
        }),
        { numRuns: 300 },
      );
      expectNoPollution();
    });
  },
);
