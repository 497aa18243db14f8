import { describe, expect, it } from 'vitest';
import { canaryPhase } from './canary-phase.ts';

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const grace = 300_000;

describe('canaryPhase', () => {
  it.each([
    {
      name: 'a weight above 0',
      input: { wanted: true, deployed: false, idleSince: undefined, nowMs: T0 },
      phase: { state: 'active' },
    },
    {
      name: 'no weight, no track',
      input: { wanted: false, deployed: false, idleSince: undefined, nowMs: T0 },
      phase: { state: 'absent' },
    },
    {
      name: 'weights just returned to 0: the grace period starts now',
      input: { wanted: false, deployed: true, idleSince: undefined, nowMs: T0 },
      phase: { state: 'draining', idleSince: '2026-01-01T00:00:00.000Z', remainingMs: grace },
    },
    {
      name: 'one minute into the grace period',
      input: { wanted: false, deployed: true, idleSince: '2026-01-01T00:00:00.000Z', nowMs: T0 + 60_000 },
      phase: { state: 'draining', idleSince: '2026-01-01T00:00:00.000Z', remainingMs: grace - 60_000 },
    },
    {
      name: 'the grace period is over',
      input: { wanted: false, deployed: true, idleSince: '2026-01-01T00:00:00.000Z', nowMs: T0 + grace },
      phase: { state: 'absent' },
    },
    {
      name: 'a weight above 0 again during the grace period',
      input: { wanted: true, deployed: true, idleSince: '2026-01-01T00:00:00.000Z', nowMs: T0 + 60_000 },
      phase: { state: 'active' },
    },
    {
      name: 'an unreadable idle time restarts the grace period',
      input: { wanted: false, deployed: true, idleSince: 'yesterday', nowMs: T0 },
      phase: { state: 'draining', idleSince: '2026-01-01T00:00:00.000Z', remainingMs: grace },
    },
    {
      name: 'an idle time in the future never stretches the grace period',
      input: { wanted: false, deployed: true, idleSince: '2026-01-01T01:00:00.000Z', nowMs: T0 },
      phase: { state: 'draining', idleSince: '2026-01-01T01:00:00.000Z', remainingMs: grace },
    },
  ])('$name', ({ input, phase }) => {
    expect(canaryPhase({ ...input, graceMs: grace })).toEqual(phase);
  });

  it('removes at once with a grace period of 0', () => {
    expect(
      canaryPhase({ wanted: false, deployed: true, idleSince: undefined, nowMs: T0, graceMs: 0 }),
    ).toEqual({
      state: 'absent',
    });
  });
});
