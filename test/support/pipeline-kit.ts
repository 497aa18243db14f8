import { compileRepoPipeline, pipelineIssues } from '../../gateway/pipeline/compile-pipeline.ts';
import type { CompiledPipeline, LineContext, LineOutcome } from '../../gateway/pipeline/line-outcome.ts';
import { type RepoConfig, RepoSchema } from '../../kernel/config-schema.ts';
import { schemaIssues, withDefaults } from '../../kernel/schema-walk.ts';

// Builds pipelines the way the gateway does (schema defaults, schema check,
// compile) from a partial repo, and reads outcomes back as plain data.

export const testContext: LineContext = {
  repo: 'access',
  receivedAt: Date.UTC(2024, 5, 1, 12, 0, 0),
  clientAddress: '203.0.113.7',
  headers: {
    traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    'x-edge-pop': 'fra1',
    'x-multi': ['a', 'b'],
  },
};

/** The repo with schema defaults filled in, not yet checked; producer and topic get test values. */
const rawRepo = (fields: Record<string, unknown>): unknown =>
  withDefaults(RepoSchema, { producer: 'main', topic: 'logs.access', ...fields });

/** A repo from its pipeline fields, checked against the schema. */
export function repoOf(fields: Record<string, unknown>): RepoConfig {
  const raw = rawRepo(fields);
  const issues = schemaIssues(RepoSchema, raw);
  if (issues.length > 0) throw new Error(`invalid test repo: ${JSON.stringify(issues)}`);
  return raw as RepoConfig;
}

export function pipelineOf(
  fields: Record<string, unknown>,
  name = 'access',
  revision = 'r1',
): CompiledPipeline {
  return compileRepoPipeline(repoOf(fields), { name, revision });
}

/**
 * The same pipeline with the general decoder (every line into its whole object): the
 * reference a read-only pipeline's fast decoder must agree with.
 */
export function fullDecodePipelineOf(
  fields: Record<string, unknown>,
  name = 'access',
  revision = 'r1',
): CompiledPipeline {
  return compileRepoPipeline(repoOf(fields), { name, revision, fullDecode: true });
}

/** The issues compiling `fields` reports (schema first, then the pipeline's own). */
export function issuesOf(fields: Record<string, unknown>): Array<{ path: string; message: string }> {
  const raw = rawRepo(fields);
  const issues = schemaIssues(RepoSchema, raw, '/repos/access');
  if (issues.length > 0) return issues;
  return [...pipelineIssues('access', raw as RepoConfig)];
}

export type PlainOutcome =
  | { kind: 'accepted'; topic: string; key: string | null; record: unknown }
  | Exclude<LineOutcome, { kind: 'accepted' }>;

export function plain(outcome: LineOutcome): PlainOutcome {
  if (outcome.kind !== 'accepted') return outcome;
  return {
    kind: 'accepted',
    topic: outcome.topic,
    key: outcome.key,
    record: JSON.parse(outcome.value.toString('utf8')),
  };
}

/** Runs one line (an object is sent as its JSON) and returns the plain outcome. */
export function runLine(
  pipeline: CompiledPipeline,
  line: string | Buffer | Record<string, unknown>,
  context: LineContext = testContext,
): PlainOutcome {
  const bytes = Buffer.isBuffer(line)
    ? line
    : Buffer.from(typeof line === 'string' ? line : JSON.stringify(line));
  return plain(pipeline(bytes, context));
}

/** The record an executer chain makes of `record`, or the outcome when the line did not pass. */
export function transform(
  executers: unknown[],
  record: Record<string, unknown>,
  extra: Record<string, unknown> = {},
): unknown {
  const outcome = runLine(pipelineOf({ executers, ...extra }), record);
  return outcome.kind === 'accepted' ? outcome.record : outcome;
}
