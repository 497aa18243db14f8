import { describe, expect, it } from 'vitest';
import {
  parseChildPids,
  parseCpuModel,
  parseProcStat,
  parseProcStatus,
  parseSystemCpu,
} from './proc-stats.ts';

describe('parseProcStat', () => {
  const tail = 'S 1 2 3 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 11 0 1234 5678 9 18446744073709551615';
  it.each([
    { name: 'a plain name', text: `4242 (node) ${tail}` },
    { name: 'a name with spaces and parentheses', text: `4242 (my (odd) name) ${tail}` },
  ])('reads utime and stime after $name', ({ text }) => {
    expect(parseProcStat(text)).toEqual({ utimeTicks: 250, stimeTicks: 75 });
  });

  it.each(['', 'garbage', '1 (x) S 1'])('returns null for %j', (text) => {
    expect(parseProcStat(text)).toBeNull();
  });
});

describe('parseProcStatus', () => {
  it('reads VmRSS and VmHWM in bytes', () => {
    const text = 'Name:\tnode\nVmPeak:\t 999 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\nThreads:\t11\n';
    expect(parseProcStatus(text)).toEqual({ rssBytes: 100 * 1024 * 1024, peakRssBytes: 200 * 1024 * 1024 });
  });

  it('returns null when a field is missing (a zombie has no VmRSS)', () => {
    expect(parseProcStatus('Name:\tnode\nState:\tZ (zombie)\n')).toBeNull();
  });
});

describe('parseSystemCpu', () => {
  it('counts everything but idle and iowait as busy, guest time only once', () => {
    const text = 'cpu  100 10 50 1000 20 5 5 3 40 0\ncpu0 50 5 25 500 10 2 3 1 20 0\nintr 1 2 3\n';
    expect(parseSystemCpu(text)).toEqual({ busyTicks: 173, totalTicks: 1193 });
  });

  it('returns null without an aggregate cpu line', () => {
    expect(parseSystemCpu('intr 1 2 3\n')).toBeNull();
  });
});

describe('parseCpuModel', () => {
  it.each([
    {
      text: 'processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Processor\nflags\t: fpu\n',
      expected: 'Intel(R) Xeon(R) Processor',
    },
    { text: 'processor\t: 0\nCPU implementer\t: 0x41\n', expected: null },
  ])('reads $expected', ({ text, expected }) => {
    expect(parseCpuModel(text)).toBe(expected);
  });
});

describe('parseChildPids', () => {
  it.each([
    ['', []],
    ['123 456 \n', [123, 456]],
    ['7', [7]],
  ])('%j → %j', (text, pids) => {
    expect(parseChildPids(text)).toEqual(pids);
  });
});
