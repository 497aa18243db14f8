import type { KafkaProducerSpec } from '../api/kafka-producer-spec.ts';
import type { LogRepoSpec } from '../api/log-repo-spec.ts';
import type { KubeObject } from '../kube/kube-client.ts';
import type { FleetSettings, RouteSettings } from '../operator-config.ts';
import { gatewaySecretNames } from './gateway-secret-names.ts';
import type { SpecObject, Track } from './render-gateway-config.ts';
import { renderGatewayUpstream } from './render-gateway-upstream.ts';
import { type GatewayWorkload, renderGatewayWorkload } from './render-gateway-workload.ts';

/** Every Secret a namespace's gateway pods mount: the specs' references plus the fleet's listener certificate. Pure. */
export function fleetSecretNames(
  producers: readonly SpecObject<KafkaProducerSpec>[],
  repos: readonly SpecObject<Pick<LogRepoSpec, 'auth'>>[],
  fleet: FleetSettings,
): string[] {
  const listenerTls = fleet.listenerTls?.secretName;
  return gatewaySecretNames(producers, repos, listenerTls ? [listenerTls] : []);
}

export interface TrackInputs {
  readonly namespace: string;
  readonly track: Track;
  readonly fleet: FleetSettings;
  readonly routes: RouteSettings;
  /** fleetSecretNames of the namespace. */
  readonly secrets: readonly string[];
  /** Canary only: when its last weight returned to 0. */
  readonly idleSince?: string;
  /** As WorkloadInputs.replicas: present replaces the track's replicas, present and undefined omits them. */
  readonly replicas?: number | undefined;
}

/**
 * One gateway track's objects: its Deployment, Service and PodDisruptionBudget, and the
 * ApisixUpstream that makes APISIX speak HTTPS to the Service (with listener TLS and
 * provider apisix; undefined otherwise). The operator's fleet reconcile and `sluice render`
 * both render tracks through this, so they agree. Pure and deterministic.
 */
export function renderGatewayTrack(inputs: TrackInputs): {
  readonly workload: GatewayWorkload;
  readonly upstream: KubeObject | undefined;
} {
  const { namespace, track, fleet } = inputs;
  const listenerTls = fleet.listenerTls?.secretName !== undefined;
  return {
    workload: renderGatewayWorkload({
      namespace,
      track,
      settings: fleet[track],
      secrets: inputs.secrets,
      ...(listenerTls ? { listenerTls: true } : {}),
      ...(inputs.idleSince === undefined ? {} : { idleSince: inputs.idleSince }),
      ...(Object.hasOwn(inputs, 'replicas') ? { replicas: inputs.replicas } : {}),
    }),
    upstream: renderGatewayUpstream({ namespace, track, routes: inputs.routes, listenerTls }),
  };
}
