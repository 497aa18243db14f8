import type { RepoConfig } from '../../kernel/config-schema.ts';
import type { ConstraintConfig } from '../../kernel/pipeline-schema.ts';
import type { SchemaIssue } from '../../kernel/schema-walk.ts';
import { type CompileScope, fieldAt } from './compile-scope.ts';
import { compileCondition } from './constraint/compile-condition.ts';
import { compileDecoder, compileReadOnlyDecoder, type LineDecoder } from './decode-line.ts';
import { compileExecuter } from './executers/compile-executer.ts';
import { failure } from './executers/compiled-executer.ts';
import { compileGetter, type JsonRecord, parseFieldPath } from './field-path.ts';
import {
  type CompiledPipeline,
  type DeadLetter,
  type InvalidOutcome,
  invalidOutcome,
  type LineOutcome,
} from './line-outcome.ts';
import type { LineState, PipelineStep } from './pipeline-step.ts';
import { compileRecordHeaders } from './record-headers.ts';

export interface CompileOptions {
  /** The repo's name: seeds its samplers and labels its dead letters. */
  readonly name: string;
  /** The config revision: written by `from: revision` and into dead-letter headers. */
  readonly revision: string;
  /**
   * Decode every line into its whole object even where the pipeline changes no record
   * and the read-only decoder would do. That decoder must answer as this one does; this
   * is the reference its tests compare it with.
   */
  readonly fullDecode?: boolean;
}

export type PipelineResult =
  | {
      readonly ok: true;
      readonly pipeline: CompiledPipeline;
      /** The decoder the pipeline runs first (read-only or whole-object): for the stage bench. */
      readonly decode: LineDecoder;
    }
  | { readonly ok: false; readonly issues: readonly SchemaIssue[] };

/**
 * Compiles a repo's whole pipeline — decoder, constraint, executers, error
 * policy, dead letter, key — into one plain function, once per config load.
 * Nothing of the config tree is interpreted per line: conditions and
 * executers are closures over prepared operands (compiled field readers,
 * patterns, sets, time formats). Problems the schema cannot express come back
 * as issues with JSON-pointer paths under `/repos/{name}`.
 */
export function compileRepo(repo: RepoConfig, options: CompileOptions): PipelineResult {
  const fields = new Set<string>();
  const scope: CompileScope = { repo: options.name, revision: options.revision, issues: [], fields };
  const base = `/repos/${options.name}`;
  const decoder = repo.decoder ?? { type: 'json' };
  // The schema is unrolled to a fixed depth, so its static type is loose; this is its shape.
  const constraintConfig = repo.constraint as ConstraintConfig | undefined;
  const constraint =
    constraintConfig === undefined
      ? undefined
      : compileCondition(stripReason(constraintConfig), scope, `${base}/constraint`);
  const constraintDropped: LineOutcome = Object.freeze({
    kind: 'dropped',
    reason: constraintConfig?.reason ?? 'constraint',
  });
  // Checked here (forbidden segments), compiled below once the repo is known to be valid.
  if (repo.key !== undefined) fieldAt(scope, `${base}/key`, repo.key);
  const executers = (repo.executers ?? []).map((config, index) => {
    const site = { scope, path: `${base}/executers/${index}`, index };
    return { ...compileExecuter(config, site), thrown: failure(config.type, site, 'unexpected error') };
  });

  const steps: PipelineStep[] = executers.map((executer) => executer.step);
  const thrown: InvalidOutcome[] = executers.map((executer) => executer.thrown);
  // The original bytes can stand for the record only when JSON was decoded and nothing changed it.
  const passThrough = decoder.type === 'json' && executers.every((e) => !e.mutates);
  const passOnError = repo.onExecuterError === 'pass';
  const deadLettered = compileDeadLetter(repo, options);
  const keyOf = repo.key === undefined ? undefined : compileKeyExtractor(repo.key);
  const headersOf = compileRecordHeaders(repo.headers, scope, `${base}/headers`);
  // Last, once every field the config reads is in `fields`. A pipeline that changes no
  // record reads only those fields and forwards the original bytes, so its decoder checks
  // the line's JSON without building it and parses only the members read.
  const decode =
    passThrough && options.fullDecode !== true
      ? compileReadOnlyDecoder(fields)
      : compileDecoder(decoder, scope, `${base}/decoder`);
  if (scope.issues.length > 0) return { ok: false, issues: scope.issues };
  const topic = repo.topic;
  const stepCount = steps.length;

  const pipeline: CompiledPipeline = (line, context, utf8Checked) => {
    const decoded = decode(line, utf8Checked);
    if (decoded.kind !== undefined) return deadLettered(decoded);
    if (constraint !== undefined) {
      let kept: boolean;
      try {
        kept = constraint(decoded.record);
      } catch {
        return deadLettered(CONSTRAINT_FAILED);
      }
      if (!kept) return constraintDropped;
    }
    const state: LineState = { record: decoded.record, topic };
    for (let index = 0; index < stepCount; index++) {
      let outcome: LineOutcome | undefined;
      try {
        outcome = (steps[index] as PipelineStep)(state, context);
      } catch {
        outcome = thrown[index];
      }
      if (outcome === undefined) continue;
      if (outcome.kind !== 'invalid') return outcome;
      if (!passOnError) return deadLettered(outcome);
    }
    const key = keyOf === undefined ? null : keyOf(state.record);
    const headers = headersOf?.(state.record, context);
    const value = passThrough ? line : serialize(state.record);
    if (value === undefined) return deadLettered(SERIALIZE_FAILED);
    return headers === undefined
      ? { kind: 'accepted', topic: state.topic, key, value }
      : { kind: 'accepted', topic: state.topic, key, value, headers };
  };
  return { ok: true, pipeline, decode };
}

/**
 * The compile entry point for the runtime: the config was validated (with
 * `pipelineIssues`) before, so issues here are a programming error.
 */
export function compileRepoPipeline(repo: RepoConfig, options: CompileOptions): CompiledPipeline {
  const result = compileRepo(repo, options);
  if (!result.ok) {
    const detail = result.issues.map((issue) => `${issue.path}: ${issue.message}`).join('; ');
    throw new Error(`repo ${options.name} has an invalid pipeline: ${detail}`);
  }
  return result.pipeline;
}

/** The pipeline problems of one repo, with paths under `/repos/{name}`; empty when it compiles. */
export function pipelineIssues(name: string, repo: RepoConfig): readonly SchemaIssue[] {
  const result = compileRepo(repo, { name, revision: 'validation' });
  return result.ok ? [] : result.issues;
}

const CONSTRAINT_FAILED = invalidOutcome('constraint_failed', 'the constraint could not be evaluated');
const SERIALIZE_FAILED = invalidOutcome(
  'serialize_failed',
  'the record cannot be serialized (nesting too deep)',
);

function stripReason(constraint: ConstraintConfig): ConstraintConfig {
  const { reason: _reason, ...condition } = constraint;
  return condition;
}

function serialize(record: JsonRecord): Buffer | undefined {
  try {
    return Buffer.from(JSON.stringify(record));
  } catch {
    // JSON.stringify recurses: a record nested thousands deep exceeds the stack.
    return undefined;
  }
}

/**
 * Attaches the dead-letter destination to invalid outcomes when the repo has
 * one. One object per reason, built on first use: reasons are a small fixed
 * set, so no per-line allocation and no unbounded growth.
 */
function compileDeadLetter(
  repo: RepoConfig,
  options: CompileOptions,
): (outcome: InvalidOutcome) => InvalidOutcome {
  const topic = repo.deadLetter?.topic;
  if (topic === undefined) return (outcome) => outcome;
  const byReason = new Map<string, DeadLetter>();
  return (outcome) => {
    let deadLetter = byReason.get(outcome.reason);
    if (deadLetter === undefined) {
      deadLetter = Object.freeze({
        topic,
        headers: Object.freeze({
          'sluice-reason': outcome.reason,
          'sluice-repo': options.name,
          'sluice-revision': options.revision,
        }),
      });
      byReason.set(outcome.reason, deadLetter);
    }
    return { ...outcome, deadLetter };
  };
}

/**
 * Message keys come from a field path (`host`, `edge.node.id`), read like any
 * other field: own properties only, so a key named `toString` never picks up a
 * prototype member. Strings are used as they are, other values in their JSON
 * text; a missing or null field gives no key (the partitioner spreads such
 * messages).
 */
export function compileKeyExtractor(field: string): (record: JsonRecord) => string | null {
  const get = compileGetter(parseFieldPath(field));
  return (record) => {
    const value = get(record);
    if (value === null || value === undefined) return null;
    return typeof value === 'string' ? value : (serializeKey(value) ?? null);
  };
}

function serializeKey(value: unknown): string | undefined {
  try {
    return JSON.stringify(value);
  } catch {
    return undefined;
  }
}
