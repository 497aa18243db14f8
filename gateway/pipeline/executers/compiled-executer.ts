import { type CompileScope, fieldAt } from '../compile-scope.ts';
import { compileGetter, compileWriter, type FieldGetter, type FieldWriter } from '../field-path.ts';
import { type InvalidOutcome, invalidOutcome } from '../line-outcome.ts';
import type { PipelineStep } from '../pipeline-step.ts';

export interface CompiledExecuter {
  readonly step: PipelineStep;
  /**
   * Whether the step may change the record. A pipeline whose steps never do
   * produces the original line bytes instead of re-serializing.
   */
  readonly mutates: boolean;
}

/** Where an executer sits: for issue paths, failure messages and seeds. */
export interface ExecuterSite {
  readonly scope: CompileScope;
  /** JSON pointer of the executer, e.g. /repos/access/executers/2. */
  readonly path: string;
  readonly index: number;
}

/**
 * The outcome an executer returns when it cannot apply to a line, built once
 * at compile time. The reason (`<type>_failed`) is a bounded metric label;
 * the message names the executer and the field, never a value from the line.
 */
export function failure(type: string, site: ExecuterSite, message: string): InvalidOutcome {
  return invalidOutcome(
    `${type.replaceAll('-', '_')}_failed`,
    `executers[${site.index}] (${type}): ${message}`,
  );
}

/**
 * The reader of an executer's `field` and the writer of its result: `target`
 * when given, else `field` itself (parsed once, so a bad path is one issue).
 */
export function sourceAndTarget(
  config: { readonly field: string; readonly target?: string },
  site: ExecuterSite,
): { readonly get: FieldGetter; readonly target: FieldWriter } {
  const source = fieldAt(site.scope, `${site.path}/field`, config.field);
  const target =
    config.target === undefined ? source : fieldAt(site.scope, `${site.path}/target`, config.target);
  return { get: compileGetter(source), target: compileWriter(target) };
}
