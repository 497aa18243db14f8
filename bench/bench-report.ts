import { median, relativeSpread } from './bench-stats.ts';
import { renderStageTable, STAGE_COLUMNS, type StageBreakdown } from './stage-report.ts';

// Renders the benchmark's figures as a plain-text table: one column per run plus the median.
// Pure: everything it prints comes from its input.

export interface RunFigures {
  /** Closed loop, measured phase. */
  peakLinesPerS: number;
  peakMbPerS: number;
  peakP50Ms: number;
  peakP99Ms: number;
  peakMaxMs: number;
  peakRequests: number;
  peakFailures: Record<string, number>;
  /** Open loop at half the peak rate; NaN when skipped. */
  halfTargetLinesPerS: number;
  halfLinesPerS: number;
  halfP50Ms: number;
  halfP99Ms: number;
  halfMaxMs: number;
  halfFailures: Record<string, number>;
  halfOverloaded: boolean;
  /** Gateway process, from /proc. */
  idleRssMb: number;
  peakRssMb: number;
  gatewayCpuS: number;
  gatewayCpuCores: number;
  /** The JavaScript thread alone; near 1.0 means the gateway is bound by that one thread. */
  gatewayMainThreadCores: number;
  cpuSPerMillionLines: number;
  /** From the gateway's /metrics over the peak phase. */
  avgBatchMessages: number;
  avgProduceMs: number;
  /** V8 heap and external (Buffer) memory at the end of the peak phase, from /metrics. */
  heapTotalMb: number;
  externalMb: number;
  gatewayWarnings: number;
  /** CPU of everything else on the machine during the peak phase, in cores. */
  brokerCpuCores: number;
  loadGeneratorCpuCores: number;
  otherCpuCores: number;
  /** Reference: the same lines with kcat -P -z lz4. */
  kcatLines: number;
  kcatLinesPerS: number;
  kcatMbPerS: number;
  ratio: number;
  /** Reference: the HTTP floor server under the same load in the same run. */
  floorLinesPerS: number;
  floorRatio: number;
  /** CPU µs per line by stage (bench/stage-report.ts). */
  stages: StageBreakdown;
  /** Kafka check right after the peak phase. */
  linesAckedBeforeCheck: number;
  topicMessagesAtCheck: number;
  kcatTopicMessages: number;
}

export interface ReportInput {
  command: string;
  machine: readonly string[];
  settings: readonly string[];
  notes: readonly string[];
  runs: readonly RunFigures[];
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const fixed = (digits: number) => (value: number) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');
const grouped = (value: number) => (Number.isFinite(value) ? integer.format(value) : 'n/a');

interface Row {
  label: string;
  values: readonly number[];
  format: (value: number) => string;
  /** Print the run-to-run spread, for the figures whose noise matters. */
  spread?: boolean;
}

export function formatFailures(failures: Record<string, number>): string {
  const entries = Object.entries(failures).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0) return '0';
  return entries.map(([key, count]) => `${key}×${count}`).join(' ');
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)];
}

export function renderReport(input: ReportInput): string {
  const runs = input.runs;
  const col = <K extends keyof RunFigures>(key: K) => runs.map((run) => run[key] as number);
  const rows: Row[] = [
    { label: 'gateway lines/s (peak)', values: col('peakLinesPerS'), format: grouped, spread: true },
    { label: 'gateway MB/s (uncompressed JSONL)', values: col('peakMbPerS'), format: fixed(1) },
    { label: 'peak latency p50 ms', values: col('peakP50Ms'), format: fixed(1) },
    { label: 'peak latency p99 ms', values: col('peakP99Ms'), format: fixed(1), spread: true },
    { label: 'peak latency max ms', values: col('peakMaxMs'), format: fixed(1) },
    { label: 'half rate: target lines/s', values: col('halfTargetLinesPerS'), format: grouped },
    { label: 'half rate: achieved lines/s', values: col('halfLinesPerS'), format: grouped },
    { label: 'half rate: latency p50 ms', values: col('halfP50Ms'), format: fixed(1) },
    { label: 'half rate: latency p99 ms', values: col('halfP99Ms'), format: fixed(1), spread: true },
    { label: 'half rate: latency max ms', values: col('halfMaxMs'), format: fixed(1) },
    { label: 'gateway RSS idle after start MB', values: col('idleRssMb'), format: fixed(1) },
    { label: 'gateway peak RSS (VmHWM) MB', values: col('peakRssMb'), format: fixed(1) },
    { label: 'gateway V8 heap total MB (end of peak)', values: col('heapTotalMb'), format: fixed(1) },
    { label: 'gateway external memory MB (end of peak)', values: col('externalMb'), format: fixed(1) },
    { label: 'gateway CPU s (peak phase)', values: col('gatewayCpuS'), format: fixed(1) },
    { label: 'gateway CPU cores busy (peak)', values: col('gatewayCpuCores'), format: fixed(2) },
    { label: 'gateway JS main thread cores (peak)', values: col('gatewayMainThreadCores'), format: fixed(2) },
    { label: 'gateway CPU s per million lines', values: col('cpuSPerMillionLines'), format: fixed(1) },
    { label: 'gateway avg batch messages', values: col('avgBatchMessages'), format: fixed(0) },
    { label: 'gateway avg produce latency ms', values: col('avgProduceMs'), format: fixed(1) },
    { label: 'broker CPU cores busy (peak)', values: col('brokerCpuCores'), format: fixed(2) },
    { label: 'load generator CPU cores (peak)', values: col('loadGeneratorCpuCores'), format: fixed(2) },
    { label: 'other processes CPU cores (peak)', values: col('otherCpuCores'), format: fixed(2) },
    { label: 'kcat lines', values: col('kcatLines'), format: grouped },
    { label: 'kcat lines/s', values: col('kcatLinesPerS'), format: grouped, spread: true },
    { label: 'kcat MB/s', values: col('kcatMbPerS'), format: fixed(1) },
    { label: 'ratio gateway/kcat', values: col('ratio'), format: fixed(2), spread: true },
    { label: 'HTTP floor lines/s', values: col('floorLinesPerS'), format: grouped, spread: true },
    { label: 'ratio gateway/floor', values: col('floorRatio'), format: fixed(2), spread: true },
  ];
  const header = ['figure', ...runs.map((_, i) => `run ${i + 1}`), 'median'];
  if (runs.length > 1) header.push('spread');
  const body = rows.map((row) => {
    const cells = [row.label, ...row.values.map(row.format), row.format(median(row.values))];
    if (runs.length > 1) {
      const spread = relativeSpread(row.values);
      cells.push(row.spread && Number.isFinite(spread) ? `${(spread * 100).toFixed(0)}%` : '');
    }
    return cells;
  });

  const perRun = runs.map((run, i) => {
    const lossFree = run.topicMessagesAtCheck >= run.linesAckedBeforeCheck;
    return [
      `run ${i + 1}:`,
      `peak failures ${formatFailures(run.peakFailures)} of ${grouped(run.peakRequests)} requests;`,
      `half-rate failures ${formatFailures(run.halfFailures)}${run.halfOverloaded ? ' (OVERLOADED: stopped early)' : ''};`,
      `Kafka check: ${grouped(run.topicMessagesAtCheck)} messages in the gateway topic ≥ ${grouped(run.linesAckedBeforeCheck)} lines acknowledged → ${lossFree ? 'no loss' : 'LOSS'};`,
      `kcat topic ${grouped(run.kcatTopicMessages)} of ${grouped(run.kcatLines)};`,
      `gateway warn/error log lines ${run.gatewayWarnings}`,
    ].join(' ');
  });

  const medianStages = Object.fromEntries(
    [...STAGE_COLUMNS.map(([key]) => key), 'gateway' as const].map((key) => [
      key,
      median(runs.map((run) => run.stages[key])),
    ]),
  ) as unknown as StageBreakdown;
  const stageTable = renderStageTable([
    ...runs.map((run, i) => ({ label: `run ${i + 1}`, breakdown: run.stages })),
    ...(runs.length > 1 ? [{ label: 'median', breakdown: medianStages }] : []),
  ]);

  const ratio = median(col('ratio'));
  const rss = Math.max(...col('peakRssMb'));
  const halfP99 = median(col('halfP99Ms'));
  const verdict = (met: boolean) => (met ? 'met' : 'MISSED');
  const targets = [
    `ratio gateway/kcat ≥ 0.5: median ${fixed(2)(ratio)} → ${verdict(ratio >= 0.5)}`,
    `peak RSS ≤ 200 MB: highest ${fixed(1)(rss)} MB → ${verdict(rss <= 200)}`,
    `p99 ≤ 50 ms at half the peak rate: median ${fixed(1)(halfP99)} ms → ${verdict(halfP99 <= 50)}`,
  ];

  return [
    'Sluice gateway vs kcat benchmark',
    '',
    `command: ${input.command}`,
    ...input.machine.map((line) => `machine: ${line}`),
    ...input.settings.map((line) => `setting: ${line}`),
    '',
    ...table(header, body),
    '',
    ...perRun,
    '',
    'CPU µs per line by stage (HTTP: the floor server under the same load; split to hand-off: in-process',
    'on the same bodies; engine: the engine alone delivering the same messages; rest: what the gateway',
    'process spent beyond them, i.e. fastify, answers, metrics and GC under load):',
    '',
    stageTable,
    'targets:',
    ...targets.map((line) => `  ${line}`),
    '',
    ...input.notes.map((line) => `note: ${line}`),
    '',
  ].join('\n');
}
