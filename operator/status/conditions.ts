import type { Reason } from '../api/constants.ts';

export type ConditionStatus = 'True' | 'False' | 'Unknown';

/** A status condition as Kubernetes API conventions define it (metav1.Condition). */
export interface Condition {
  readonly type: string;
  readonly status: ConditionStatus;
  readonly reason: Reason;
  readonly message: string;
  readonly observedGeneration: number;
  readonly lastTransitionTime: string;
}

export type DesiredCondition = Omit<Condition, 'lastTransitionTime'>;

/**
 * Merges desired conditions into the current ones. `lastTransitionTime` moves
 * only when a condition's status changes, so an unchanged world yields an
 * identical list (and no status write). `now` is injected: no clock in here.
 */
export function mergeConditions(
  current: readonly Condition[] | undefined,
  desired: readonly DesiredCondition[],
  now: () => string,
): Condition[] {
  return desired.map((want) => {
    const existing = current?.find((condition) => condition.type === want.type);
    const lastTransitionTime =
      existing && existing.status === want.status ? existing.lastTransitionTime : now();
    return { ...want, lastTransitionTime };
  });
}
