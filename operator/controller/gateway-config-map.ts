import {
  ANNOTATIONS,
  FIELD_MANAGER,
  GATEWAY_CONFIG_KEY,
  GATEWAY_NAMES,
  LABELS,
  MANAGED_BY,
} from '../api/constants.ts';
import type { KubeObject } from '../kube/kube-client.ts';
import type { RenderedConfig, Track } from '../render/render-gateway-config.ts';
import { lostOwnership } from './field-ownership.ts';
import type { ReconcileDeps } from './reconcile-namespace.ts';
import { CONFIG_MAPS } from './resources.ts';

type ConfigText = Pick<RenderedConfig, 'text' | 'revision'>;

/** The ConfigMap the gateway pods of `track` mount; only the canary one carries a track label. Pure. */
export function desiredConfigMap(namespace: string, track: Track, config: ConfigText): KubeObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: {
      name: GATEWAY_NAMES[track].configMap,
      namespace,
      labels: {
        [LABELS.managedBy]: MANAGED_BY,
        [LABELS.name]: 'sluice',
        [LABELS.component]: 'gateway-config',
        ...(track === 'stable' ? {} : { [LABELS.track]: track }),
      },
      annotations: { [ANNOTATIONS.revision]: config.revision },
    },
    data: { [GATEWAY_CONFIG_KEY]: config.text },
  };
}

/**
 * Applies the ConfigMap of `track` unless the cached one already holds `config.text` (the
 * apiserver stores ConfigMap data as written, so the text says it all) and no other field
 * manager took over a field of it (see lostOwnership). True when it wrote.
 */
export async function applyConfigMap(
  namespace: string,
  track: Track,
  config: ConfigText,
  deps: Pick<ReconcileDeps, 'client' | 'caches'>,
): Promise<boolean> {
  const stored = deps.caches.get(CONFIG_MAPS, namespace, GATEWAY_NAMES[track].configMap);
  const desired = desiredConfigMap(namespace, track, config);
  if (
    stored &&
    (stored.data as Record<string, string> | undefined)?.[GATEWAY_CONFIG_KEY] === config.text &&
    !lostOwnership(desired, stored, FIELD_MANAGER)
  )
    return false;
  await deps.client.apply(CONFIG_MAPS, desired, FIELD_MANAGER);
  return true;
}
