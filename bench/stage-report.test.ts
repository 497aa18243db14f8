import { describe, expect, it } from 'vitest';
import { renderStageTable, restOf, type StageBreakdown } from './stage-report.ts';

const breakdown: StageBreakdown = {
  http: 1.5,
  split: 0.1,
  decode: 1.8,
  pipeline: 0.2,
  serialize: 0,
  handOff: 0.4,
  engine: 2,
  gateway: 7,
};

describe('stage report', () => {
  it.each([
    [breakdown, 1],
    [{ ...breakdown, gateway: 6 }, 0],
    [{ ...breakdown, engine: Number.NaN }, Number.NaN],
  ])('rest = gateway total minus the stages (%#)', (input, rest) => {
    if (Number.isNaN(rest)) expect(restOf(input)).toBeNaN();
    else expect(restOf(input)).toBeCloseTo(rest, 9);
  });

  it('renders one row per cell, stages in pipeline order, then rest and total', () => {
    const table = renderStageTable([{ label: 'platformatic lz4 sync pass-through', breakdown }]);
    expect(table.split('\n')[0]).toBe(
      '| cell | HTTP + body (floor) | split | decode | pipeline | serialize | engine hand-off | engine | rest | gateway total |',
    );
    expect(table).toContain(
      '| platformatic lz4 sync pass-through | 1.50 | 0.10 | 1.80 | 0.20 | 0.00 | 0.40 | 2.00 | 1.00 | 7.00 |',
    );
  });
});
