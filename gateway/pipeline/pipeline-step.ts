import type { JsonRecord } from './field-path.ts';
import type { LineContext, LineOutcome } from './line-outcome.ts';

/** The record being processed; steps may change it in place or replace it. */
export interface LineState {
  record: JsonRecord;
  /** The target topic: the repo's topic until a route executer changes it. */
  topic: string;
}

/**
 * One executer, compiled from config once. At run time it only transforms the
 * state; it returns an outcome to end the line early (dropped) or to report
 * that it could not apply (invalid), and undefined to continue. Steps must not
 * throw; the pipeline still guards them.
 */
export type PipelineStep = (state: LineState, context: LineContext) => LineOutcome | undefined;
