import { describe, expect, it } from 'vitest';
import { issuesOf, pipelineOf, runLine, testContext, transform } from '../../../test/support/pipeline-kit.ts';
import { splitText } from './splitter.ts';
import { truncateText } from './truncate.ts';

const access = {
  host: 'edge-1',
  status: 200,
  request: 'GET /index.html HTTP/1.1',
  ts: '10/Oct/2023:13:55:36 +0000',
};

describe('splitter', () => {
  it.each([
    { text: 'GET /a HTTP/1.1', separator: ' ', limit: Infinity, expected: ['GET', '/a', 'HTTP/1.1'] },
    { text: 'GET /a b HTTP/1.1', separator: ' ', limit: 3, expected: ['GET', '/a', 'b HTTP/1.1'] },
    { text: 'a', separator: ',', limit: Infinity, expected: ['a'] },
    { text: '', separator: ',', limit: Infinity, expected: [''] },
    { text: 'a,,b,', separator: ',', limit: Infinity, expected: ['a', '', 'b', ''] },
    { text: 'a::b::c', separator: '::', limit: 2, expected: ['a', 'b::c'] },
    { text: 'a b', separator: ' ', limit: 1, expected: ['a b'] },
  ])('splitText($text, "$separator", $limit)', ({ text, separator, limit, expected }) => {
    expect(splitText(text, separator, limit)).toEqual(expected);
  });

  it.each([
    {
      name: 'splits in place',
      executer: { type: 'splitter', field: 'request', separator: ' ' },
      record: access,
      expected: { ...access, request: ['GET', '/index.html', 'HTTP/1.1'] },
    },
    {
      name: 'writes to a target',
      executer: { type: 'splitter', field: 'request', separator: ' ', limit: 2, target: 'parts' },
      record: { request: 'GET /a HTTP/1.1' },
      expected: { request: 'GET /a HTTP/1.1', parts: ['GET', '/a HTTP/1.1'] },
    },
    {
      name: 'fails on a number',
      executer: { type: 'splitter', field: 'status', separator: ' ' },
      record: access,
      expected: { kind: 'invalid', reason: 'splitter_failed' },
    },
    {
      name: 'fails on an absent field',
      executer: { type: 'splitter', field: 'nope', separator: ' ' },
      record: access,
      expected: { kind: 'invalid', reason: 'splitter_failed' },
    },
  ])('$name', ({ executer, record, expected }) => {
    expect(transform([executer], record)).toMatchObject(expected);
  });
});

describe('assigner', () => {
  const split = { type: 'splitter', field: 'request', separator: ' ' };
  it.each([
    {
      name: 'names the parts and removes the array',
      executers: [split, { type: 'assigner', field: 'request', names: ['method', 'path', 'protocol'] }],
      record: { request: 'GET /a HTTP/1.1' },
      expected: { method: 'GET', path: '/a', protocol: 'HTTP/1.1' },
    },
    {
      name: 'keeps the source when asked',
      executers: [split, { type: 'assigner', field: 'request', names: ['method'], keepSource: true }],
      record: { request: 'GET /a' },
      expected: { request: ['GET', '/a'], method: 'GET' },
    },
    {
      name: 'writes nested names',
      executers: [split, { type: 'assigner', field: 'request', names: ['http.method', 'http.path'] }],
      record: { request: 'GET /a' },
      expected: { http: { method: 'GET', path: '/a' } },
    },
    {
      name: 'may reuse the source name',
      executers: [split, { type: 'assigner', field: 'request', names: ['method', 'request'] }],
      record: { request: 'GET /a' },
      expected: { request: '/a', method: 'GET' },
    },
    {
      name: 'fails with fewer parts than names',
      executers: [split, { type: 'assigner', field: 'request', names: ['method', 'path', 'protocol'] }],
      record: { request: '-' },
      expected: { kind: 'invalid', reason: 'assigner_failed' },
    },
    {
      name: 'fails on a string',
      executers: [{ type: 'assigner', field: 'request', names: ['method'] }],
      record: { request: 'GET /a' },
      expected: { kind: 'invalid', reason: 'assigner_failed' },
    },
    {
      name: 'fails, writing nothing, when a name cannot be written',
      executers: [split, { type: 'assigner', field: 'request', names: ['method', 'host.x'] }],
      record: { request: 'GET /a', host: 'h' },
      expected: { kind: 'invalid', reason: 'assigner_failed' },
    },
  ])('$name', ({ executers, record, expected }) => {
    expect(transform(executers, record)).toMatchObject(expected);
  });
});

describe('rename', () => {
  it.each([
    { fields: { host: 'edge' }, record: { host: 'a', x: 1 }, expected: { x: 1, edge: 'a' } },
    { fields: { host: 'edge.name' }, record: { host: 'a' }, expected: { edge: { name: 'a' } } },
    {
      fields: { 'http.status': 'status' },
      record: { http: { status: 200 } },
      expected: { http: {}, status: 200 },
    },
    { fields: { missing: 'other' }, record: { a: 1 }, expected: { a: 1 } },
    { fields: { a: 'b' }, record: { a: 1, b: 2 }, expected: { b: 1 } },
    { fields: { a: 'b', b: 'c' }, record: { a: 1, b: 2 }, expected: { c: 1 } },
    {
      fields: { a: 'z.y' },
      record: { a: 1, z: 'text' },
      expected: { kind: 'invalid', reason: 'rename_failed' },
    },
  ])('$fields: $record → $expected', ({ fields, record, expected }) => {
    expect(transform([{ type: 'rename', fields }], record)).toEqual(
      'kind' in expected ? expect.objectContaining(expected) : expected,
    );
  });
});

describe('set and add', () => {
  it.each([
    { executer: { type: 'set', field: 'env', value: 'prod' }, expected: { a: 1, env: 'prod' } },
    { executer: { type: 'set', field: 'a', value: 'x' }, expected: { a: 'x' } },
    { executer: { type: 'set', field: 'n', value: 42 }, expected: { a: 1, n: 42 } },
    { executer: { type: 'set', field: 'n', value: -0.5 }, expected: { a: 1, n: -0.5 } },
    { executer: { type: 'set', field: 'b', value: true }, expected: { a: 1, b: true } },
    { executer: { type: 'set', field: 'b', value: false }, expected: { a: 1, b: false } },
    { executer: { type: 'set', field: 'a', value: null }, expected: { a: null } },
    { executer: { type: 'set', field: 's', value: '404' }, expected: { a: 1, s: '404' } },
    { executer: { type: 'add', field: 'z', value: 0 }, expected: { a: 1, z: 0 } },
    { executer: { type: 'add', field: 'a', value: null }, expected: { a: 1 } },
    { executer: { type: 'add', field: 'a', value: 'x' }, expected: { a: 1 } },
    { executer: { type: 'add', field: 'b', value: 'x' }, expected: { a: 1, b: 'x' } },
    {
      executer: { type: 'set', field: 'meta.env', value: 'prod' },
      expected: { a: 1, meta: { env: 'prod' } },
    },
    { executer: { type: 'set', field: 'repo', from: 'repo' }, expected: { a: 1, repo: 'access' } },
    { executer: { type: 'set', field: 'rev', from: 'revision' }, expected: { a: 1, rev: 'r1' } },
    {
      executer: { type: 'set', field: 'at', from: 'receivedAt' },
      expected: { a: 1, at: '2024-06-01T12:00:00.000Z' },
    },
    {
      executer: { type: 'set', field: 'at', from: 'receivedAtMs' },
      expected: { a: 1, at: testContext.receivedAt },
    },
    { executer: { type: 'set', field: 'ip', from: 'clientAddress' }, expected: { a: 1, ip: '203.0.113.7' } },
    {
      executer: { type: 'set', field: 'pop', from: 'header', header: 'X-Edge-Pop' },
      expected: { a: 1, pop: 'fra1' },
    },
    {
      executer: { type: 'set', field: 'm', from: 'header', header: 'x-multi' },
      expected: { a: 1, m: 'a, b' },
    },
    { executer: { type: 'set', field: 'h', from: 'header', header: 'x-absent' }, expected: { a: 1 } },
    {
      executer: { type: 'set', field: 'trace_id', from: 'traceId' },
      expected: { a: 1, trace_id: '4bf92f3577b34da6a3ce929d0e0e4736' },
    },
    {
      executer: { type: 'set', field: 'span_id', from: 'spanId' },
      expected: { a: 1, span_id: '00f067aa0ba902b7' },
    },
  ])('$executer', ({ executer, expected }) => {
    expect(transform([executer], { a: 1 })).toEqual(expected);
  });

  it('fails when a parent is not an object', () => {
    expect(transform([{ type: 'set', field: 'a.b', value: 'x' }], { a: 1 })).toMatchObject({
      kind: 'invalid',
      reason: 'set_failed',
    });
  });

  it.each([
    { executer: { type: 'set', field: 'a' }, path: '/repos/access/executers/0' },
    { executer: { type: 'set', field: 'a', value: 'x', from: 'repo' }, path: '/repos/access/executers/0' },
    { executer: { type: 'set', field: 'a', from: 'header' }, path: '/repos/access/executers/0/header' },
    {
      executer: { type: 'add', field: 'a', from: 'repo', header: 'x' },
      path: '/repos/access/executers/0/header',
    },
    { executer: { type: 'set', field: 'a', from: 'moon' }, path: '/repos/access/executers/0/from' },
    { executer: { type: 'set', field: '__proto__.x', value: 'v' }, path: '/repos/access/executers/0/field' },
    { executer: { type: 'set', field: 'a', value: { x: 1 } }, path: '/repos/access/executers/0/value' },
    { executer: { type: 'set', field: 'a', value: [1] }, path: '/repos/access/executers/0/value' },
    {
      executer: { type: 'set', field: 'a', value: 'x'.repeat(1025) },
      path: '/repos/access/executers/0/value',
    },
  ])('refuses $executer at $path', ({ executer, path }) => {
    expect(issuesOf({ executers: [executer] }).map((issue) => issue.path)).toContain(path);
  });
});

describe('remove and keep', () => {
  const record = { a: 1, b: { c: 2, d: 3 }, e: 'x' };
  it.each([
    { executer: { type: 'remove', fields: ['a'] }, expected: { b: { c: 2, d: 3 }, e: 'x' } },
    { executer: { type: 'remove', fields: ['b.c', 'e', 'missing', 'a.x'] }, expected: { a: 1, b: { d: 3 } } },
    { executer: { type: 'keep', fields: ['a', 'b.d', 'missing'] }, expected: { a: 1, b: { d: 3 } } },
    { executer: { type: 'keep', fields: ['b'] }, expected: { b: { c: 2, d: 3 } } },
    { executer: { type: 'keep', fields: ['missing'] }, expected: {} },
  ])('$executer', ({ executer, expected }) => {
    expect(transform([executer], structuredClone(record))).toEqual(expected);
  });

  it('keeps a __proto__ key of the line as plain data when allow-listed under its own name', () => {
    // Listing `__proto__` is refused at validation; the line's own key is simply dropped by keep.
    expect(transform([{ type: 'keep', fields: ['a'] }], JSON.parse('{"a":1,"__proto__":{"x":1}}'))).toEqual({
      a: 1,
    });
  });
});

describe('convert', () => {
  it.each([
    { value: '200', to: 'int', expected: 200 },
    { value: 200, to: 'int', expected: 200 },
    { value: '-7', to: 'int', expected: -7 },
    { value: '1.5', to: 'int', expected: 'fail' },
    { value: 1.5, to: 'int', expected: 'fail' },
    { value: '1e3', to: 'int', expected: 'fail' },
    { value: '99999999999999999999', to: 'int', expected: 'fail' },
    { value: 'abc', to: 'int', expected: 'fail' },
    { value: '0.25', to: 'float', expected: 0.25 },
    { value: '1e3', to: 'float', expected: 1000 },
    { value: 3, to: 'float', expected: 3 },
    { value: ' 1', to: 'float', expected: 'fail' },
    { value: '0x10', to: 'float', expected: 'fail' },
    { value: 'Infinity', to: 'float', expected: 'fail' },
    { value: '', to: 'float', expected: 'fail' },
    { value: 'true', to: 'bool', expected: true },
    { value: '0', to: 'bool', expected: false },
    { value: 1, to: 'bool', expected: true },
    { value: false, to: 'bool', expected: false },
    { value: 'yes', to: 'bool', expected: 'fail' },
    { value: 200, to: 'string', expected: '200' },
    { value: true, to: 'string', expected: 'true' },
    { value: { a: 1 }, to: 'string', expected: '{"a":1}' },
    { value: 'x', to: 'string', expected: 'x' },
  ])('$value to $to → $expected', ({ value, to, expected }) => {
    const result = transform([{ type: 'convert', fields: { v: to } }], { v: value });
    if (expected === 'fail') expect(result).toMatchObject({ kind: 'invalid', reason: 'convert_failed' });
    else expect(result).toEqual({ v: expected });
  });

  it('skips absent and null fields, and changes nothing when one field fails', () => {
    const executer = { type: 'convert', fields: { a: 'int', b: 'int', c: 'int' } };
    expect(transform([executer], { a: '1', c: null })).toEqual({ a: 1, c: null });
    expect(transform([executer], { a: '1', b: 'x' }, { onExecuterError: 'pass' })).toEqual({
      a: '1',
      b: 'x',
    });
  });
});

describe('timestamp', () => {
  it.each([
    {
      executer: { type: 'timestamp', field: 'ts', format: '%d/%b/%Y:%H:%M:%S %z' },
      value: '10/Oct/2023:13:55:36 +0200',
      expected: '2023-10-10T11:55:36.000Z',
    },
    {
      executer: { type: 'timestamp', field: 'ts', format: '%d/%b/%Y:%H:%M:%S %z', output: 'epoch-s' },
      value: '10/Oct/2023:13:55:36 +0000',
      expected: 1696946136,
    },
    {
      executer: { type: 'timestamp', field: 'ts', output: 'epoch-ms' },
      value: '2023-10-10T13:55:36.123Z',
      expected: 1696946136123,
    },
    {
      executer: { type: 'timestamp', field: 'ts', format: 'epoch-s' },
      value: 1696946136.5,
      expected: '2023-10-10T13:55:36.500Z',
    },
    {
      executer: { type: 'timestamp', field: 'ts', format: 'epoch-ms' },
      value: '1696946136123',
      expected: '2023-10-10T13:55:36.123Z',
    },
    {
      executer: { type: 'timestamp', field: 'ts', output: '%d/%b/%Y:%H:%M:%S %z' },
      value: '2023-10-10T15:55:36+02:00',
      expected: '10/Oct/2023:13:55:36 +0000',
    },
    {
      executer: { type: 'timestamp', field: 'ts', format: 'epoch-ms', output: '%F %T.%f' },
      value: 1696946136123,
      expected: '2023-10-10 13:55:36.123',
    },
    { executer: { type: 'timestamp', field: 'ts' }, value: 'yesterday', expected: 'fail' },
    { executer: { type: 'timestamp', field: 'ts', format: 'epoch-s' }, value: 'x', expected: 'fail' },
    { executer: { type: 'timestamp', field: 'ts' }, value: 1696946136, expected: 'fail' },
  ])('$executer.format $value → $expected', ({ executer, value, expected }) => {
    const result = transform([executer], { ts: value });
    if (expected === 'fail') expect(result).toMatchObject({ kind: 'invalid', reason: 'timestamp_failed' });
    else expect(result).toEqual({ ts: expected });
  });

  it('writes to a target and keeps the source', () => {
    expect(
      transform([{ type: 'timestamp', field: 'ts', target: 'time', output: 'epoch-ms' }], {
        ts: '2024-01-01T00:00:00Z',
      }),
    ).toEqual({ ts: '2024-01-01T00:00:00Z', time: 1704067200000 });
  });

  it.each([{ format: '%Q' }, { format: 'yyyy-MM-dd' }, { format: '%H:%M' }])(
    'refuses the format $format',
    ({ format }) => {
      expect(issuesOf({ executers: [{ type: 'timestamp', field: 'ts', format }] })).toEqual([
        { path: '/repos/access/executers/0/format', message: expect.any(String) },
      ]);
    },
  );

  it.each([{ output: '%Q' }, { output: 'local' }, { output: '' }])(
    'refuses the output $output',
    ({ output }) => {
      expect(issuesOf({ executers: [{ type: 'timestamp', field: 'ts', output }] })).toEqual([
        { path: '/repos/access/executers/0/output', message: expect.any(String) },
      ]);
    },
  );
});

describe('truncate', () => {
  it.each([
    { text: 'abcdef', max: 3, expected: 'abc' },
    { text: 'abc', max: 3, expected: 'abc' },
    { text: 'ab😀cd', max: 3, expected: 'ab' },
    { text: 'ab😀cd', max: 4, expected: 'ab😀' },
  ])('truncateText($text, $max) → $expected', ({ text, max, expected }) => {
    expect(truncateText(text, max)).toBe(expected);
  });

  it('caps listed string fields and skips the rest', () => {
    expect(
      transform([{ type: 'truncate', fields: ['ua', 'n', 'missing', 'short'], maxLength: 4 }], {
        ua: 'Mozilla/5.0',
        n: 123456,
        short: 'ab',
      }),
    ).toEqual({ ua: 'Mozi', n: 123456, short: 'ab' });
  });
});

describe('mask', () => {
  const record = {
    user: 'alice',
    password: 'hunter2',
    card: 'paid with 4111-1111-1111-1111 today',
    nested: { token: 'abc', list: [{ password: 'x' }, 'call 555-1234'] },
  };
  it.each([
    {
      name: 'keys at any depth',
      executer: { type: 'mask', keys: ['password', 'token'] },
      expected: {
        ...record,
        password: '***',
        nested: { token: '***', list: [{ password: '***' }, 'call 555-1234'] },
      },
    },
    {
      name: 'whole fields',
      executer: { type: 'mask', fields: ['user', 'nested.token', 'missing'], replacement: '[hidden]' },
      expected: { ...record, user: '[hidden]', nested: { ...record.nested, token: '[hidden]' } },
    },
    {
      name: 'a pattern in given fields',
      executer: {
        type: 'mask',
        fields: ['card'],
        pattern: '[0-9]{4}-[0-9]{4}-[0-9]{4}-([0-9]{4})',
        replacement: '****-$1',
      },
      expected: { ...record, card: 'paid with ****-1111 today' },
    },
    {
      name: 'a pattern everywhere',
      executer: { type: 'mask', pattern: '[0-9]{3}-[0-9]{4}' },
      expected: {
        ...record,
        card: 'paid with 4***-1*** today',
        nested: { token: 'abc', list: [{ password: 'x' }, 'call ***'] },
      },
    },
  ])('$name', ({ executer, expected }) => {
    expect(transform([executer], structuredClone(record))).toEqual(expected);
  });

  it('masks a value nested too deep to inspect whole instead of failing', () => {
    let deep: Record<string, unknown> = { password: 'x' };
    for (let level = 0; level < 40; level++) deep = { a: deep };
    const result = transform([{ type: 'mask', keys: ['password'] }], { top: deep }) as Record<
      string,
      unknown
    >;
    expect(JSON.stringify(result)).not.toContain('"x"');
    expect(JSON.stringify(result)).toContain('***');
  });

  it('keeps a __proto__ key own data when masking it', () => {
    const result = transform(
      [{ type: 'mask', keys: ['__proto__'] }],
      JSON.parse('{"__proto__":{"x":1},"a":1}'),
    );
    expect(result).toEqual(JSON.parse('{"__proto__":"***","a":1}'));
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });

  it('needs something to mask', () => {
    expect(issuesOf({ executers: [{ type: 'mask' }] })).toEqual([
      { path: '/repos/access/executers/0', message: expect.stringContaining('at least one of') },
    ]);
  });
});

describe('route', () => {
  const byService = {
    type: 'route',
    field: 'service',
    topics: { checkout: 'logs.checkout', '404': 'logs.missing', constructor: 'logs.c' },
  };
  const byRule = {
    type: 'route',
    rules: [
      { when: { field: 'status', gte: 500 }, topic: 'logs.errors' },
      { when: { field: 'status', gte: 400 }, topic: 'logs.client-errors' },
    ],
    default: 'logs.ok',
  };
  it.each([
    { executer: byService, record: { service: 'checkout' }, topic: 'logs.checkout' },
    { executer: byService, record: { service: 404 }, topic: 'logs.missing' },
    { executer: byService, record: { service: 'cart' }, topic: 'logs.access' },
    { executer: byService, record: { service: 'toString' }, topic: 'logs.access' },
    { executer: byService, record: {}, topic: 'logs.access' },
    { executer: { ...byService, default: 'logs.other' }, record: { service: 'cart' }, topic: 'logs.other' },
    { executer: byRule, record: { status: 503 }, topic: 'logs.errors' },
    { executer: byRule, record: { status: 404 }, topic: 'logs.client-errors' },
    { executer: byRule, record: { status: 200 }, topic: 'logs.ok' },
  ])('$record → $topic', ({ executer, record, topic }) => {
    expect(runLine(pipelineOf({ executers: [executer] }), record)).toMatchObject({ kind: 'accepted', topic });
  });

  it.each([
    { executer: { type: 'route' } },
    { executer: { type: 'route', field: 'a' } },
    {
      executer: {
        type: 'route',
        field: 'a',
        topics: { x: 't' },
        rules: [{ when: { field: 'a', exists: true }, topic: 't' }],
      },
    },
  ])('refuses $executer', ({ executer }) => {
    expect(issuesOf({ executers: [executer] })).toEqual([
      { path: '/repos/access/executers/0', message: expect.any(String) },
    ]);
  });
});

describe('drop-if', () => {
  it.each([
    {
      when: { field: 'path', equals: '/healthz' },
      reason: 'health_check',
      record: { path: '/healthz' },
      expected: { kind: 'dropped', reason: 'health_check' },
    },
    {
      when: { field: 'path', equals: '/healthz' },
      reason: undefined,
      record: { path: '/healthz' },
      expected: { kind: 'dropped', reason: 'drop_if' },
    },
    {
      when: { field: 'path', equals: '/healthz' },
      reason: undefined,
      record: { path: '/' },
      expected: { kind: 'accepted' },
    },
  ])('$when on $record → $expected', ({ when, reason, record, expected }) => {
    const executer = { type: 'drop-if', when, ...(reason ? { reason } : {}) };
    expect(runLine(pipelineOf({ executers: [executer] }), record)).toMatchObject(expected);
  });
});

describe('source and target fields', () => {
  it.each([
    { type: 'splitter', field: 'a..b', separator: ' ' },
    { type: 'timestamp', field: 'a..b' },
  ])('reports a bad $type field once, not again as the default target', (executer) => {
    expect(issuesOf({ executers: [executer] })).toEqual([
      { path: '/repos/access/executers/0/field', message: '"a..b" has an empty segment' },
    ]);
  });
});
