import { canonicalJson } from '../../gateway/runtime/plan-producers.ts';
import { CONDITION, REASON } from '../api/constants.ts';
import type { Verdict } from '../render/render-gateway-config.ts';
import { type Condition, mergeConditions } from './conditions.ts';

export interface ResourceStatus {
  observedGeneration?: number;
  configRevision?: string;
  conditions?: Condition[];
}

/**
 * The status an object should have after a render: Ready=True with the
 * revision that includes it, or Ready=False with the verdict's reason. Pure;
 * `now` is only used for a condition whose status changes.
 */
export function desiredStatus(
  current: ResourceStatus | undefined,
  generation: number,
  verdict: Verdict,
  revision: string,
  now: () => string,
): ResourceStatus {
  const ready = verdict.reason === REASON.applied;
  const message = verdict.included ? `${verdict.message} (revision ${revision})` : verdict.message;
  return {
    observedGeneration: generation,
    configRevision: verdict.included ? revision : '',
    conditions: mergeConditions(
      current?.conditions,
      [
        {
          type: CONDITION.ready,
          status: ready ? 'True' : 'False',
          reason: verdict.reason,
          message,
          observedGeneration: generation,
        },
      ],
      now,
    ),
  };
}

/** True when writing `desired` would change nothing (so nothing is written). */
export function statusUnchanged(current: ResourceStatus | undefined, desired: ResourceStatus): boolean {
  return canonicalJson(current ?? {}) === canonicalJson(desired);
}
