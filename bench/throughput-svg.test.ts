import { describe, expect, it } from 'vitest';
import { figures } from './cell-figures-fixture.ts';
import { niceMax, renderThroughputSvg } from './throughput-svg.ts';

describe('niceMax', () => {
  it.each([
    [0, 1],
    [-5, 1],
    [Number.NaN, 1],
    [1, 1],
    [1.5, 2],
    [3, 5],
    [7, 10],
    [123_456, 200_000],
    [500_000, 500_000],
  ])('%d → %d', (value, expected) => {
    expect(niceMax(value)).toBe(expected);
  });
});

describe('renderThroughputSvg', () => {
  const cells = [
    figures({ linesPerS: 100_000, kcatLinesPerS: 400_000 }),
    figures({
      cell: { engine: 'kafkajs', compression: 'none', mode: 'async', pipeline: 'pass-through' },
      linesPerS: 50_000,
      kcatLinesPerS: Number.NaN,
    }),
  ];
  const svg = renderThroughputSvg(cells, 'lines/s <by> cell');

  it('is a deterministic, well-formed SVG document with an escaped title', () => {
    expect(svg).toBe(renderThroughputSvg(cells, 'lines/s <by> cell'));
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
    expect(svg).toContain('lines/s &lt;by&gt; cell');
    expect(svg).not.toMatch(/NaN|undefined/);
  });

  it('draws one bar per cell scaled to a nice axis, and a kcat mark where there is one', () => {
    // Axis 0..500k over 520 px: 100k → 104 px, 50k → 52 px.
    expect(svg).toContain('width="104" height="14" fill="#2f6db5"');
    expect(svg).toContain('width="52" height="14" fill="#e07b39"');
    expect(svg.match(/stroke-dasharray/g)).toHaveLength(2); // one kcat mark + the legend's
    expect(svg).toContain('>platformatic lz4 sync typical<');
    expect(svg).toContain('>kafkajs none async pass-through<');
  });

  it('renders an empty chart without failing', () => {
    expect(renderThroughputSvg([], 'empty')).toContain('</svg>');
  });
});
