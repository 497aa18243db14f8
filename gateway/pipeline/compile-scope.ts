import type { SchemaIssue } from '../../kernel/schema-walk.ts';
import {
  compileGetter,
  compileWriter,
  type FieldGetter,
  type FieldPath,
  type FieldWriter,
  fieldPathProblem,
  parseFieldPath,
} from './field-path.ts';
import { compileSafeRegex, type SafeRegex } from './safe-regex.ts';

/**
 * What compiling one repo's pipeline knows and collects. Config problems the
 * schema cannot express (a bad pattern, a forbidden path segment, exclusive
 * fields) are recorded as issues with JSON-pointer paths instead of thrown, so
 * config validation and compilation share one code path.
 */
export interface CompileScope {
  /** The repo name (seeds the sampler, labels dead letters). */
  readonly repo: string;
  readonly revision: string;
  readonly issues: SchemaIssue[];
  /**
   * The first segment of every field path the config names, gathered by fieldAt. In a
   * pipeline that changes no record these are all the fields it can read; when there are
   * none, its decoder builds no object at all (see compileReadOnlyDecoder). So every field
   * reader of a pipeline step, condition, key or header must come from a path given by fieldAt.
   */
  readonly fields?: Set<string>;
}

export function addIssue(scope: CompileScope, path: string, message: string): void {
  scope.issues.push({ path, message });
}

/** Parses a field path, recording an issue at `path` when it is unusable. */
export function fieldAt(scope: CompileScope, path: string, text: string): FieldPath {
  const problem = fieldPathProblem(text);
  if (problem !== undefined) addIssue(scope, path, problem);
  const fieldPath = parseFieldPath(text);
  scope.fields?.add(fieldPath[0] as string);
  return fieldPath;
}

/** A field's compiled reader and writer, from one parse of its path. */
export function fieldAccessAt(
  scope: CompileScope,
  path: string,
  text: string,
): { readonly get: FieldGetter; readonly writer: FieldWriter } {
  const fieldPath = fieldAt(scope, path, text);
  return { get: compileGetter(fieldPath), writer: compileWriter(fieldPath) };
}

const NEVER: SafeRegex = { test: () => false, replaceAll: (text) => text };

/** Compiles a pattern, recording an issue at `path` when it is invalid or too complex. */
export function regexAt(scope: CompileScope, path: string, pattern: string): SafeRegex {
  const result = compileSafeRegex(pattern);
  if (result.ok) return result.regex;
  addIssue(scope, path, result.message);
  return NEVER;
}
