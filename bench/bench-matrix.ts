// The benchmark matrix (`npm run bench -- --matrix quick|full`): which cells to measure, in
// which order. Pure.

export const MATRIX_COMPRESSIONS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type MatrixCompression = (typeof MATRIX_COMPRESSIONS)[number];
export const MATRIX_MODES = ['sync', 'async'] as const;
export type MatrixMode = (typeof MATRIX_MODES)[number];
/** `pass-through`: JSON decoder only (original bytes forwarded); `typical`: the access-log chain. */
export const MATRIX_PIPELINES = ['pass-through', 'typical'] as const;
export type MatrixPipeline = (typeof MATRIX_PIPELINES)[number];
export const MATRIX_KINDS = ['quick', 'full'] as const;
export type MatrixKind = (typeof MATRIX_KINDS)[number];

export interface MatrixCell<Engine extends string = string> {
  readonly engine: Engine;
  readonly compression: MatrixCompression;
  readonly mode: MatrixMode;
  readonly pipeline: MatrixPipeline;
}

/**
 * The cells of a matrix, grouped by compression (each group shares one kcat reference
 * measured just before it), then engine, mode and pipeline.
 * `full`: engines × 5 compressions × 2 modes × 2 pipelines.
 * `quick`: lz4 and none × engines × sync × typical, plus lz4 × engines × sync × pass-through.
 */
export function expandMatrix<Engine extends string>(
  kind: MatrixKind,
  engines: readonly Engine[],
): MatrixCell<Engine>[] {
  const cells: MatrixCell<Engine>[] = [];
  if (kind === 'full') {
    for (const compression of MATRIX_COMPRESSIONS)
      for (const engine of engines)
        for (const mode of MATRIX_MODES)
          for (const pipeline of MATRIX_PIPELINES) cells.push({ engine, compression, mode, pipeline });
    return cells;
  }
  for (const compression of ['none', 'lz4'] as const) {
    for (const engine of engines) {
      cells.push({ engine, compression, mode: 'sync', pipeline: 'typical' });
      if (compression === 'lz4') cells.push({ engine, compression, mode: 'sync', pipeline: 'pass-through' });
    }
  }
  return cells;
}

/** A short, stable name for a cell: `platformatic lz4 sync typical`. */
export function cellLabel(cell: MatrixCell): string {
  return `${cell.engine} ${cell.compression} ${cell.mode} ${cell.pipeline}`;
}

/**
 * The typical chain for the CDN access-log data (bench/access-log-data.ts): keyed by host,
 * the edge node name split into pop/tier/node, a rename, a removal, the timestamp normalised to epoch
 * milliseconds, health checks dropped (none in this data) and 5xx lines routed to
 * `errorTopic`. Every line of the data is accepted.
 */
export function typicalPipeline(errorTopic: string): Record<string, unknown> {
  return {
    key: 'host',
    constraint: { field: 'status', exists: true },
    executers: [
      { type: 'splitter', field: 'edge', separator: '-', limit: 3 },
      { type: 'assigner', field: 'edge', names: ['pop', 'tier', 'node'] },
      { type: 'drop-if', when: { field: 'path', equals: '/healthz' }, reason: 'health_check' },
      { type: 'rename', fields: { ua: 'user_agent' } },
      { type: 'remove', fields: ['referer'] },
      { type: 'timestamp', field: 'ts', format: 'iso8601', output: 'epoch-ms' },
      { type: 'route', rules: [{ when: { field: 'status', gte: 500 }, topic: errorTopic }] },
    ],
  };
}
