import type { ExecuterOf } from '../../../kernel/pipeline-schema.ts';
import { addIssue, fieldAccessAt, regexAt } from '../compile-scope.ts';
import { type JsonRecord, writeOwn } from '../field-path.ts';
import type { SafeRegex } from '../safe-regex.ts';
import type { CompiledExecuter, ExecuterSite } from './compiled-executer.ts';

/** Below this depth a value is masked whole: deeper nesting never leaks, and the walk stays bounded. */
const MASK_MAX_DEPTH = 32;

/**
 * Masks values by property name anywhere in the record (`keys`), whole values
 * at paths (`fields` without `pattern`), and pattern matches inside strings
 * (`pattern`, within `fields` or everywhere). Never fails: a value too deep
 * to inspect is replaced whole, so nothing sensitive slips through.
 */
export function compileMask(config: ExecuterOf<'mask'>, site: ExecuterSite): CompiledExecuter {
  if (config.keys === undefined && config.fields === undefined && config.pattern === undefined) {
    addIssue(site.scope, site.path, 'mask needs at least one of keys, fields, pattern');
  }
  const replacement = config.replacement ?? '***';
  const keys = config.keys === undefined ? undefined : new Set(config.keys);
  const regex =
    config.pattern === undefined ? undefined : regexAt(site.scope, `${site.path}/pattern`, config.pattern);
  const fields = (config.fields ?? []).map((field, index) =>
    fieldAccessAt(site.scope, `${site.path}/fields/${index}`, field),
  );
  const walkAll = keys !== undefined || (regex !== undefined && fields.length === 0);
  const walkOptions: Walk = { keys, regex: fields.length === 0 ? regex : undefined, replacement };
  // Inside the listed fields only the pattern applies (keys are matched by the whole-record walk).
  const fieldWalk: Walk = { keys: undefined, regex, replacement };
  return {
    mutates: true,
    step: (state) => {
      const record = state.record;
      for (const field of fields) {
        const value = field.get(record);
        if (value === undefined) continue;
        if (regex === undefined) field.writer.set(record, replacement);
        else field.writer.set(record, maskStrings(value, fieldWalk, 1));
      }
      if (walkAll) maskInPlace(record, walkOptions, 1);
      return undefined;
    },
  };
}

interface Walk {
  readonly keys: ReadonlySet<string> | undefined;
  readonly regex: SafeRegex | undefined;
  readonly replacement: string;
}

/** Masks inside a container, in place. */
function maskInPlace(container: JsonRecord | unknown[], walk: Walk, depth: number): void {
  if (Array.isArray(container)) {
    for (let index = 0; index < container.length; index++)
      container[index] = maskStrings(container[index], walk, depth);
    return;
  }
  for (const key of Object.keys(container)) {
    const value = container[key];
    if (value === undefined) continue;
    if (walk.keys?.has(key)) writeOwn(container, key, walk.replacement);
    else {
      const masked = maskStrings(value, walk, depth);
      if (masked !== value) writeOwn(container, key, masked);
    }
  }
}

/** The masked form of a value: strings get pattern matches replaced, containers are walked. */
function maskStrings(value: unknown, walk: Walk, depth: number): unknown {
  if (typeof value === 'string') return walk.regex ? walk.regex.replaceAll(value, walk.replacement) : value;
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MASK_MAX_DEPTH) return walk.replacement;
  maskInPlace(value as JsonRecord | unknown[], walk, depth + 1);
  return value;
}
