import { isUtf8 } from 'node:buffer';
import type { DecoderConfig } from '../../kernel/pipeline-schema.ts';
import { type CompileScope, fieldAt } from './compile-scope.ts';
import { compileWriter, type JsonRecord } from './field-path.ts';
import { scanJson } from './json-scan.ts';
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
const NO_FIELDS_DECODED: Decoded = Object.freeze({ kind: undefined, record: NO_FIELDS });

/**
 * The decoder of a pipeline that never changes a record (it forwards the line's
 * original bytes). When it reads no field either (pass-through, a sampler, a
 * fixed route, request headers only), nothing needs the object, so the line's
 * JSON is checked without building it: the same invalid outcomes for the same
 * lines as decodeJsonObject, and a shared empty record. A pipeline that reads
 * fields gets decodeJsonObject: building only the members it reads (scanning
 * for them and parsing each from its own bytes) measured slower than
 * JSON.parse of the whole line for the bench's access-log lines.
 */
export function compileReadOnlyDecoder(fields: ReadonlySet<string>): LineDecoder {
  if (fields.size > 0) return decodeJsonObject;
  return (line, utf8Checked) => {
    if (!utf8Checked && !isUtf8(line)) return INVALID_UTF8;
    const shape = scanJson(line);
    if (shape === 'object') return NO_FIELDS_DECODED;
    return shape === 'invalid' ? INVALID_JSON : NOT_AN_OBJECT;
  };
}
