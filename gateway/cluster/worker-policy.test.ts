import { describe, expect, it } from 'vitest';
import {
  CRASH_WINDOW_MS,
  clusterExitCode,
  isWorkerCommand,
  parseWorkerCount,
  pruneCrashTimes,
  restartDelayMs,
  WORKER_COMMANDS,
} from './worker-policy.ts';

describe('parseWorkerCount', () => {
  it.each([
    { raw: undefined, cpus: 8, workers: 1 },
    { raw: '1', cpus: 8, workers: 1 },
    { raw: '3', cpus: 2, workers: 3 },
    { raw: ' 2 ', cpus: 2, workers: 2 },
    { raw: 'auto', cpus: 2, workers: 2 },
    { raw: 'auto', cpus: 0, workers: 1 },
    { raw: 'auto', cpus: 500, workers: 64 },
    { raw: '64', cpus: 2, workers: 64 },
  ])('$raw with $cpus CPUs → $workers', ({ raw, cpus, workers }) => {
    expect(parseWorkerCount(raw, cpus)).toEqual({ ok: true, workers });
  });

  it.each(['0', '-1', '65', '1.5', 'two', '', '2x'])('rejects %j', (raw) => {
    const result = parseWorkerCount(raw, 2);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(`"${raw}"`);
  });
});

describe('restartDelayMs', () => {
  it.each([
    { crashes: [1000], now: 1000, delay: 100 },
    { crashes: [0, 1000], now: 1000, delay: 200 },
    { crashes: [0, 10, 20, 1000], now: 1000, delay: 800 },
    { crashes: Array.from({ length: 20 }, (_, i) => i), now: 100, delay: 10_000 },
    // Crashes outside the window no longer count.
    { crashes: [0, 10, CRASH_WINDOW_MS + 500], now: CRASH_WINDOW_MS + 500, delay: 100 },
  ])('$crashes.length crashes, now $now → $delay ms', ({ crashes, now, delay }) => {
    expect(restartDelayMs(crashes, now)).toBe(delay);
  });

  it('never exceeds 10 s and never drops below 100 ms', () => {
    for (let n = 0; n < 40; n++) {
      const delay = restartDelayMs(
        Array.from({ length: n }, () => 0),
        0,
      );
      expect(delay).toBeGreaterThanOrEqual(100);
      expect(delay).toBeLessThanOrEqual(10_000);
    }
  });
});

describe('pruneCrashTimes', () => {
  it('keeps only the crashes within the window', () => {
    expect(pruneCrashTimes([0, 5, 10], CRASH_WINDOW_MS + 5)).toEqual([5, 10]);
  });
});

describe('clusterExitCode', () => {
  it.each([
    { codes: [0, 0], exit: 0 },
    { codes: [], exit: 0 },
    { codes: [0, 1], exit: 1 },
    { codes: [0, null], exit: 1 },
  ])('$codes → $exit', ({ codes, exit }) => {
    expect(clusterExitCode(codes)).toBe(exit);
  });
});

describe('isWorkerCommand', () => {
  it.each([
    [WORKER_COMMANDS.shutdown, true],
    [WORKER_COMMANDS.reload, true],
    ['shutdown', false],
    [{ cmd: 'sluice:shutdown' }, false],
    [undefined, false],
  ])('%j → %s', (message, expected) => {
    expect(isWorkerCommand(message)).toBe(expected);
  });
});
