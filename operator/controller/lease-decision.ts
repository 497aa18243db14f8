/** The fields of a coordination.k8s.io/v1 Lease spec that leader election uses. */
export interface LeaseSpec {
  holderIdentity?: string;
  leaseDurationSeconds?: number;
  acquireTime?: string;
  renewTime?: string;
  leaseTransitions?: number;
}

export type LeaseDecision =
  | { readonly action: 'renew'; readonly spec: LeaseSpec }
  | { readonly action: 'acquire'; readonly spec: LeaseSpec }
  | { readonly action: 'wait'; readonly holder: string };

/**
 * Pure leader-election step: keep renewing our own lease, take over a lease
 * that is free or expired, otherwise wait. Times are RFC 3339 strings with
 * microseconds, as the Lease API stores them; `nowMs` is injected.
 */
export function decideLease(
  current: LeaseSpec | undefined,
  identity: string,
  nowMs: number,
  durationSeconds: number,
): LeaseDecision {
  const now = new Date(nowMs).toISOString().replace('Z', '000Z');
  if (current?.holderIdentity === identity) {
    return { action: 'renew', spec: { ...current, renewTime: now, leaseDurationSeconds: durationSeconds } };
  }
  const renewedMs = current?.renewTime ? Date.parse(current.renewTime) : Number.NaN;
  const duration = (current?.leaseDurationSeconds ?? durationSeconds) * 1000;
  const held = current?.holderIdentity && Number.isFinite(renewedMs) && renewedMs + duration > nowMs;
  if (held) return { action: 'wait', holder: current?.holderIdentity ?? '' };
  return {
    action: 'acquire',
    spec: {
      holderIdentity: identity,
      leaseDurationSeconds: durationSeconds,
      acquireTime: now,
      renewTime: now,
      leaseTransitions: (current?.leaseTransitions ?? 0) + (current?.holderIdentity ? 1 : 0),
    },
  };
}
