import { describe, expect, it } from 'vitest';
import { figures } from './cell-figures-fixture.ts';
import {
  kcatRatio,
  medianFigures,
  renderMatrixMarkdown,
  renderMatrixTable,
  spliceSection,
  wireRatio,
} from './matrix-report.ts';

describe('ratios', () => {
  it.each([
    { f: figures(), wire: 0.25, kcat: 0.25 },
    { f: figures({ receivedBytes: 0, kcatLinesPerS: 0 }), wire: Number.NaN, kcat: Number.NaN },
  ])('wire $wire, kcat $kcat', ({ f, wire, kcat }) => {
    expect(wireRatio(f)).toBe(wire);
    expect(kcatRatio(f)).toBe(kcat);
  });
});

describe('medianFigures', () => {
  it('takes per-figure medians, sums failures and keeps any loss', () => {
    const result = medianFigures([
      figures({ linesPerS: 1, failures: 1 }),
      figures({ linesPerS: 3, lossFree: false }),
      figures({ linesPerS: 2, failures: 2 }),
    ]);
    expect(result.linesPerS).toBe(2);
    expect(result.failures).toBe(3);
    expect(result.lossFree).toBe(false);
  });

  it('refuses an empty list', () => {
    expect(() => medianFigures([])).toThrow();
  });
});

describe('renderMatrixTable', () => {
  it('renders a header, an alignment row and one row per cell', () => {
    expect(renderMatrixTable([figures(), figures({ p99Ms: Number.NaN, lossFree: false })])).toBe(
      [
        '| engine | compression | mode | pipeline | lines/s | × kcat | × floor | MB/s | p50 / p99 ms | p99 ms at ½ rate | peak RSS MiB | CPU s / M lines | lines/s per core | wire / raw | kcat lines/s | kcat wire / raw | failures | loss check |',
        '| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
        '| platformatic | lz4 | sync | typical | 100,000 | 0.25 | 0.20 | 42.4 | 20 / 61 | 30 | 180 | 8.3 | 121,212 | 25 % | 400,000 | 30 % | 0 | ok |',
        '| platformatic | lz4 | sync | typical | 100,000 | 0.25 | 0.20 | 42.4 | 20 / n/a | 30 | 180 | 8.3 | 121,212 | 25 % | 400,000 | 30 % | 0 | LOSS |',
      ].join('\n'),
    );
  });
});

describe('renderMatrixMarkdown', () => {
  const input = {
    title: 'Matrix (quick)',
    command: 'npm run bench -- --matrix quick',
    machine: ['2 CPUs'],
    settings: ['8 s per cell'],
    notes: ['noisy'],
  };

  it('is deterministic and states the loss check', () => {
    const text = renderMatrixMarkdown({ ...input, cells: [figures()] });
    expect(text).toBe(renderMatrixMarkdown({ ...input, cells: [figures()] }));
    expect(text).toContain('## Matrix (quick)\n\n```sh\nnpm run bench -- --matrix quick\n```');
    expect(text).toContain('- 2 CPUs');
    expect(text).toContain('Loss check: in every cell');
  });

  it('names the cells that lost lines', () => {
    const text = renderMatrixMarkdown({ ...input, cells: [figures({ lossFree: false })] });
    expect(text).toContain('Loss check FAILED in: platformatic lz4 sync typical.');
  });
});

describe('spliceSection', () => {
  it.each([
    {
      name: 'appends the marked section when absent',
      doc: '# Benchmarks\n\nprose\n',
      out: '# Benchmarks\n\nprose\n\n<!-- m -->\nnew\n<!-- /m -->\n',
    },
    {
      name: 'replaces between the markers and keeps what surrounds them',
      doc: 'a\n<!-- m -->\nold\nold\n<!-- /m -->\nb\n',
      out: 'a\n<!-- m -->\nnew\n<!-- /m -->\nb\n',
    },
    {
      name: 'leaves other sections alone',
      doc: '<!-- n -->\nkeep\n<!-- /n -->\n<!-- m -->\nold\n<!-- /m -->',
      out: '<!-- n -->\nkeep\n<!-- /n -->\n<!-- m -->\nnew\n<!-- /m -->',
    },
  ])('$name', ({ doc, out }) => {
    expect(spliceSection(doc, 'm', 'new\n')).toBe(out);
  });
});
