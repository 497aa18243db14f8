import { canonicalJson } from '../../kernel/canonical-json.ts';
import { CONDITION, REASON } from '../api/constants.ts';
import type { Verdict } from '../render/render-gateway-config.ts';
import { type Condition, mergeConditions } from './conditions.ts';

export interface ResourceStatus {
  observedGeneration?: number;
  configRevision?: string;
  configDigest?: string;
  conditions?: Condition[];
}

/**
 * The status an object should have after a render: Ready=True, or
 * Ready=False with the verdict's reason. `configRevision` is the first gateway
 * config revision that carried this object's current part of the config: it
 * moves only when that part (`configDigest`) changes, so editing one repo
 * rewrites one status, not every status of the namespace. Pure; `now` is only
 * used for a condition whose status changes.
 */
export function desiredStatus(
  current: ResourceStatus | undefined,
  generation: number,
  verdict: Verdict,
  revision: string,
  now: () => string,
): ResourceStatus {
  const ready = verdict.reason === REASON.applied;
  const sameContent =
    verdict.digest !== undefined && current?.configDigest === verdict.digest && current.configRevision;
  return {
    observedGeneration: generation,
    configRevision: verdict.included ? (sameContent ? (current?.configRevision ?? revision) : revision) : '',
    ...(verdict.digest === undefined ? {} : { configDigest: verdict.digest }),
    conditions: mergeConditions(
      current?.conditions,
      [
        {
          type: CONDITION.ready,
          status: ready ? 'True' : 'False',
          reason: verdict.reason,
          message: verdict.message,
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
