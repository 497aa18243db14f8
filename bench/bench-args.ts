import { parseArgs } from 'node:util';
import { KafkaProducerSchema } from '../kernel/config-schema.ts';
import { MATRIX_KINDS, type MatrixKind } from './bench-matrix.ts';

export type BenchEngine = (typeof KafkaProducerSchema.properties.engine.anyOf)[number]['const'];
/** Kafka engines the gateway's producer can use, as the config schema lists them. */
export const BENCH_ENGINES: readonly BenchEngine[] = KafkaProducerSchema.properties.engine.anyOf.map(
  (literal) => literal.const,
);

/** What one `npm run bench` invocation measures; every field has a default. */
export interface BenchOptions {
  /** Seconds of the measured closed-loop (peak) phase. */
  durationS: number;
  /** Seconds of closed-loop load before the peak phase, not measured. */
  warmupS: number;
  /** Seconds of the open-loop phase at half the peak rate. */
  halfRateS: number;
  /** Concurrent keep-alive connections, one request in flight on each. */
  connections: number;
  /** Repetitions; the report gives each and their median. */
  runs: number;
  linesPerRequest: number;
  partitions: number;
  /** The gateway producer's batch settings. */
  lingerMs: number;
  maxMessages: number;
  maxBytes: number;
  /** The gateway producer's Kafka engine. */
  engine: BenchEngine;
  /** Gateway processes (`--workers`); 1 runs the gateway without node:cluster. */
  workers: number;
  /** Measure a matrix of cells instead of repeated single runs; undefined for single runs. */
  matrix: MatrixKind | undefined;
}

type NumericOption = {
  [K in keyof BenchOptions]: BenchOptions[K] extends number ? K : never;
}[keyof BenchOptions];

export const DEFAULT_BENCH_OPTIONS: BenchOptions = {
  durationS: 20,
  warmupS: 3,
  halfRateS: 15,
  connections: 32,
  runs: 1,
  linesPerRequest: 100,
  partitions: 3,
  lingerMs: 5,
  maxMessages: 2000,
  maxBytes: 1024 * 1024,
  // The gateway's own default, so a bare `npm run bench` measures what a config without `engine` gets.
  engine: KafkaProducerSchema.properties.engine.default as BenchEngine,
  workers: 1,
  matrix: undefined,
};

/** Per-cell phases of a matrix unless given on the command line: 40 cells fit in ~20 min. */
export const MATRIX_PHASE_DEFAULTS = { warmupS: 2, durationS: 8, halfRateS: 5 } as const;

export const BENCH_USAGE = `usage: npm run bench -- [options]
  --duration S           measured peak phase, seconds (default ${DEFAULT_BENCH_OPTIONS.durationS})
  --warmup S             unmeasured warm-up before it (default ${DEFAULT_BENCH_OPTIONS.warmupS})
  --half-duration S      open-loop phase at half the peak rate (default ${DEFAULT_BENCH_OPTIONS.halfRateS}; 0 skips it)
  --connections N        concurrent keep-alive connections (default ${DEFAULT_BENCH_OPTIONS.connections})
  --runs N               repetitions, reported with their median (default ${DEFAULT_BENCH_OPTIONS.runs})
  --lines-per-request N  lines per POST (default ${DEFAULT_BENCH_OPTIONS.linesPerRequest})
  --partitions N         partitions of the benchmark topics (default ${DEFAULT_BENCH_OPTIONS.partitions})
  --linger-ms N          gateway batch.lingerMs (default ${DEFAULT_BENCH_OPTIONS.lingerMs})
  --max-messages N       gateway batch.maxMessages (default ${DEFAULT_BENCH_OPTIONS.maxMessages})
  --max-bytes N          gateway batch.maxBytes (default ${DEFAULT_BENCH_OPTIONS.maxBytes})
  --engine NAME          gateway Kafka engine: ${BENCH_ENGINES.join(' | ')} (default ${DEFAULT_BENCH_OPTIONS.engine})
  --workers N            gateway --workers N (node:cluster; default 1)
  --matrix quick|full    engines × compressions × modes × pipelines, one row per cell, Markdown and SVG
                         to docs/benchmarks/ (phases default to warm-up ${MATRIX_PHASE_DEFAULTS.warmupS} s, peak ${MATRIX_PHASE_DEFAULTS.durationS} s, half rate ${MATRIX_PHASE_DEFAULTS.halfRateS} s)
env: KAFKA_BROKERS=host:port uses that cluster instead of starting a local broker;
     SLUICE_BENCH_GATEWAY_NODE_ARGS="--cpu-prof --cpu-prof-dir=DIR" passes Node flags to the gateway.`;

export type ParsedBenchArgs =
  | { readonly ok: true; readonly help: boolean; readonly options: BenchOptions }
  | { readonly ok: false; readonly message: string };

// flag → [field, smallest allowed, largest allowed]
const NUMERIC_FLAGS: Record<string, readonly [NumericOption, number, number]> = {
  duration: ['durationS', 1, 3600],
  warmup: ['warmupS', 0, 600],
  'half-duration': ['halfRateS', 0, 3600],
  connections: ['connections', 1, 1024],
  runs: ['runs', 1, 50],
  'lines-per-request': ['linesPerRequest', 1, 100_000],
  partitions: ['partitions', 1, 1000],
  'linger-ms': ['lingerMs', 0, 1000],
  'max-messages': ['maxMessages', 1, 100_000],
  'max-bytes': ['maxBytes', 1024, 64 * 1024 * 1024],
  workers: ['workers', 1, 64],
};

/** `raw` as one of `allowed`, or the message naming them. */
function oneOf<T extends string>(
  flag: string,
  allowed: readonly T[],
  raw: string,
): { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string } {
  const value = allowed.find((name) => name === raw);
  return value === undefined
    ? { ok: false, message: `--${flag} must be one of ${allowed.join(', ')}, got "${raw}"` }
    : { ok: true, value };
}

/** Parses the command line (without node and script); errors are values, not throws. */
export function parseBenchArgs(argv: readonly string[]): ParsedBenchArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    const parsed = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        ...Object.fromEntries(Object.keys(NUMERIC_FLAGS).map((flag) => [flag, { type: 'string' as const }])),
        engine: { type: 'string' },
        matrix: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    values = parsed.values;
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  const options: BenchOptions = { ...DEFAULT_BENCH_OPTIONS };
  for (const [flag, [field, min, max]] of Object.entries(NUMERIC_FLAGS)) {
    const raw = values[flag];
    if (typeof raw !== 'string') continue;
    const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      return { ok: false, message: `--${flag} must be an integer from ${min} to ${max}, got "${raw}"` };
    }
    options[field] = value;
  }
  if (typeof values.engine === 'string') {
    const engine = oneOf('engine', BENCH_ENGINES, values.engine);
    if (!engine.ok) return engine;
    options.engine = engine.value;
  }
  if (typeof values.matrix === 'string') {
    const matrix = oneOf('matrix', MATRIX_KINDS, values.matrix);
    if (!matrix.ok) return matrix;
    options.matrix = matrix.value;
    if (values.warmup === undefined) options.warmupS = MATRIX_PHASE_DEFAULTS.warmupS;
    if (values.duration === undefined) options.durationS = MATRIX_PHASE_DEFAULTS.durationS;
    if (values['half-duration'] === undefined) options.halfRateS = MATRIX_PHASE_DEFAULTS.halfRateS;
  }
  return { ok: true, help: values.help === true, options };
}
