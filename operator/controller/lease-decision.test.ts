import { describe, expect, it } from 'vitest';
import { decideLease } from './lease-decision.ts';

const T = Date.parse('2026-01-01T00:00:00.000Z');
const iso = (ms: number) => new Date(ms).toISOString().replace('Z', '000Z');

describe('decideLease', () => {
  it.each([
    { name: 'no lease yet', current: undefined, action: 'acquire', transitions: 0 },
    { name: 'empty holder', current: { leaseTransitions: 2 }, action: 'acquire', transitions: 2 },
    {
      name: 'our own lease',
      current: { holderIdentity: 'me', renewTime: iso(T - 5000), leaseDurationSeconds: 15 },
      action: 'renew',
    },
    {
      name: 'another live holder',
      current: { holderIdentity: 'other', renewTime: iso(T - 5000), leaseDurationSeconds: 15 },
      action: 'wait',
    },
    {
      name: 'another holder that expired',
      current: {
        holderIdentity: 'other',
        renewTime: iso(T - 16_000),
        leaseDurationSeconds: 15,
        leaseTransitions: 3,
      },
      action: 'acquire',
      transitions: 4,
    },
  ])('$name → $action', ({ current, action, transitions }) => {
    const decision = decideLease(current, 'me', T, 15);
    expect(decision.action).toBe(action);
    if (decision.action !== 'wait') {
      expect(decision.spec.holderIdentity).toBe('me');
      expect(decision.spec.renewTime).toBe(iso(T));
      if (transitions !== undefined) expect(decision.spec.leaseTransitions).toBe(transitions);
    }
  });
});
