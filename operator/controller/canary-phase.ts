/** Where the canary track of a namespace stands. */
export type CanaryPhase =
  /** Some repo has a canary weight above 0: the track runs and routes may send it traffic. */
  | { readonly state: 'active' }
  /**
   * No weight above 0 any more, but the grace period since the last one returned to 0 is not
   * over: the track keeps running, routes send it nothing, in-flight requests finish.
   */
  | { readonly state: 'draining'; readonly idleSince: string; readonly remainingMs: number }
  /** No canary track (never was, or the grace period is over: remove what is left). */
  | { readonly state: 'absent' };

export interface CanaryPhaseInput {
  /** Some LogRepo of the namespace has a canary weight above 0. */
  readonly wanted: boolean;
  /** The canary Deployment exists. */
  readonly deployed: boolean;
  /** Its `sluice.dev/canary-idle-since` annotation, if any. */
  readonly idleSince: string | undefined;
  readonly nowMs: number;
  readonly graceMs: number;
}

/**
 * Decides the canary phase. Pure: the clock is an input. The idle time is kept on the canary
 * Deployment, so a restarted or new leader continues the same grace period; an unreadable
 * annotation restarts it (the safe direction: a longer drain).
 */
export function canaryPhase(input: CanaryPhaseInput): CanaryPhase {
  if (input.wanted) return { state: 'active' };
  if (!input.deployed) return { state: 'absent' };
  const parsed = input.idleSince === undefined ? Number.NaN : Date.parse(input.idleSince);
  const sinceMs = Number.isNaN(parsed) ? input.nowMs : parsed;
  // A time in the future (another replica's clock ahead) never stretches the grace period.
  const remainingMs = Math.min(sinceMs + input.graceMs - input.nowMs, input.graceMs);
  if (remainingMs <= 0) return { state: 'absent' };
  return {
    state: 'draining',
    idleSince: Number.isNaN(parsed) ? new Date(input.nowMs).toISOString() : (input.idleSince as string),
    remainingMs,
  };
}
