/** A decoded line: a plain JSON object (from JSON.parse or built by the pipeline). */
export type JsonRecord = Record<string, unknown>;

/**
 * Field paths are dotted (`a.b.c`): each segment names an own property of a
 * nested object; a canonical integer segment also indexes an array on reads.
 *
 * Prototype safety: reads only ever see own properties, and writes only ever
 * create or update own data properties. Segments that name a member of
 * Object.prototype (`__proto__`, `toString`, …) go through Object.hasOwn and
 * Object.defineProperty; every other segment cannot reach the prototype, so
 * plain property access (the fast path) is equivalent for them. `__proto__`,
 * `constructor` and `prototype` are refused at config validation anyway.
 *
 * Removal writes `undefined` instead of deleting: the object keeps its fast
 * shape (a `delete` turns it into a slow dictionary), JSON.stringify leaves
 * the property out, and every reader treats `undefined` as absent.
 */
export type FieldPath = readonly string[];

const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_SEGMENTS = 32;

/** Why `text` is not a usable field path, or undefined when it is. */
export function fieldPathProblem(text: string): string | undefined {
  const segments = text.split('.');
  if (segments.length > MAX_SEGMENTS) return `a field path has at most ${MAX_SEGMENTS} segments`;
  if (segments.some((segment) => segment === '')) return `"${text}" has an empty segment`;
  const forbidden = segments.find((segment) => FORBIDDEN_SEGMENTS.has(segment));
  if (forbidden !== undefined) return `the segment "${forbidden}" is not allowed in a field path`;
  return undefined;
}

export function parseFieldPath(text: string): FieldPath {
  return text.split('.');
}

const onPrototype = (key: string): boolean => key in Object.prototype;
const ARRAY_INDEX = /^(0|[1-9][0-9]{0,8})$/;

/** Reads one own property of a container, or undefined. */
function readSegment(key: string): (container: unknown) => unknown {
  const index = ARRAY_INDEX.test(key) ? Number(key) : -1;
  const guarded = onPrototype(key);
  return (container) => {
    if (typeof container !== 'object' || container === null) return undefined;
    if (Array.isArray(container)) return index >= 0 ? container[index] : undefined;
    if (guarded) return Object.hasOwn(container, key) ? (container as JsonRecord)[key] : undefined;
    return (container as JsonRecord)[key];
  };
}

/** Defines (or updates) an own data property; never runs a prototype setter. */
export function writeOwn(target: JsonRecord, key: string, value: unknown): void {
  if (onPrototype(key)) {
    Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    target[key] = value;
  }
}

const isObject = (value: unknown): value is JsonRecord =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export type FieldGetter = (record: JsonRecord) => unknown;

/** Compiles a reader: the value at the path, or undefined when any part is absent. */
export function compileGetter(path: FieldPath): FieldGetter {
  const readers = path.map(readSegment);
  if (readers.length === 1) {
    const key = path[0] as string;
    if (!onPrototype(key)) return (record) => record[key];
    return readers[0] as FieldGetter;
  }
  if (readers.length === 2) {
    const [first, second] = readers as [FieldGetter, (container: unknown) => unknown];
    return (record) => second(first(record));
  }
  return (record) => {
    let current: unknown = record;
    for (const read of readers) {
      current = read(current);
      if (current === undefined) return undefined;
    }
    return current;
  };
}

export interface FieldWriter {
  /** Writes the value, creating missing parent objects. False (and nothing written) when a parent is not an object. */
  set(record: JsonRecord, value: unknown): boolean;
  /** Whether `set` would succeed, without writing. */
  canSet(record: JsonRecord): boolean;
  /** Marks the field absent; true when it was present. */
  remove(record: JsonRecord): boolean;
}

export function compileWriter(path: FieldPath): FieldWriter {
  const parents = path.slice(0, -1);
  const parentReaders = parents.map(readSegment);
  const last = path[path.length - 1] as string;
  const readLast = readSegment(last);
  const fastLast = !onPrototype(last);

  const parentOf = (record: JsonRecord, create: boolean): JsonRecord | undefined => {
    let current = record;
    for (let index = 0; index < parentReaders.length; index++) {
      const next = (parentReaders[index] as (container: unknown) => unknown)(current);
      if (next === undefined || next === null) {
        if (!create) return undefined;
        const created: JsonRecord = {};
        writeOwn(current, parents[index] as string, created);
        current = created;
      } else if (isObject(next)) {
        current = next;
      } else {
        return undefined;
      }
    }
    return current;
  };

  return {
    set(record, value) {
      if (parentReaders.length === 0) {
        if (fastLast) record[last] = value;
        else writeOwn(record, last, value);
        return true;
      }
      // Check first, so a failed write leaves no created parents behind.
      if (!this.canSet(record)) return false;
      const parent = parentOf(record, true) as JsonRecord;
      // Whether the name needs the guarded write is known from the path: not asked per line.
      if (fastLast) parent[last] = value;
      else writeOwn(parent, last, value);
      return true;
    },
    canSet(record) {
      let current: unknown = record;
      for (const read of parentReaders) {
        current = read(current);
        if (current === undefined || current === null) return true;
        if (!isObject(current)) return false;
      }
      return true;
    },
    remove(record) {
      const parent = parentReaders.length === 0 ? record : parentOf(record, false);
      if (parent === undefined || readLast(parent) === undefined) return false;
      if (fastLast) parent[last] = undefined;
      else writeOwn(parent, last, undefined);
      return true;
    },
  };
}

/**
 * The text a scalar compares by: strings as they are, finite numbers and
 * booleans in their JSON text. Objects, arrays, null and absent fields have
 * none.
 */
export function textOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : undefined;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return undefined;
}

/**
 * A number from a JSON number or a strictly decimal string (`-12`, `3.5`,
 * `1e3`; no blanks, hex, `Infinity` or empty string), else undefined.
 */
export function numberOf(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string' || value.length === 0 || value.length > 64) return undefined;
  if (!isDecimalText(value)) return undefined;
  const number = Number(value);
  return Number.isFinite(number) ? number : undefined;
}

/** `-?digits(.digits)?([eE][+-]?digits)?` (a leading `+` and `.5` / `5.` are accepted), by hand: no regex per line. */
function isDecimalText(text: string): boolean {
  let index = 0;
  const length = text.length;
  const code = (at: number) => text.charCodeAt(at);
  const isDigit = (at: number) => at < length && code(at) >= 48 && code(at) <= 57;
  if (code(0) === 45 || code(0) === 43) index++;
  let digits = 0;
  while (isDigit(index)) {
    index++;
    digits++;
  }
  if (index < length && code(index) === 46) {
    index++;
    while (isDigit(index)) {
      index++;
      digits++;
    }
  }
  if (digits === 0) return false;
  if (index < length && (code(index) === 101 || code(index) === 69)) {
    index++;
    if (index < length && (code(index) === 45 || code(index) === 43)) index++;
    if (!isDigit(index)) return false;
    while (isDigit(index)) index++;
  }
  return index === length;
}
