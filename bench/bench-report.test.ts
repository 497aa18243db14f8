import { describe, expect, it } from 'vitest';
import { formatFailures, type RunFigures, renderReport } from './bench-report.ts';

function run(overrides: Partial<RunFigures> = {}): RunFigures {
  return {
    peakLinesPerS: 60_000,
    peakMbPerS: 25.4,
    peakP50Ms: 20,
    peakP99Ms: 80,
    peakMaxMs: 120,
    peakRequests: 12_000,
    peakFailures: {},
    halfTargetLinesPerS: 30_000,
    halfLinesPerS: 29_990,
    halfP50Ms: 8,
    halfP99Ms: 30,
    halfMaxMs: 45,
    halfFailures: {},
    halfOverloaded: false,
    idleRssMb: 120,
    peakRssMb: 180,
    gatewayCpuS: 16,
    gatewayCpuCores: 0.8,
    gatewayMainThreadCores: 0.7,
    cpuSPerMillionLines: 13.3,
    avgBatchMessages: 1400,
    avgProduceMs: 30,
    heapTotalMb: 90,
    externalMb: 20,
    gatewayWarnings: 0,
    brokerCpuCores: 0.2,
    loadGeneratorCpuCores: 0.1,
    otherCpuCores: 0.9,
    kcatLines: 1_200_000,
    kcatLinesPerS: 100_000,
    kcatMbPerS: 42.4,
    ratio: 0.6,
    floorLinesPerS: 300_000,
    floorRatio: 0.2,
    stages: {
      http: 1.5,
      split: 0.1,
      decode: 1.8,
      pipeline: 0.2,
      serialize: 0,
      handOff: 0.4,
      engine: 2,
      gateway: 13.3,
    },
    linesAckedBeforeCheck: 1_300_000,
    topicMessagesAtCheck: 1_300_000,
    kcatTopicMessages: 1_200_000,
    ...overrides,
  };
}

const input = {
  command: 'npm run bench -- --runs 3',
  machine: ['2 CPUs (Test CPU)'],
  settings: ['load: 32 connections'],
  notes: ['shared cores'],
};

describe('renderReport', () => {
  it('prints each run, the median and the spread, and judges the targets on the medians', () => {
    const text = renderReport({
      ...input,
      runs: [run({ peakLinesPerS: 50_000 }), run({ peakLinesPerS: 60_000 }), run({ peakLinesPerS: 70_000 })],
    });
    expect(text).toMatch(/^gateway lines\/s \(peak\)\s+50,000\s+60,000\s+70,000\s+60,000\s+33%$/m);
    expect(text).toContain('command: npm run bench -- --runs 3');
    expect(text).toContain('machine: 2 CPUs (Test CPU)');
    expect(text).toContain('ratio gateway/kcat ≥ 0.5: median 0.60 → met');
    expect(text).toContain('peak RSS ≤ 200 MB: highest 180.0 MB → met');
    expect(text).toContain('p99 ≤ 50 ms at half the peak rate: median 30.0 ms → met');
    expect(text).toContain('no loss');
    expect(text).toContain('note: shared cores');
  });

  it('flags missed targets, loss and failures', () => {
    const text = renderReport({
      ...input,
      runs: [
        run({
          ratio: 0.2,
          peakRssMb: 300,
          halfP99Ms: 80,
          topicMessagesAtCheck: 10,
          linesAckedBeforeCheck: 11,
          peakFailures: { '503': 2, ECONNRESET: 1 },
          halfOverloaded: true,
        }),
      ],
    });
    expect(text).toContain('median 0.20 → MISSED');
    expect(text).toContain('highest 300.0 MB → MISSED');
    expect(text).toContain('median 80.0 ms → MISSED');
    expect(text).toContain('→ LOSS');
    expect(text).toContain('peak failures 503×2 ECONNRESET×1 of 12,000 requests');
    expect(text).toContain('OVERLOADED');
    // One run has no spread column.
    expect(text).not.toContain('spread');
  });

  it('renders a skipped half-rate phase as n/a', () => {
    const text = renderReport({
      ...input,
      runs: [run({ halfP99Ms: Number.NaN, halfTargetLinesPerS: Number.NaN })],
    });
    expect(text).toMatch(/^half rate: latency p99 ms\s+n\/a\s+n\/a$/m);
  });
});

describe('formatFailures', () => {
  it.each<{ failures: Record<string, number>; expected: string }>([
    { failures: {}, expected: '0' },
    { failures: { '503': 3, '429': 1 }, expected: '429×1 503×3' },
  ])('formats $failures', ({ failures, expected }) => {
    expect(formatFailures(failures)).toBe(expected);
  });
});
