import { isUtf8 } from 'node:buffer';
import type { DecoderConfig } from '../../kernel/pipeline-schema.ts';
import { type CompileScope, fieldAt } from './compile-scope.ts';
import { compileWriter, type JsonRecord } from './field-path.ts';
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
