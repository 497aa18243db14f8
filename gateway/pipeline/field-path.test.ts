import { describe, expect, it } from 'vitest';
import {
  compileGetter,
  compileWriter,
  fieldPathProblem,
  numberOf,
  parseFieldPath,
  textOf,
} from './field-path.ts';

const get = (path: string, record: Record<string, unknown>) => compileGetter(parseFieldPath(path))(record);

describe('fieldPathProblem', () => {
  it.each([
    { path: 'status', problem: false },
    { path: 'http.request.method', problem: false },
    { path: 'tags.0', problem: false },
    { path: 'user-agent', problem: false },
    { path: '__proto__', problem: true },
    { path: 'a.constructor', problem: true },
    { path: 'a.prototype.b', problem: true },
    { path: 'a..b', problem: true },
    { path: '.a', problem: true },
    { path: 'a.', problem: true },
    { path: Array.from({ length: 33 }, () => 'a').join('.'), problem: true },
  ])('$path → problem: $problem', ({ path, problem }) => {
    expect(fieldPathProblem(path) !== undefined).toBe(problem);
  });
});

describe('compileGetter', () => {
  const record = JSON.parse('{"a":{"b":{"c":1}},"tags":["x","y"],"s":"text","__proto__":{"p":1},"n":null}');
  it.each([
    { path: 'a.b.c', expected: 1 },
    { path: 'a.b', expected: { c: 1 } },
    { path: 'a.x.c', expected: undefined },
    { path: 'tags.1', expected: 'y' },
    { path: 'tags.2', expected: undefined },
    { path: 'tags.length', expected: undefined },
    { path: 'tags.map', expected: undefined },
    { path: 's.length', expected: undefined },
    { path: 'n.x', expected: undefined },
    { path: 'toString', expected: undefined },
    { path: 'a.hasOwnProperty', expected: undefined },
    { path: 'a.b.valueOf', expected: undefined },
  ])('$path → $expected', ({ path, expected }) => {
    expect(get(path, record)).toEqual(expected);
  });

  it('reads a record’s own __proto__ key as data (refused in config, but never the prototype)', () => {
    expect(compileGetter(['__proto__'])(record)).toEqual({ p: 1 });
    expect(compileGetter(['__proto__'])({})).toBeUndefined();
  });
});

interface WriteCase {
  path: string;
  record: Record<string, unknown>;
  value: unknown;
  expected: unknown;
  ok: boolean;
}

describe('compileWriter', () => {
  it.each<WriteCase>([
    { path: 'a', record: {}, value: 1, expected: { a: 1 }, ok: true },
    { path: 'a.b.c', record: {}, value: 1, expected: { a: { b: { c: 1 } } }, ok: true },
    { path: 'a.b', record: { a: { x: 1 } }, value: 2, expected: { a: { x: 1, b: 2 } }, ok: true },
    { path: 'a.b', record: { a: null }, value: 2, expected: { a: { b: 2 } }, ok: true },
    { path: 'a.b.c', record: { a: 'text' }, value: 1, expected: { a: 'text' }, ok: false },
    { path: 'a.b.c', record: { a: [1] }, value: 1, expected: { a: [1] }, ok: false },
    { path: 'toString', record: {}, value: 'own', expected: { toString: 'own' }, ok: true },
  ])('set $path on $record', ({ path, record, value, expected, ok }) => {
    const copy = structuredClone(record);
    expect(compileWriter(parseFieldPath(path)).set(copy, value)).toBe(ok);
    expect(JSON.parse(JSON.stringify(copy))).toEqual(expected);
  });

  it('defines own data properties for names on Object.prototype', () => {
    const record: Record<string, unknown> = {};
    compileWriter(['__proto__']).set(record, { polluted: true });
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(Object.hasOwn(record, '__proto__')).toBe(true);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('removes by marking absent, which JSON leaves out', () => {
    const record = { a: { b: 1, c: 2 }, d: 3 };
    const writer = compileWriter(parseFieldPath('a.b'));
    expect(writer.remove(record)).toBe(true);
    expect(writer.remove(record)).toBe(false);
    expect(compileWriter(['x', 'y']).remove(record)).toBe(false);
    expect(JSON.stringify(record)).toBe('{"a":{"c":2},"d":3}');
  });
});

describe('textOf and numberOf', () => {
  it.each([
    { value: 'a', text: 'a', number: undefined },
    { value: 404, text: '404', number: 404 },
    { value: '404', text: '404', number: 404 },
    { value: '-1.5e3', text: '-1.5e3', number: -1500 },
    { value: '.5', text: '.5', number: 0.5 },
    { value: '', text: '', number: undefined },
    { value: ' 1', text: ' 1', number: undefined },
    { value: '0x10', text: '0x10', number: undefined },
    { value: 'Infinity', text: 'Infinity', number: undefined },
    { value: '1e999', text: '1e999', number: undefined },
    { value: Number.POSITIVE_INFINITY, text: undefined, number: undefined },
    { value: true, text: 'true', number: undefined },
    { value: null, text: undefined, number: undefined },
    { value: { a: 1 }, text: undefined, number: undefined },
  ])('$value', ({ value, text, number }) => {
    expect(textOf(value)).toBe(text);
    expect(numberOf(value)).toBe(number);
  });
});
