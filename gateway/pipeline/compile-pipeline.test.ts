import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compileKeyExtractor,
  compilePipeline,
  decodeJsonObject,
  type PipelineStep,
} from './compile-pipeline.ts';
import type { LineContext } from './line-outcome.ts';

const context: LineContext = { repo: 'access', receivedAt: 0, clientAddress: '127.0.0.1', headers: {} };
const run = (text: string | Buffer, steps: PipelineStep[] = [], key?: string) =>
  compilePipeline({ topic: 'logs', ...(key ? { key } : {}) }, steps)(
    Buffer.isBuffer(text) ? text : Buffer.from(text),
    context,
  );

describe('decodeJsonObject', () => {
  it.each([
    { name: 'invalid JSON', line: Buffer.from('{"a":'), reason: 'invalid_json' },
    { name: 'an array', line: Buffer.from('[1,2]'), reason: 'not_an_object' },
    { name: 'a string', line: Buffer.from('"hello"'), reason: 'not_an_object' },
    { name: 'null', line: Buffer.from('null'), reason: 'not_an_object' },
    {
      name: 'invalid UTF-8',
      line: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
      reason: 'invalid_utf8',
    },
    { name: 'a NUL byte outside strings', line: Buffer.from('{"a":1}\u0000'), reason: 'invalid_json' },
    {
      name: '10,000-deep nesting',
      line: Buffer.from(`${'['.repeat(10_000)}${']'.repeat(10_000)}`),
      reason: 'not_an_object',
    },
  ])('rejects $name as $reason', ({ line, reason }) => {
    expect(decodeJsonObject(line)).toMatchObject({ kind: 'invalid', reason });
  });

  it.each([
    { name: 'duplicate keys (last wins)', line: '{"a":1,"a":2}', expected: { a: 2 } },
    {
      name: 'huge numbers',
      line: '{"n":1e400,"m":123456789012345678901234567890}',
      expected: { n: Number.POSITIVE_INFINITY, m: 1.2345678901234568e29 },
    },
    { name: 'lone surrogate escapes', line: '{"s":"\\ud800"}', expected: { s: '\ud800' } },
  ])('accepts $name', ({ line, expected }) => {
    expect(decodeJsonObject(Buffer.from(line))).toEqual({ kind: undefined, record: expected });
  });

  it('keeps __proto__ and constructor as plain own data', () => {
    const decoded = decodeJsonObject(
      Buffer.from('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}'),
    );
    expect(decoded.kind).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    if (decoded.kind === undefined) expect(Object.hasOwn(decoded.record, '__proto__')).toBe(true);
  });
});

describe('compileKeyExtractor', () => {
  it.each([
    { record: { host: 'a.example' }, expected: 'a.example' },
    { record: { host: 42 }, expected: '42' },
    { record: { host: { x: 1 } }, expected: '{"x":1}' },
    { record: { host: null }, expected: null },
    { record: {}, expected: null },
  ])('$record → $expected', ({ record, expected }) => {
    expect(compileKeyExtractor('host')(record)).toBe(expected);
  });

  it('never reads a prototype member', () => {
    expect(compileKeyExtractor('constructor')({})).toBeNull();
    expect(compileKeyExtractor('toString')({})).toBeNull();
  });
});

describe('compilePipeline', () => {
  it('passes a line through byte for byte when there are no steps', () => {
    const line = Buffer.from('{ "b":2,  "a":1 }');
    const outcome = run(line);
    expect(outcome).toEqual({ kind: 'accepted', topic: 'logs', key: null, value: line });
  });

  it('serializes the record when steps changed it, and takes the key after the steps', () => {
    const addHost: PipelineStep = (state) => {
      state.record.host = 'edge-1';
      return undefined;
    };
    const outcome = run('{"a":1}', [addHost], 'host');
    expect(outcome).toMatchObject({ kind: 'accepted', key: 'edge-1' });
    if (outcome.kind === 'accepted')
      expect(JSON.parse(outcome.value.toString())).toEqual({ a: 1, host: 'edge-1' });
  });

  it('lets a step end the line, and turns a throwing step into an invalid line', () => {
    const drop: PipelineStep = () => ({ kind: 'dropped', reason: 'constraint' });
    const boom: PipelineStep = () => {
      throw new Error('boom');
    };
    expect(run('{"a":1}', [drop])).toEqual({ kind: 'dropped', reason: 'constraint' });
    expect(run('{"a":1}', [boom])).toMatchObject({ kind: 'invalid', reason: 'executer_failed' });
  });

  it('never throws and accepted values are always JSON objects, whatever the bytes', () => {
    const pipeline = compilePipeline({ topic: 't', key: 'k' });
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 200 }),
          fc.json().map((s) => new TextEncoder().encode(s)),
        ),
        (bytes) => {
          const outcome = pipeline(Buffer.from(bytes), context);
          if (outcome.kind === 'accepted') {
            const parsed = JSON.parse(outcome.value.toString());
            expect(typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)).toBe(true);
          } else {
            expect(['dropped', 'invalid']).toContain(outcome.kind);
          }
        },
      ),
    );
  });
});
