import type { CompileScope } from '../compile-scope.ts';
import type { LineOutcome } from '../line-outcome.ts';
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

export type InvalidOutcome = Extract<LineOutcome, { kind: 'invalid' }>;

/**
 * The outcome an executer returns when it cannot apply to a line, built once
 * at compile time. The reason (`<type>_failed`) is a bounded metric label;
 * the message names the executer and the field, never a value from the line.
 */
export function failure(type: string, site: ExecuterSite, message: string): InvalidOutcome {
  return Object.freeze({
    kind: 'invalid',
    reason: `${type.replaceAll('-', '_')}_failed`,
    message: `executers[${site.index}] (${type}): ${message}`,
  });
}
