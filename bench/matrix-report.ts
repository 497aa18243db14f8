import { cellLabel, type MatrixCell } from './bench-matrix.ts';
import { median } from './bench-stats.ts';
import { renderStageTable, STAGE_COLUMNS, type StageBreakdown } from './stage-report.ts';

// The matrix benchmark's results as Markdown (docs/benchmarks/README.md). Pure: everything
// printed comes from the input, so the same results always render the same text.

/** One measured cell (or the median of several runs of it). */
export interface CellFigures {
  readonly cell: MatrixCell;
  /** Closed-loop peak. */
  readonly linesPerS: number;
  /** Uncompressed JSONL, 10^6 bytes per second. */
  readonly mbPerS: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Open loop at half the peak rate; NaN when skipped. */
  readonly halfP99Ms: number;
  readonly peakRssMb: number;
  readonly cpuSPerMillionLines: number;
  /** JSONL bytes of every request the gateway accepted in the cell (all phases). */
  readonly receivedBytes: number;
  /** Bytes of the cell's topics' log segments on the broker after the gateway drained. */
  readonly wireBytes: number;
  /** The kcat reference for the cell's compression, measured in the same matrix run. */
  readonly kcatLinesPerS: number;
  readonly kcatWireRatio: number;
  /** The HTTP floor server under the same load, measured in the same matrix run. */
  readonly floorLinesPerS: number;
  /** CPU µs per line by stage. */
  readonly stages: StageBreakdown;
  /** Requests not answered 200/202 with every line accepted. */
  readonly failures: number;
  /** Messages in Kafka ≥ lines acknowledged. */
  readonly lossFree: boolean;
}

/** Per-figure medians over runs of the same cell; failures add up, loss in any run counts. */
export function medianFigures(runs: readonly CellFigures[]): CellFigures {
  const first = runs[0];
  if (first === undefined) throw new Error('medianFigures needs at least one run');
  const m = (pick: (figures: CellFigures) => number) => median(runs.map(pick));
  return {
    cell: first.cell,
    linesPerS: m((r) => r.linesPerS),
    mbPerS: m((r) => r.mbPerS),
    p50Ms: m((r) => r.p50Ms),
    p99Ms: m((r) => r.p99Ms),
    halfP99Ms: m((r) => r.halfP99Ms),
    peakRssMb: m((r) => r.peakRssMb),
    cpuSPerMillionLines: m((r) => r.cpuSPerMillionLines),
    receivedBytes: m((r) => r.receivedBytes),
    wireBytes: m((r) => r.wireBytes),
    kcatLinesPerS: m((r) => r.kcatLinesPerS),
    kcatWireRatio: m((r) => r.kcatWireRatio),
    floorLinesPerS: m((r) => r.floorLinesPerS),
    stages: Object.fromEntries(
      [...STAGE_COLUMNS.map(([key]) => key), 'gateway' as const].map((key) => [key, m((r) => r.stages[key])]),
    ) as unknown as StageBreakdown,
    failures: runs.reduce((sum, r) => sum + r.failures, 0),
    lossFree: runs.every((r) => r.lossFree),
  };
}

export interface MatrixReportInput {
  readonly title: string;
  readonly command: string;
  readonly machine: readonly string[];
  readonly settings: readonly string[];
  readonly notes: readonly string[];
  readonly cells: readonly CellFigures[];
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const grouped = (v: number) => (Number.isFinite(v) ? integer.format(v) : 'n/a');
const fixed = (digits: number) => (v: number) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');
const percent = (v: number) => (Number.isFinite(v) ? `${(v * 100).toFixed(0)} %` : 'n/a');

export const wireRatio = (figures: CellFigures): number =>
  figures.receivedBytes > 0 ? figures.wireBytes / figures.receivedBytes : Number.NaN;
export const kcatRatio = (figures: CellFigures): number =>
  figures.kcatLinesPerS > 0 ? figures.linesPerS / figures.kcatLinesPerS : Number.NaN;

const COLUMNS: readonly { readonly head: string; readonly value: (f: CellFigures) => string }[] = [
  { head: 'engine', value: (f) => f.cell.engine },
  { head: 'compression', value: (f) => f.cell.compression },
  { head: 'mode', value: (f) => f.cell.mode },
  { head: 'pipeline', value: (f) => f.cell.pipeline },
  { head: 'lines/s', value: (f) => grouped(f.linesPerS) },
  { head: '× kcat', value: (f) => fixed(2)(kcatRatio(f)) },
  { head: '× floor', value: (f) => fixed(2)(f.linesPerS / f.floorLinesPerS) },
  { head: 'MB/s', value: (f) => fixed(1)(f.mbPerS) },
  { head: 'p50 / p99 ms', value: (f) => `${fixed(0)(f.p50Ms)} / ${fixed(0)(f.p99Ms)}` },
  { head: 'p99 ms at ½ rate', value: (f) => fixed(0)(f.halfP99Ms) },
  { head: 'peak RSS MiB', value: (f) => fixed(0)(f.peakRssMb) },
  { head: 'CPU s / M lines', value: (f) => fixed(1)(f.cpuSPerMillionLines) },
  // One core delivers 10^6 / (CPU µs per line) lines/s when nothing else shares it.
  { head: 'lines/s per core', value: (f) => grouped(1e6 / f.cpuSPerMillionLines) },
  { head: 'wire / raw', value: (f) => percent(wireRatio(f)) },
  { head: 'kcat lines/s', value: (f) => grouped(f.kcatLinesPerS) },
  { head: 'kcat wire / raw', value: (f) => percent(f.kcatWireRatio) },
  { head: 'failures', value: (f) => String(f.failures) },
  { head: 'loss check', value: (f) => (f.lossFree ? 'ok' : 'LOSS') },
];

/** A Markdown table, one row per cell; `|` in values is escaped. */
export function renderMatrixTable(cells: readonly CellFigures[]): string {
  const escapePipes = (text: string) => text.replaceAll('|', '\\|');
  const row = (values: readonly string[]) => `| ${values.map(escapePipes).join(' | ')} |`;
  return [
    row(COLUMNS.map((c) => c.head)),
    row(COLUMNS.map((_, i) => (i < 4 ? '---' : '---:'))),
    ...cells.map((f) => row(COLUMNS.map((c) => c.value(f)))),
  ].join('\n');
}

/** The whole results section: heading, command, machine, settings, table, notes. */
export function renderMatrixMarkdown(input: MatrixReportInput): string {
  const bullets = (lines: readonly string[]) => lines.map((line) => `- ${line}`);
  const lost = input.cells.filter((f) => !f.lossFree).map((f) => cellLabel(f.cell));
  return [
    `## ${input.title}`,
    '',
    '```sh',
    input.command,
    '```',
    '',
    'Machine:',
    '',
    ...bullets(input.machine),
    '',
    'Settings:',
    '',
    ...bullets(input.settings),
    '',
    renderMatrixTable(input.cells),
    '',
    'CPU µs per line by stage (HTTP + body: the floor server under the same load; split to hand-off: ' +
      'in-process on the same bodies; engine: the engine alone delivering the same messages; rest: the ' +
      'gateway process beyond them, i.e. fastify, answers, metrics and GC under load):',
    '',
    renderStageTable(input.cells.map((f) => ({ label: cellLabel(f.cell), breakdown: f.stages }))),
    lost.length === 0
      ? 'Loss check: in every cell Kafka held at least as many messages as lines were acknowledged.'
      : `Loss check FAILED in: ${lost.join(', ')}.`,
    '',
    ...bullets(input.notes),
    '',
  ].join('\n');
}

/**
 * Replaces what lies between `<!-- NAME -->` and `<!-- /NAME -->` in `doc` with `content`,
 * keeping the markers, or appends the marked section when the markers are absent. Text
 * outside the markers is never touched, so hand-written prose around results survives.
 */
export function spliceSection(doc: string, name: string, content: string): string {
  const open = `<!-- ${name} -->`;
  const close = `<!-- /${name} -->`;
  const block = `${open}\n${content.trimEnd()}\n${close}`;
  const start = doc.indexOf(open);
  const end = start < 0 ? -1 : doc.indexOf(close, start);
  if (start < 0 || end < 0) return `${doc.trimEnd()}\n\n${block}\n`;
  return `${doc.slice(0, start)}${block}${doc.slice(end + close.length)}`;
}
