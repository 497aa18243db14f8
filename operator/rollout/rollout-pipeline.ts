import { canonicalJson, digestOf } from '../../kernel/canonical-json.ts';
import { LABELS, MANAGED_BY } from '../api/constants.ts';
import type { LogRepoSpec } from '../api/log-repo-spec.ts';
import type { KubeObject } from '../kube/kube-client.ts';

/**
 * The part of a LogRepo a rollout moves: how lines are read, checked, reshaped and where they
 * go (decoder, constraint, executers, error policy, dead letters, limits, sampling and the
 * kafka section). The rest applies to both tracks at once: `suspend`/`whileSuspended` and
 * `auth` are operational switches a human needs now, not in an hour; `canary` and `rollout`
 * steer the rollout itself.
 */
export type RepoPipeline = Omit<LogRepoSpec, 'canary' | 'rollout' | 'suspend' | 'whileSuspended' | 'auth'>;

const IMMEDIATE = ['canary', 'rollout', 'suspend', 'whileSuspended', 'auth'] as const;

export function pipelineOf(spec: LogRepoSpec): RepoPipeline {
  const pipeline: Record<string, unknown> = { ...spec };
  for (const field of IMMEDIATE) delete pipeline[field];
  return pipeline as RepoPipeline;
}

/** The digest a rollout names a pipeline by (status.rollout.target and .promoted). */
export const pipelineDigest = (pipeline: RepoPipeline): string => digestOf(pipeline);

/** The spec a track renders: `pipeline`, with the immediate fields of the current spec. */
export function withPipeline(spec: LogRepoSpec, pipeline: RepoPipeline): LogRepoSpec {
  const immediate: Record<string, unknown> = {};
  for (const field of IMMEDIATE) if (spec[field] !== undefined) immediate[field] = spec[field];
  return { ...pipeline, ...immediate } as LogRepoSpec;
}

/** The ConfigMap keeping a repo's last promoted pipeline across operator restarts. */
export const promotedConfigMapName = (repo: string) => `sluice-rollout-${repo}`;
export const PROMOTED_KEY = 'pipeline.json';
export const PROMOTED_COMPONENT = 'rollout';

/**
 * The owned object holding the last promoted pipeline of a repo with spec.rollout (status
 * alone cannot: a status may be lost, and a GitOps tool owns the spec). Owned by the LogRepo,
 * so it goes when the repo goes. It holds spec fields only, which name Secrets but never hold
 * them. Pure.
 */
export function promotedConfigMap(
  namespace: string,
  repo: { readonly name: string; readonly uid?: string | undefined },
  pipeline: RepoPipeline,
): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: promotedConfigMapName(repo.name),
      namespace,
      labels: {
        [LABELS.managedBy]: MANAGED_BY,
        [LABELS.name]: 'sluice',
        [LABELS.component]: PROMOTED_COMPONENT,
        [LABELS.repo]: repo.name,
      },
      ...(repo.uid === undefined
        ? {}
        : {
            ownerReferences: [
              {
                apiVersion: 'sluice.dev/v1alpha1',
                kind: 'LogRepo',
                name: repo.name,
                uid: repo.uid,
                controller: true,
              },
            ],
          }),
    },
    data: { [PROMOTED_KEY]: `${canonicalJson(pipeline)}\n` },
  };
}

/** Reads a promoted pipeline back; undefined for an object that does not hold one (it is then rewritten). */
export function readPromoted(object: KubeObject | undefined): RepoPipeline | undefined {
  const text = (object as { data?: Record<string, string> } | undefined)?.data?.[PROMOTED_KEY];
  if (text === undefined) return undefined;
  try {
    const value = JSON.parse(text) as unknown;
    return value !== null && typeof value === 'object' && !Array.isArray(value) && 'kafka' in value
      ? (value as RepoPipeline)
      : undefined;
  } catch {
    return undefined;
  }
}
