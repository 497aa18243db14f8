import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { issuesOf, pipelineOf, testContext } from '../../test/support/pipeline-kit.ts';
import type { LineOutcome } from './line-outcome.ts';

// A broader fuzz pass than pipeline-properties.test.ts: the pipeline itself is arbitrary
// too. fast-check draws a chain of executers (fields from a small pool so they hit one
// another, dotted paths, names that shadow Object.prototype members), a constraint, a
// key, a decoder and a dead-letter topic; configs the schema or compiler refuse are
// skipped. Every line of adversarial input must get exactly one documented outcome,
// never an exception, and an accepted value is always a valid UTF-8 JSON object.

const field = fc.constantFrom(
  'a',
  'b',
  'msg',
  'status',
  'a.b',
  'a.b.c',
  'n',
  'toString',
  'hasOwnProperty',
  'valueOf',
  'x.toString',
  'message',
);
const fields = fc.uniqueArray(field, { minLength: 1, maxLength: 4 });
const text = fc.string({ maxLength: 6 });
const condition = fc.oneof(
  fc.record({ field, exists: fc.boolean() }),
  fc.record({ field, equals: fc.oneof(text, fc.integer()) }),
  fc.record({ field, gte: fc.integer({ min: -5, max: 500 }) }),
  fc.record({ field, prefix: text.filter((s) => s.length > 0) }),
  fc.record({ field, regex: fc.constantFrom('^a+$', '[0-9]{3}', '(?i)get', '.*') }),
);

const executer = fc.oneof(
  fc.record({
    type: fc.constant('splitter'),
    field,
    separator: fc.constantFrom(' ', ',', '/'),
    limit: fc.integer({ min: 1, max: 4 }),
  }),
  fc.record({ type: fc.constant('assigner'), field, names: fields, keepSource: fc.boolean() }),
  fc.record({ type: fc.constant('rename'), fields: fc.dictionary(field, field, { minKeys: 1, maxKeys: 3 }) }),
  fc.record({ type: fc.constant('set'), field, value: text }),
  fc.record({
    type: fc.constant('add'),
    field,
    from: fc.constantFrom('repo', 'revision', 'receivedAt', 'clientAddress', 'traceId'),
  }),
  fc.record({ type: fc.constant('remove'), fields }),
  fc.record({ type: fc.constant('keep'), fields }),
  fc.record({
    type: fc.constant('convert'),
    fields: fc.dictionary(field, fc.constantFrom('int', 'float', 'bool', 'string'), {
      minKeys: 1,
      maxKeys: 3,
    }),
  }),
  fc.record({
    type: fc.constant('timestamp'),
    field,
    format: fc.constantFrom('iso8601', 'epoch-s', 'epoch-ms', '%d/%b/%Y:%H:%M:%S %z'),
    output: fc.constantFrom('iso', 'epoch-s', 'epoch-ms'),
  }),
  fc.record({ type: fc.constant('truncate'), fields, maxLength: fc.integer({ min: 1, max: 8 }) }),
  fc.record({
    type: fc.constant('mask'),
    keys: fc.uniqueArray(fc.constantFrom('a', 'password', '__proto__', 'constructor', 'toString'), {
      minLength: 1,
      maxLength: 3,
    }),
    pattern: fc.constantFrom('[0-9]{2,}', 'a'),
    replacement: fc.constantFrom('#', '', '***'),
  }),
  fc.record({ type: fc.constant('sample'), percent: fc.integer({ min: 0, max: 100 }) }),
  fc.record({
    type: fc.constant('route'),
    rules: fc.array(fc.record({ when: condition, topic: fc.constantFrom('logs.r1', 'logs.r2') }), {
      minLength: 1,
      maxLength: 2,
    }),
  }),
  fc.record({ type: fc.constant('drop-if'), when: condition }),
);

const repoFields = fc.record(
  {
    executers: fc.array(executer, { maxLength: 6 }),
    constraint: condition,
    key: field,
    decoder: fc.constantFrom({ type: 'json' }, { type: 'raw', field: 'message' }),
    onExecuterError: fc.constantFrom('drop', 'pass'),
    deadLetter: fc.constant({ topic: 'logs.dead' }),
  },
  { requiredKeys: ['executers'] },
);

const jsonText = fc.oneof(
  fc.json({ maxDepth: 4 }),
  fc
    .dictionary(
      field.map((name) => name.split('.')[0] as string),
      fc.oneof(
        text,
        fc.integer(),
        fc.double(),
        fc.constantFrom(
          'GET /a b HTTP/1.1',
          '10/Oct/2023:13:55:36 +0200',
          '2024-06-01T12:00:00Z',
          '1717243200',
          '12345',
        ),
        fc.jsonValue({ maxDepth: 2 }),
      ),
      { maxKeys: 6 },
    )
    .map((record) => JSON.stringify(record)),
  fc.constantFrom(
    '{"__proto__":{"polluted":1},"a":"x"}',
    '{"constructor":{"prototype":{"polluted":1}},"a":{"constructor":{"prototype":{"polluted":1}}}}',
    '{"a":{"__proto__":{"polluted":1}}}',
    '{"n":1e400,"m":-1e400,"big":12345678901234567890}',
    '{"a":"\\ud800","b":"\\udc00x","msg":"\\u0000"}',
    '{"a":1,"a":{"b":2}}',
    `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`,
    `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`,
  ),
);
const line = fc.oneof(
  jsonText.map((value) => Buffer.from(value.replace(/[\r\n]/g, ' '))),
  fc.uint8Array({ maxLength: 80 }).map((bytes) => Buffer.from(bytes)),
  fc.string({ unit: 'binary', maxLength: 40 }).map((value) => Buffer.from(value)),
  fc.constantFrom(
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]),
    Buffer.from([0xed, 0xa0, 0x80]),
  ),
);

const REASON = /^[a-z][a-z0-9_]*$/;

function checkOutcome(outcome: LineOutcome): void {
  expect(['accepted', 'dropped', 'invalid']).toContain(outcome.kind);
  if (outcome.kind === 'accepted') {
    expect(isUtf8(outcome.value)).toBe(true);
    const value = JSON.parse(outcome.value.toString('utf8')) as unknown;
    expect(typeof value === 'object' && value !== null && !Array.isArray(value)).toBe(true);
    expect(['logs.access', 'logs.r1', 'logs.r2']).toContain(outcome.topic);
    expect(outcome.key === null || typeof outcome.key === 'string').toBe(true);
  } else {
    expect(outcome.reason).toMatch(REASON);
    if (outcome.kind === 'invalid') expect(typeof outcome.message).toBe('string');
  }
}

describe('fuzzed pipelines over adversarial lines', () => {
  it('compile or are refused with issues; compiled ones never throw and answer a documented outcome', () => {
    let compiled = 0;
    fc.assert(
      fc.property(repoFields, fc.array(line, { minLength: 1, maxLength: 12 }), (fields, lines) => {
        const issues = issuesOf(fields);
        if (issues.length > 0) {
          for (const issue of issues) expect(typeof issue.message).toBe('string');
          return;
        }
        compiled += 1;
        const pipeline = pipelineOf(fields);
        for (const bytes of lines) checkOutcome(pipeline(bytes, testContext));
      }),
      { numRuns: 1000 },
    );
    // Most drawn configs must be valid, or the property would test little.
    expect(compiled).toBeGreaterThan(500);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getOwnPropertyNames(Object.prototype)).not.toContain('polluted');
  });

  it('is deterministic: the same line through the same pipeline gives the same outcome', () => {
    fc.assert(
      fc.property(repoFields, line, (fields, bytes) => {
        fc.pre(issuesOf(fields).length === 0 && !fields.executers.some((step) => step.type === 'sample'));
        const outcomeOf = (outcome: LineOutcome) =>
          outcome.kind === 'accepted' ? { ...outcome, value: outcome.value.toString('base64') } : outcome;
        // Two compilations: no state leaks from one pipeline (or one line) into the next.
        const first = outcomeOf(pipelineOf(fields)(bytes, testContext));
        const second = outcomeOf(pipelineOf(fields)(bytes, testContext));
        expect(second).toEqual(first);
      }),
      { numRuns: 200 },
    );
  });

  it('numbers: pass-through keeps the bytes; a transformed record gets JSON.parse precision (README)', () => {
    const input = '{"big":12345678901234567890,"huge":1e400,"tiny":1e-400}';
    const passThrough = pipelineOf({})(Buffer.from(input), testContext);
    expect(passThrough.kind === 'accepted' && passThrough.value.toString('utf8')).toBe(input);
    // Re-serialized: an integer beyond 2^53 keeps double precision, 1e400 (Infinity once
    // read) becomes null, 1e-400 becomes 0.
    const transformed = pipelineOf({ executers: [{ type: 'set', field: 'x', value: 'y' }] })(
      Buffer.from(input),
      testContext,
    );
    expect(transformed.kind === 'accepted' && transformed.value.toString('utf8')).toBe(
      '{"big":12345678901234567000,"huge":null,"tiny":0,"x":"y"}',
    );
  });
});
