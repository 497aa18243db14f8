import { GATEWAY_NAMES } from '../api/constants.ts';
import type { KubeObject } from '../kube/kube-client.ts';
import type { RouteSettings } from '../operator-config.ts';
import { withAppliedDigest } from './applied-digest.ts';
import type { Track } from './render-gateway-config.ts';
import { fleetLabels } from './render-gateway-workload.ts';

export interface UpstreamInputs {
  readonly namespace: string;
  readonly track: Track;
  readonly routes: RouteSettings;
  /** The gateways serve HTTPS (the fleet's listener certificate). */
  readonly listenerTls: boolean;
}

/**
 * The ApisixUpstream (apisix.apache.org/v2) of one gateway track's Service: same name as the
 * Service, which is how APISIX's ingress controller pairs them, and `scheme: https`, so the
 * routes' backends are reached over TLS. Only for provider apisix with listener TLS;
 * undefined otherwise (plain HTTP is APISIX's default and needs no upstream object). It
 * carries the Service's labels, so it is watched, pruned and removed like the Service.
 * Pure and deterministic.
 */
export function renderGatewayUpstream(inputs: UpstreamInputs): KubeObject | undefined {
  const { namespace, track, routes } = inputs;
  if (routes.provider !== 'apisix' || !inputs.listenerTls) return undefined;
  return withAppliedDigest({
    apiVersion: 'apisix.apache.org/v2',
    kind: 'ApisixUpstream',
    metadata: { name: GATEWAY_NAMES[track].workload, namespace, labels: fleetLabels(track) },
    spec: {
      // The controller of that class picks the upstream up, as it does the routes.
      ...(routes.ingressClassName === undefined ? {} : { ingressClassName: routes.ingressClassName }),
      scheme: 'https',
    },
  });
}
