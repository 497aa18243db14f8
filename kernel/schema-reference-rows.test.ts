import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import {
  code,
  constraintsOf,
  markdownTable,
  prose,
  referenceRows,
  typeName,
} from './schema-reference-rows.ts';

describe('typeName', () => {
  it.each([
    ['a string', Type.String(), 'string'],
    ['an integer', Type.Integer(), 'integer'],
    ['a boolean', Type.Boolean(), 'boolean'],
    ['a literal', Type.Literal('kafka'), 'constant "kafka"'],
    ['a union of literals', Type.Union([Type.Literal('a'), Type.Literal('b')]), 'enum'],
    ['an array', Type.Array(Type.String()), 'array of string'],
    [
      'a record',
      Type.Record(Type.String({ pattern: '^[a-z]+$' }), Type.Integer()),
      'map of string → integer',
    ],
    [
      'a discriminated union',
      Type.Union([Type.Object({ type: Type.Literal('x') }), Type.Object({ type: Type.Literal('y') })]),
      'object, by type: x, y',
    ],
  ])('names %s', (_name, schema, expected) => {
    expect(typeName(schema)).toBe(expected);
  });

  it('uses a link instead when the caller gives one', () => {
    expect(
      typeName(Type.Array(Type.Object({})), { link: (s) => (s.type === 'object' ? '[o](#o)' : undefined) }),
    ).toBe('array of [o](#o)');
  });
});

describe('constraintsOf', () => {
  it.each([
    [Type.Integer({ minimum: 1, maximum: 5 }), false, 'range 1–5'],
    [Type.Integer({ minimum: 0 }), true, 'required; range ≥ 0'],
    [
      Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z]+$' }),
      false,
      'length 1–63; pattern `^[a-z]+$`',
    ],
    [Type.Union([Type.Literal('a'), Type.Literal('b')]), false, 'one of `a`, `b`'],
    [Type.Array(Type.String({ maxLength: 9 }), { maxItems: 3 }), false, 'items ≤ 3; each: length ≤ 9'],
    [Type.String({ pattern: '^[`a]$' }), false, 'pattern `` ^[`a]$ ``'],
  ])('%j (required %s) → %s', (schema, required, expected) => {
    expect(constraintsOf(schema, required)).toBe(expected);
  });
});

describe('referenceRows', () => {
  const schema = Type.Object({
    name: Type.String({ description: 'The name.' }),
    mode: Type.Union([Type.Literal('a'), Type.Literal('b')], { default: 'a' }),
    limits: Type.Optional(Type.Object({ max: Type.Integer({ default: 5 }) }, { description: 'Limits.' })),
    items: Type.Array(Type.Object({ id: Type.String() })),
    byName: Type.Record(Type.String({ pattern: '^[a-z]+$' }), Type.Object({ on: Type.Boolean() })),
  });

  it('flattens nested objects, arrays and maps by dotted path, in schema order', () => {
    expect(referenceRows(schema, 'spec').map((row) => row.path)).toEqual([
      'spec.name',
      'spec.mode',
      'spec.limits',
      'spec.limits.max',
      'spec.items',
      'spec.items[].id',
      'spec.byName',
      'spec.byName.<name>.on',
    ]);
  });

  it('shows defaults as JSON and does not call a field with a default required', () => {
    const rows = referenceRows(schema);
    expect(rows.find((row) => row.path === 'mode')).toEqual({
      path: 'mode',
      type: 'enum',
      default: '`"a"`',
      constraints: 'one of `a`, `b`',
      description: '',
    });
    expect(rows.find((row) => row.path === 'name')?.constraints).toBe('required');
  });

  it('does not descend into linked schemas', () => {
    const rows = referenceRows(schema, '', {
      link: (s) => (s.description === 'Limits.' ? '[limits](#l)' : undefined),
    });
    expect(rows.map((row) => row.path)).not.toContain('limits.max');
    expect(rows.find((row) => row.path === 'limits')?.type).toBe('[limits](#l)');
  });
});

describe('Markdown', () => {
  it('escapes pipes in cells, and HTML and emphasis outside code spans only', () => {
    expect(prose('a <b> *c* __d__ `<e>|*`')).toBe('a &lt;b&gt; \\*c\\* \\_\\_d\\_\\_ `<e>|*`');
    const table = markdownTable([
      { path: 'a', type: 'enum', default: '', constraints: 'pattern `x|y`', description: 'p|q' },
    ]);
    expect(table.split('\n')[2]).toBe('| `a` | enum |  | pattern `x\\|y` | p\\|q |');
  });

  it.each([
    ['abc', '`abc`'],
    ['a`b', '`` a`b ``'],
  ])('code(%j) → %s', (text, expected) => {
    expect(code(text)).toBe(expected);
  });
});
