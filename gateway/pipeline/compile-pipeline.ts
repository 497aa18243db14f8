import { isUtf8 } from 'node:buffer';
import type { RepoConfig } from '../config/schema.ts';
import type { CompiledPipeline, LineContext, LineOutcome } from './line-outcome.ts';

export type JsonRecord = Record<string, unknown>;

/** The record being processed; steps may change it in place or replace it. */
export interface LineState {
  record: JsonRecord;
  topic: string;
}

/**
 * One executer, compiled from config once. At run time it only transforms the
 * state; it returns an outcome to end the line early (dropped or invalid) and
 * undefined to continue. Steps must not throw; the pipeline still guards them.
 */
export type PipelineStep = (state: LineState, context: LineContext) => LineOutcome | undefined;

/**
 * Compiles a repo into one function: decode → steps in order → serialize.
 * With no steps the original line bytes are produced as they are: a
 * pass-through repo never re-serializes.
 */
export function compilePipeline(
  repo: Pick<RepoConfig, 'topic' | 'key'>,
  steps: readonly PipelineStep[] = [],
): CompiledPipeline {
  const keyOf = repo.key === undefined ? () => null : compileKeyExtractor(repo.key);
  const passThrough = steps.length === 0;
  return (line, context) => {
    const decoded = decodeJsonObject(line);
    if (decoded.kind !== undefined) return decoded;
    const state: LineState = { record: decoded.record, topic: repo.topic };
    for (const step of steps) {
      let outcome: LineOutcome | undefined;
      try {
        outcome = step(state, context);
      } catch (error) {
        outcome = { kind: 'invalid', reason: 'executer_failed', message: (error as Error).message };
      }
      if (outcome !== undefined) return outcome;
    }
    const key = keyOf(state.record);
    if (passThrough) return { kind: 'accepted', topic: state.topic, key, value: line };
    return { kind: 'accepted', topic: state.topic, key, value: Buffer.from(JSON.stringify(state.record)) };
  };
}

type Decoded =
  | { readonly kind: undefined; readonly record: JsonRecord }
  | Extract<LineOutcome, { kind: 'invalid' }>;

/**
 * Decodes one JSONL line into an object. Rejects invalid UTF-8 (rather than
 * silently substituting U+FFFD), invalid JSON and JSON values other than
 * objects. JSON.parse defines `__proto__` as an own property, so hostile keys
 * cannot reach any prototype.
 */
export function decodeJsonObject(line: Buffer): Decoded {
  if (!isUtf8(line)) return { kind: 'invalid', reason: 'invalid_utf8', message: 'line is not valid UTF-8' };
  let value: unknown;
  try {
    value = JSON.parse(line.toString('utf8'));
  } catch (error) {
    const message = error instanceof RangeError ? 'line nests too deeply' : 'line is not valid JSON';
    return { kind: 'invalid', reason: 'invalid_json', message };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { kind: 'invalid', reason: 'not_an_object', message: 'line is JSON but not an object' };
  }
  return { kind: undefined, record: value as JsonRecord };
}

/**
 * Message keys come from a top-level field. Only own properties count, so a
 * key field named `constructor` never picks up a prototype member. Strings are
 * used as they are, other scalars in their JSON text; a missing or null field
 * gives no key (the partitioner spreads such messages).
 */
export function compileKeyExtractor(field: string): (record: JsonRecord) => string | null {
  return (record) => {
    if (!Object.hasOwn(record, field)) return null;
    const value = record[field];
    if (value === null || value === undefined) return null;
    return typeof value === 'string' ? value : JSON.stringify(value);
  };
}
