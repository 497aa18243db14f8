import { ANNOTATIONS, GATEWAY_CONFIG_KEY, GATEWAY_NAMES, LABELS, MANAGED_BY } from '../api/constants.ts';
import type { KubeObject } from '../kube/kube-client.ts';
import type { RenderedConfig, Track } from '../render/render-gateway-config.ts';

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
