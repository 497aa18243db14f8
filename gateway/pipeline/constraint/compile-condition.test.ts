import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ConditionConfig } from '../../../kernel/pipeline-schema.ts';
import { issuesOf, pipelineOf, runLine } from '../../../test/support/pipeline-kit.ts';
import type { CompileScope } from '../compile-scope.ts';
import { textOf } from '../field-path.ts';
import { compileCondition } from './compile-condition.ts';

const holds = (condition: ConditionConfig, record: Record<string, unknown>): boolean => {
  const scope: CompileScope = { repo: 'access', revision: 'r1', issues: [] };
  const predicate = compileCondition(condition, scope, '/c');
  expect(scope.issues).toEqual([]);
  return predicate(record);
};

const record = {
  status: 503,
  code: '404',
  path: '/api/v1/users',
  host: 'edge-1.example.net',
  cached: true,
  empty: '',
  nothing: null,
  rt: '0.25',
  huge: Number.POSITIVE_INFINITY,
  zero: -0,
  tags: ['a', 'b'],
  http: { method: 'GET', headers: { 'user-agent': 'curl/8.0' } },
};

describe('constraint operators', () => {
  it.each([
    { condition: { field: 'status', exists: true }, expected: true },
    { condition: { field: 'missing', exists: true }, expected: false },
    { condition: { field: 'nothing', exists: true }, expected: false },
    { condition: { field: 'empty', exists: true }, expected: true },
    { condition: { field: 'missing', exists: false }, expected: true },
    { condition: { field: 'nothing', exists: false }, expected: true },
    { condition: { field: 'http.method', exists: true }, expected: true },
    { condition: { field: 'http.method.x', exists: true }, expected: false },
    { condition: { field: 'toString', exists: true }, expected: false },
  ])('exists: $condition → $expected', ({ condition, expected }) => {
    expect(holds(condition, record)).toBe(expected);
  });

  it.each([
    { condition: { field: 'path', equals: '/api/v1/users' }, expected: true },
    { condition: { field: 'path', equals: '/api' }, expected: false },
    { condition: { field: 'status', equals: '503' }, expected: true },
    { condition: { field: 'code', equals: '404' }, expected: true },
    { condition: { field: 'cached', equals: 'true' }, expected: true },
    { condition: { field: 'nothing', equals: 'null' }, expected: false },
    { condition: { field: 'huge', equals: 'Infinity' }, expected: false },
    { condition: { field: 'status', equals: '503.0' }, expected: false },
    { condition: { field: 'tags', equals: 'a,b' }, expected: false },
    { condition: { field: 'missing', equals: '' }, expected: false },
    { condition: { field: 'http.headers.user-agent', equals: 'curl/8.0' }, expected: true },
  ])('equals: $condition → $expected', ({ condition, expected }) => {
    expect(holds(condition, record)).toBe(expected);
  });

  it.each([
    { condition: { field: 'status', in: ['500', '503'] }, expected: true },
    { condition: { field: 'status', in: ['200'] }, expected: false },
    { condition: { field: 'missing', in: ['x'] }, expected: false },
    { condition: { field: 'status', notIn: ['200', '204'] }, expected: true },
    { condition: { field: 'status', notIn: ['503'] }, expected: false },
    { condition: { field: 'missing', notIn: ['x'] }, expected: false },
    { condition: { field: 'http', notIn: ['x'] }, expected: false },
    { condition: { field: 'huge', notIn: ['x'] }, expected: false },
    { condition: { field: 'huge', in: ['Infinity'] }, expected: false },
    { condition: { field: 'status', in: ['503.0', '5.03e2'] }, expected: false },
    { condition: { field: 'zero', in: ['0'] }, expected: true },
  ])('in / notIn: $condition → $expected', ({ condition, expected }) => {
    expect(holds(condition, record)).toBe(expected);
  });

  it.each([
    { condition: { field: 'path', regex: '^/api/v[0-9]+/' }, expected: true },
    { condition: { field: 'path', regex: 'users$' }, expected: true },
    { condition: { field: 'path', regex: '^users' }, expected: false },
    { condition: { field: 'host', regex: '(?i)EDGE-[0-9]' }, expected: true },
    { condition: { field: 'status', regex: '^5..$' }, expected: true },
    { condition: { field: 'missing', regex: '.*' }, expected: false },
    { condition: { field: 'http', regex: '.*' }, expected: false },
  ])('regex: $condition → $expected', ({ condition, expected }) => {
    expect(holds(condition, record)).toBe(expected);
  });

  it.each([
    { condition: { field: 'path', prefix: '/api/' }, expected: true },
    { condition: { field: 'path', prefix: 'api' }, expected: false },
    { condition: { field: 'status', prefix: '5' }, expected: true },
    { condition: { field: 'host', suffix: '.example.net' }, expected: true },
    { condition: { field: 'host', suffix: '.example.com' }, expected: false },
    { condition: { field: 'path', contains: '/v1/' }, expected: true },
    { condition: { field: 'path', contains: '/v2/' }, expected: false },
    { condition: { field: 'missing', contains: '' }, expected: false },
    { condition: { field: 'empty', contains: '' }, expected: true },
  ])('prefix / suffix / contains: $condition → $expected', ({ condition, expected }) => {
    expect(holds(condition, record)).toBe(expected);
  });

  it.each([
    { condition: { field: 'status', gt: 500 }, expected: true },
    { condition: { field: 'status', gt: 503 }, expected: false },
    { condition: { field: 'status', gte: 503 }, expected: true },
    { condition: { field: 'status', lt: 503 }, expected: false },
    { condition: { field: 'status', lte: 503 }, expected: true },
    { condition: { field: 'code', gte: 400 }, expected: true },
    { condition: { field: 'rt', gt: 0.2 }, expected: true },
    { condition: { field: 'path', gt: 0 }, expected: false },
    { condition: { field: 'empty', lt: 1 }, expected: false },
    { condition: { field: 'cached', gt: 0 }, expected: false },
    { condition: { field: 'missing', lt: 1 }, expected: false },
    { condition: { field: 'status', gte: 500, lt: 600 }, expected: true },
    { condition: { field: 'status', gte: 400, lt: 500 }, expected: false },
  ])('numeric: $condition → $expected', ({ condition, expected }) => {
    expect(holds(condition, record)).toBe(expected);
  });

  it.each([
    {
      condition: {
        all: [
          { field: 'status', gte: 500 },
          { field: 'path', prefix: '/api' },
        ],
      },
      expected: true,
    },
    {
      condition: {
        all: [
          { field: 'status', gte: 500 },
          { field: 'path', prefix: '/web' },
        ],
      },
      expected: false,
    },
    {
      condition: {
        any: [
          { field: 'status', lt: 400 },
          { field: 'path', prefix: '/api' },
        ],
      },
      expected: true,
    },
    {
      condition: {
        any: [
          { field: 'status', lt: 400 },
          { field: 'path', prefix: '/web' },
        ],
      },
      expected: false,
    },
    { condition: { not: { field: 'path', equals: '/healthz' } }, expected: true },
    { condition: { not: { field: 'missing', in: ['x'] } }, expected: true },
    {
      condition: {
        any: [
          { all: [{ field: 'status', gte: 500 }, { not: { field: 'host', prefix: 'edge-2' } }] },
          { field: 'cached', equals: 'false' },
        ],
      },
      expected: true,
    },
  ])('combinators: $condition → $expected', ({ condition, expected }) => {
    expect(holds(condition as ConditionConfig, record)).toBe(expected);
  });
});

describe('text comparison', () => {
  it('equals, in and notIn agree with comparing the JSON text, whatever the value', () => {
    const value = fc.oneof(fc.jsonValue({ maxDepth: 1 }), fc.double(), fc.integer().map(String));
    const text = fc.oneof(fc.string(), fc.integer().map(String), fc.double().map(String));
    fc.assert(
      fc.property(value, fc.array(text, { minLength: 1, maxLength: 4 }), (v, texts) => {
        const actual = textOf(v);
        const first = texts[0] as string;
        expect(holds({ field: 'v', equals: first }, { v })).toBe(actual === first);
        expect(holds({ field: 'v', in: texts }, { v })).toBe(actual !== undefined && texts.includes(actual));
        expect(holds({ field: 'v', notIn: texts }, { v })).toBe(
          actual !== undefined && !texts.includes(actual),
        );
      }),
    );
  });
});

describe('constraint in a pipeline', () => {
  it('drops failing lines under its reason and passes the others untouched', () => {
    const pipeline = pipelineOf({ constraint: { field: 'status', exists: true, reason: 'no_status' } });
    expect(runLine(pipeline, '{"status":200}')).toMatchObject({ kind: 'accepted' });
    expect(runLine(pipeline, '{"x":1}')).toEqual({ kind: 'dropped', reason: 'no_status' });
    expect(runLine(pipelineOf({ constraint: { field: 'a', exists: true } }), '{}')).toEqual({
      kind: 'dropped',
      reason: 'constraint',
    });
  });

  it.each([
    {
      name: 'a field test mixed with a combinator',
      constraint: { field: 'a', exists: true, all: [{ field: 'b', exists: true }] },
      path: '/repos/access/constraint',
    },
    {
      name: 'two combinators',
      constraint: { all: [{ field: 'a', exists: true }], any: [{ field: 'b', exists: true }] },
      path: '/repos/access/constraint',
    },
    { name: 'a field without operator', constraint: { field: 'a' }, path: '/repos/access/constraint' },
    {
      name: 'an operator without field',
      constraint: { equals: 'x' },
      path: '/repos/access/constraint/field',
    },
    { name: 'an empty condition', constraint: {}, path: '/repos/access/constraint/field' },
    {
      name: 'a backreference',
      constraint: { field: 'a', regex: '(a)\\1' },
      path: '/repos/access/constraint/regex',
    },
    {
      name: 'a lookahead',
      constraint: { field: 'a', regex: 'a(?=b)' },
      path: '/repos/access/constraint/regex',
    },
    {
      name: 'an unclosed class',
      constraint: { field: 'a', regex: '[a' },
      path: '/repos/access/constraint/regex',
    },
    {
      name: 'a huge repeat',
      constraint: { field: 'a', regex: '((a{100}){100}){100}' },
      path: '/repos/access/constraint/regex',
    },
    {
      name: 'a __proto__ path',
      constraint: { field: 'a.__proto__', exists: true },
      path: '/repos/access/constraint/field',
    },
    {
      name: 'a constructor path',
      constraint: { field: 'constructor', exists: true },
      path: '/repos/access/constraint/field',
    },
    {
      name: 'an empty segment',
      constraint: { field: 'a..b', exists: true },
      path: '/repos/access/constraint/field',
    },
    {
      name: 'a nested problem',
      constraint: { any: [{ not: { field: 'x', regex: '(' } }] },
      path: '/repos/access/constraint/any/0/not/regex',
    },
    {
      name: 'nesting deeper than 3 levels',
      constraint: { all: [{ any: [{ not: { all: [{ field: 'a', exists: true }] } }] }] },
      path: '/repos/access/constraint/all/0/any/0/not/all',
    },
    {
      name: 'a bad reason',
      constraint: { field: 'a', exists: true, reason: 'Bad Reason' },
      path: '/repos/access/constraint/reason',
    },
  ])('refuses $name at $path', ({ constraint, path }) => {
    const issues = issuesOf({ constraint });
    expect(issues.map((issue) => issue.path)).toContain(path);
  });
});
