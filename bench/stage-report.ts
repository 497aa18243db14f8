import type { StageCosts } from './stage-costs.ts';

// The per-stage breakdown of the gateway's CPU per line, as a Markdown table. Pure.

export interface StageBreakdown extends StageCosts {
  /** The HTTP floor server's CPU per line under the same load: HTTP and body reading. */
  readonly http: number;
  /** The Kafka engine alone delivering the same messages. */
  readonly engine: number;
  /** The gateway process's CPU per line at peak, measured from /proc. */
  readonly gateway: number;
}

export const STAGE_COLUMNS = [
  ['http', 'HTTP + body (floor)'],
  ['split', 'split'],
  ['decode', 'decode'],
  ['pipeline', 'pipeline'],
  ['serialize', 'serialize'],
  ['handOff', 'engine hand-off'],
  ['engine', 'engine'],
] as const satisfies readonly (readonly [keyof StageBreakdown, string])[];

/** What the stages leave unexplained: fastify routing, answers, metrics, GC under load. */
export function restOf(breakdown: StageBreakdown): number {
  let sum = 0;
  for (const [key] of STAGE_COLUMNS) sum += breakdown[key];
  return breakdown.gateway - sum;
}

const us = (value: number) => (Number.isFinite(value) ? value.toFixed(2) : 'n/a');

export function renderStageTable(rows: readonly { label: string; breakdown: StageBreakdown }[]): string {
  const head = ['cell', ...STAGE_COLUMNS.map(([, title]) => title), 'rest', 'gateway total'];
  const lines = [
    `| ${head.join(' | ')} |`,
    `| --- |${' ---: |'.repeat(head.length - 1)}`,
    ...rows.map(({ label, breakdown }) => {
      const cells = [...STAGE_COLUMNS.map(([key]) => breakdown[key]), restOf(breakdown), breakdown.gateway];
      return `| ${label} | ${cells.map(us).join(' | ')} |`;
    }),
  ];
  return `${lines.join('\n')}\n`;
}
