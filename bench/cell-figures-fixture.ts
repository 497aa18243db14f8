import type { MatrixCell } from './bench-matrix.ts';
import type { CellFigures } from './matrix-report.ts';

// Test fixture: one plausible matrix cell's figures.
const cell: MatrixCell = { engine: 'platformatic', compression: 'lz4', mode: 'sync', pipeline: 'typical' };

export function figures(overrides: Partial<CellFigures> = {}): CellFigures {
  return {
    cell,
    linesPerS: 100_000,
    mbPerS: 42.4,
    p50Ms: 20.4,
    p99Ms: 60.6,
    halfP99Ms: 30,
    peakRssMb: 180.2,
    cpuSPerMillionLines: 8.25,
    receivedBytes: 1000,
    wireBytes: 250,
    kcatLinesPerS: 400_000,
    kcatWireRatio: 0.3,
    floorLinesPerS: 500_000,
    stages: {
      http: 1.5,
      split: 0.1,
      decode: 1.8,
      pipeline: 0.2,
      serialize: 0,
      handOff: 0.4,
      engine: 2,
      gateway: 8.25,
    },
    failures: 0,
    lossFree: true,
    ...overrides,
  };
}
