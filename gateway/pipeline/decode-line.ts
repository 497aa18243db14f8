import { isUtf8 } from 'node:buffer';
import type { DecoderConfig } from '../../kernel/pipeline-schema.ts';
import { type CompileScope, fieldAt } from './compile-scope.ts';
import { compileWriter, type JsonRecord, writeOwn } from './field-path.ts';
import { memberCapture, scanJson } from './json-scan.ts';
import { type InvalidOutcome, invalidOutcome } from './line-outcome.ts';

export type Decoded = { readonly kind: undefined; readonly record: JsonRecord } | InvalidOutcome;

export type LineDecoder = (line: Buffer, utf8Checked?: boolean) => Decoded;

const INVALID_UTF8 = invalidOutcome('invalid_utf8', 'line is not valid UTF-8');
const INVALID_JSON = invalidOutcome('invalid_json', 'line is not valid JSON');
const TOO_DEEP = invalidOutcome('invalid_json', 'line nests too deeply');
const NOT_AN_OBJECT = invalidOutcome('not_an_object', 'line is JSON but not an object');

export function compileDecoder(config: DecoderConfig, scope: CompileScope, path: string): LineDecoder {
  if (config.type === 'json') return decodeJsonObject;
  const writer = compileWriter(fieldAt(scope, `${path}/field`, config.field ?? 'message'));
  return (line, utf8Checked) => {
    if (!utf8Checked && !isUtf8(line)) return INVALID_UTF8;
    const record: JsonRecord = {};
    writer.set(record, line.toString('utf8'));
    return { kind: undefined, record };
  };
}

/**
 * Decodes one JSONL line into an object. Rejects invalid UTF-8 (rather than
 * silently substituting U+FFFD), invalid JSON and JSON values other than
 * objects. JSON.parse defines `__proto__` as an own property, so hostile keys
 * cannot reach any prototype.
 */
export function decodeJsonObject(line: Buffer, utf8Checked = false): Decoded {
  if (!utf8Checked && !isUtf8(line)) return INVALID_UTF8;
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch (error) {
    return error instanceof RangeError ? TOO_DEEP : INVALID_JSON;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return NOT_AN_OBJECT;
  return { kind: undefined, record: value as JsonRecord };
}

/** The record of a line that is read for no field: shared, and frozen so nothing writes it. */
const NO_FIELDS: JsonRecord = Object.freeze({});

/**
 * The decoder of a pipeline that never changes a record (it forwards the line's
 * original bytes) and reads only the top-level members `fields`: it answers
 * exactly as decodeJsonObject does (the same invalid outcomes for the same
 * lines), but checks the JSON grammar without building the object, and the
 * record it returns holds only the members read, each parsed from its own
 * bytes, as JSON.parse would have built it (the last of duplicate keys, own
 * properties). Getters of paths under those members then read what they would
 * read in the whole record.
 */
export function compileReadOnlyDecoder(fields: ReadonlySet<string>): LineDecoder {
  if (fields.size === 0) {
    const decoded: Decoded = Object.freeze({ kind: undefined, record: NO_FIELDS });
    return (line, utf8Checked) => {
      if (!utf8Checked && !isUtf8(line)) return INVALID_UTF8;
      const shape = scanJson(line);
      if (shape === 'object') return decoded;
      return shape === 'invalid' ? INVALID_JSON : NOT_AN_OBJECT;
    };
  }
  const capture = memberCapture([...fields]);
  const { names, spans } = capture;
  return (line, utf8Checked) => {
    if (!utf8Checked && !isUtf8(line)) return INVALID_UTF8;
    const shape = scanJson(line, capture);
    if (shape !== 'object') return shape === 'invalid' ? INVALID_JSON : NOT_AN_OBJECT;
    const record: JsonRecord = {};
    for (let slot = 0; slot < names.length; slot++) {
      const start = spans[slot * 2] as number;
      if (start < 0) continue;
      const text = line.toString('utf8', start, spans[slot * 2 + 1]);
      // writeOwn: a member named like an Object.prototype member stays an own property.
      writeOwn(record, names[slot] as string, JSON.parse(text));
    }
    return { kind: undefined, record };
  };
}
