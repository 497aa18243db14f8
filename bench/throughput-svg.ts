import { cellLabel } from './bench-matrix.ts';
import type { CellFigures } from './matrix-report.ts';

// docs/benchmarks/throughput.svg: one horizontal bar of lines/s per matrix cell, with the
// kcat reference for that cell's compression as a dashed mark across the bar's row. Pure:
// the same results give the same bytes (no ids, dates or random values).

const ROW = 22;
const LABEL_W = 250;
const CHART_W = 520;
const RIGHT_PAD = 70;
const TOP = 40;
const BOTTOM = 44;
const ENGINE_COLOURS = ['#2f6db5', '#e07b39', '#4a9a5b', '#8e5aa8'];

const escapeXml = (text: string) =>
  text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
const num = (value: number) => (Number.isFinite(value) ? Number(value.toFixed(1)) : 0);
const thousands = (value: number) => `${Math.round(value / 1000)}k`;

/** A "nice" axis maximum ≥ value: 1, 2 or 5 × a power of ten. */
export function niceMax(value: number): number {
  if (!(value > 0)) return 1;
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 5, 10]) if (step * power >= value) return step * power;
  return 10 * power;
}

export function renderThroughputSvg(cells: readonly CellFigures[], title: string): string {
  const engines = [...new Set(cells.map((f) => f.cell.engine))];
  const colour = (engine: string) => ENGINE_COLOURS[engines.indexOf(engine) % ENGINE_COLOURS.length];
  const max = niceMax(
    Math.max(0, ...cells.flatMap((f) => [f.linesPerS, f.kcatLinesPerS].filter((v) => Number.isFinite(v)))),
  );
  const x = (value: number) => LABEL_W + (Number.isFinite(value) ? Math.max(0, value) / max : 0) * CHART_W;
  const height = TOP + cells.length * ROW + BOTTOM;
  const width = LABEL_W + CHART_W + RIGHT_PAD;
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text x="${width / 2}" y="18" text-anchor="middle" font-size="13" font-weight="bold">${escapeXml(title)}</text>`,
  ];
  // Grid lines at fifths of the axis.
  for (let i = 0; i <= 5; i++) {
    const value = (max * i) / 5;
    const gx = num(x(value));
    parts.push(
      `<line x1="${gx}" y1="${TOP - 4}" x2="${gx}" y2="${TOP + cells.length * ROW}" stroke="#dddddd"/>`,
      `<text x="${gx}" y="${TOP + cells.length * ROW + 14}" text-anchor="middle" fill="#555555">${thousands(value)}</text>`,
    );
  }
  cells.forEach((f, i) => {
    const y = TOP + i * ROW;
    const barEnd = num(x(f.linesPerS));
    parts.push(
      `<text x="${LABEL_W - 6}" y="${y + 15}" text-anchor="end">${escapeXml(cellLabel(f.cell))}</text>`,
      `<rect x="${LABEL_W}" y="${y + 4}" width="${num(barEnd - LABEL_W)}" height="${ROW - 8}" fill="${colour(f.cell.engine)}"/>`,
      `<text x="${num(barEnd + 4)}" y="${y + 15}" fill="#333333">${thousands(Number.isFinite(f.linesPerS) ? f.linesPerS : 0)}</text>`,
    );
    if (Number.isFinite(f.kcatLinesPerS) && f.kcatLinesPerS > 0) {
      const kx = num(x(f.kcatLinesPerS));
      parts.push(
        `<line x1="${kx}" y1="${y + 1}" x2="${kx}" y2="${y + ROW - 1}" stroke="#c0392b" stroke-width="2" stroke-dasharray="3,2"/>`,
      );
    }
  });
  const legendY = height - 12;
  let lx = LABEL_W;
  for (const engine of engines) {
    parts.push(
      `<rect x="${lx}" y="${legendY - 9}" width="10" height="10" fill="${colour(engine)}"/>`,
      `<text x="${lx + 14}" y="${legendY}">${escapeXml(engine)} (gateway lines/s)</text>`,
    );
    lx += 170;
  }
  parts.push(
    `<line x1="${lx}" y1="${legendY - 9}" x2="${lx}" y2="${legendY + 1}" stroke="#c0392b" stroke-width="2" stroke-dasharray="3,2"/>`,
    `<text x="${lx + 6}" y="${legendY}">kcat, same compression</text>`,
    '</svg>',
    '',
  );
  return parts.join('\n');
}
