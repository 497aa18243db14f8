import { compileRepo } from '../gateway/pipeline/compile-pipeline.ts';
import type { LineDecoder } from '../gateway/pipeline/decode-line.ts';
import type { CompiledPipeline, LineContext } from '../gateway/pipeline/line-outcome.ts';
import { BatchSchema, ServerSchema } from '../kernel/config-schema.ts';
import { withDefaults } from '../kernel/schema-walk.ts';
import { repoOf } from '../test/support/pipeline-kit.ts';
import { type MatrixPipeline, typicalPipeline } from './bench-matrix.ts';
import type { RequestBody } from './load-generator.ts';

// What every benchmark posts and runs: the request bodies and the bench repo's pipelines,
// compiled as the gateway compiles them (schema defaults, then compile).

/** Distinct request bodies posted round-robin (20 000 distinct lines at 100 lines each). */
export const DISTINCT_BODIES = 200;

export function benchBodies(lines: readonly string[], linesPerRequest: number): RequestBody[] {
  const bodies: RequestBody[] = [];
  for (let i = 0; i < DISTINCT_BODIES; i++) {
    const chunk: string[] = [];
    for (let j = 0; j < linesPerRequest; j++)
      chunk.push(lines[(i * linesPerRequest + j) % lines.length] ?? '');
    bodies.push({ data: Buffer.from(`${chunk.join('\n')}\n`), lines: linesPerRequest });
  }
  return bodies;
}

/** A request's context as the HTTP layer builds it. */
export const benchContext: LineContext = {
  repo: 'access',
  receivedAt: Date.UTC(2024, 5, 1, 12),
  clientAddress: '127.0.0.1',
  headers: { 'content-type': 'application/x-ndjson', host: '127.0.0.1' },
};

export interface BenchRepoPipeline {
  readonly pipeline: CompiledPipeline;
  /** The decoder the pipeline runs (the stage bench's decode stage). */
  readonly decode: LineDecoder;
  readonly maxLineBytes: number;
  readonly batch: { maxMessages: number; maxBytes: number; lingerMs: number };
}

export function benchRepoPipeline(kind: MatrixPipeline, errorTopic = 'bench-errors'): BenchRepoPipeline {
  const server = withDefaults(ServerSchema, {}) as { maxLineBytes: number };
  const batch = withDefaults(BatchSchema, { maxMessages: 2000, maxBytes: 1 << 20, lingerMs: 5 }) as {
    maxMessages: number;
    maxBytes: number;
    lingerMs: number;
  };
  const fields = kind === 'typical' ? typicalPipeline(errorTopic) : {};
  const compiled = compileRepo(repoOf(fields), { name: 'access', revision: 'r1' });
  if (!compiled.ok) throw new Error(`the bench repo does not compile: ${JSON.stringify(compiled.issues)}`);
  return { pipeline: compiled.pipeline, decode: compiled.decode, maxLineBytes: server.maxLineBytes, batch };
}
