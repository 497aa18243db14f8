import { describe, expect, it } from 'vitest';
import { pipelineOf, repoOf, runLine, testContext } from '../../test/support/pipeline-kit.ts';
import { compileKeyExtractor, compileRepo, compileRepoPipeline } from './compile-pipeline.ts';
import { decodeJsonObject } from './decode-line.ts';

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
    {
      name: 'an encoded lone surrogate (CESU bytes)',
      line: Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d]),
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
    { record: { host: undefined }, expected: null },
    { record: {}, expected: null },
  ])('$record → $expected', ({ record, expected }) => {
    expect(compileKeyExtractor('host')(record)).toBe(expected);
  });

  it.each([
    { field: 'edge.node', record: { edge: { node: 'fra1-07' } }, expected: 'fra1-07' },
    { field: 'edge.node', record: { edge: { node: 7 } }, expected: '7' },
    { field: 'edge.node', record: { edge: 'fra1' }, expected: null },
    { field: 'edge.node', record: { 'edge.node': 'flat' }, expected: null },
    { field: 'a.b.c', record: { a: { b: { c: true } } }, expected: 'true' },
    { field: 'tags.0', record: { tags: ['first', 'second'] }, expected: 'first' },
  ])('nested path $field: $record → $expected', ({ field, record, expected }) => {
    expect(compileKeyExtractor(field)(record)).toBe(expected);
  });

  it('never reads a prototype member', () => {
    expect(compileKeyExtractor('constructor')({})).toBeNull();
    expect(compileKeyExtractor('toString')({})).toBeNull();
    expect(compileKeyExtractor('a.toString')({ a: {} })).toBeNull();
  });

  it.each(['__proto__', 'a.constructor', 'a..b'])('refuses the key path %s at /key', (key) => {
    const result = compileRepo({ ...repoOf({}), key }, { name: 'access', revision: 'r1' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((issue) => issue.path)).toEqual(['/repos/access/key']);
  });

  it('keys accepted lines from a nested field', () => {
    const outcome = pipelineOf({ key: 'edge.node' })(Buffer.from('{"edge":{"node":"fra1-07"}}'), testContext);
    expect(outcome).toMatchObject({ kind: 'accepted', key: 'fra1-07' });
  });
});

describe('compileRepo', () => {
  it('passes a line through byte for byte when no executer changes the record', () => {
    const line = Buffer.from('{ "b":2,  "a":1, "status": 503 }');
    const pipeline = pipelineOf({
      constraint: { field: 'a', exists: true },
      executers: [
        { type: 'route', rules: [{ when: { field: 'status', gte: 500 }, topic: 'logs.errors' }] },
        { type: 'drop-if', when: { field: 'a', equals: '2' } },
        { type: 'sample', percent: 100 },
      ],
    });
    const outcome = pipeline(line, testContext);
    expect(outcome).toEqual({ kind: 'accepted', topic: 'logs.errors', key: null, value: line });
    if (outcome.kind === 'accepted') expect(outcome.value).toBe(line);
  });

  it('re-serializes when an executer changed the record, and takes the key after the executers', () => {
    const pipeline = pipelineOf({
      key: 'host',
      executers: [{ type: 'set', field: 'host', value: 'edge-1' }],
    });
    expect(runLine(pipeline, '{"a":1}')).toEqual({
      kind: 'accepted',
      topic: 'logs.access',
      key: 'edge-1',
      record: { a: 1, host: 'edge-1' },
    });
  });

  it('decodes raw lines into a field', () => {
    const pipeline = pipelineOf({
      decoder: { type: 'raw', field: 'line' },
      executers: [
        { type: 'splitter', field: 'line', separator: ' ', limit: 2 },
        { type: 'assigner', field: 'line', names: ['level', 'message'] },
      ],
    });
    expect(runLine(pipeline, 'WARN disk {almost} full')).toMatchObject({
      kind: 'accepted',
      record: { level: 'WARN', message: 'disk {almost} full' },
    });
    expect(runLine(pipelineOf({ decoder: { type: 'raw' } }), 'plain text')).toMatchObject({
      record: { message: 'plain text' },
    });
    expect(runLine(pipeline, Buffer.from([0x61, 0xff]))).toMatchObject({
      kind: 'invalid',
      reason: 'invalid_utf8',
    });
  });

  it('stops at the first executer that drops, in order', () => {
    const pipeline = pipelineOf({
      executers: [
        { type: 'drop-if', when: { field: 'a', equals: '1' }, reason: 'first' },
        { type: 'drop-if', when: { field: 'a', exists: true }, reason: 'second' },
      ],
    });
    expect(runLine(pipeline, '{"a":1}')).toEqual({ kind: 'dropped', reason: 'first' });
    expect(runLine(pipeline, '{"a":2}')).toEqual({ kind: 'dropped', reason: 'second' });
  });

  describe('onExecuterError', () => {
    const executers = [
      { type: 'convert', fields: { status: 'int' } },
      { type: 'set', field: 'seen', value: 'yes' },
    ];
    it('drop (the default) counts a line an executer cannot apply to as invalid', () => {
      expect(runLine(pipelineOf({ executers }), '{"status":"abc"}')).toEqual({
        kind: 'invalid',
        reason: 'convert_failed',
        message: 'executers[0] (convert): field status cannot be converted to int',
      });
    });

    it('pass skips the failing executer and goes on with the record unchanged', () => {
      expect(runLine(pipelineOf({ executers, onExecuterError: 'pass' }), '{"status":"abc"}')).toMatchObject({
        kind: 'accepted',
        record: { status: 'abc', seen: 'yes' },
      });
    });
  });

  describe('dead letter', () => {
    const pipeline = pipelineOf(
      { deadLetter: { topic: 'logs.dead' }, executers: [{ type: 'convert', fields: { status: 'int' } }] },
      'access',
      'rev-7',
    );
    it.each([
      { line: 'not json', reason: 'invalid_json' },
      { line: '[1]', reason: 'not_an_object' },
      { line: '{"status":"x"}', reason: 'convert_failed' },
    ])('sends $reason lines to the dead-letter topic with headers', ({ line, reason }) => {
      expect(pipeline(Buffer.from(line), testContext)).toMatchObject({
        kind: 'invalid',
        reason,
        deadLetter: {
          topic: 'logs.dead',
          headers: { 'sluice-reason': reason, 'sluice-repo': 'access', 'sluice-revision': 'rev-7' },
        },
      });
    });

    it('does not dead-letter dropped lines, and leaves invalid lines plain without a topic', () => {
      const dropping = pipelineOf({
        deadLetter: { topic: 'logs.dead' },
        executers: [{ type: 'drop-if', when: { field: 'a', exists: true } }],
      });
      expect(dropping(Buffer.from('{"a":1}'), testContext)).toEqual({ kind: 'dropped', reason: 'drop_if' });
      expect(pipelineOf({})(Buffer.from('x'), testContext)).not.toHaveProperty('deadLetter');
    });
  });

  it('counts a record too deep to serialize as invalid instead of throwing', () => {
    const deep = `${'{"a":'.repeat(20_000)}1${'}'.repeat(20_000)}`;
    const pipeline = pipelineOf({ executers: [{ type: 'set', field: 'x', value: 'y' }] });
    expect(runLine(pipeline, deep)).toMatchObject({ kind: 'invalid', reason: 'serialize_failed' });
    // Without changes the line passes as it came.
    expect(runLine(pipelineOf({}), deep)).toMatchObject({ kind: 'accepted' });
  });

  it('reports pipeline issues instead of compiling, and compileRepoPipeline refuses them', () => {
    const repo = repoOf({ executers: [{ type: 'timestamp', field: 'ts', format: '%Q' }] });
    expect(compileRepo(repo, { name: 'access', revision: 'r1' })).toEqual({
      ok: false,
      issues: [
        { path: '/repos/access/executers/0/format', message: 'unsupported directive %Q in time format' },
      ],
    });
    expect(() => compileRepoPipeline(repo, { name: 'access', revision: 'r1' })).toThrow(/format/);
  });
});
