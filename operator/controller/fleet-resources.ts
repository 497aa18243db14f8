import type { ResourceRef } from '../kube/kube-client.ts';
import type { RouteProvider } from '../render/render-routes.ts';

// The kinds the gateway fleet and its routes are made of. The operator watches each with the
// managed-by label selector, so its caches hold only what it owns.

export const DEPLOYMENTS: ResourceRef = {
  groupVersionPath: '/apis/apps/v1',
  plural: 'deployments',
  namespaced: true,
};
export const SERVICES: ResourceRef = { groupVersionPath: '/api/v1', plural: 'services', namespaced: true };
export const POD_DISRUPTION_BUDGETS: ResourceRef = {
  groupVersionPath: '/apis/policy/v1',
  plural: 'poddisruptionbudgets',
  namespaced: true,
};
/** The autoscalers of the tracks a GatewayFleet autoscales (render-autoscaler.ts). */
export const HORIZONTAL_POD_AUTOSCALERS: ResourceRef = {
  groupVersionPath: '/apis/autoscaling/v2',
  plural: 'horizontalpodautoscalers',
  namespaced: true,
};
export const APISIX_ROUTES: ResourceRef = {
  groupVersionPath: '/apis/apisix.apache.org/v2',
  plural: 'apisixroutes',
  namespaced: true,
};
/**
 * APISIX's per-Service upstream settings: with listener TLS the operator writes one per
 * gateway Service (scheme https). Watched whenever the provider is apisix, TLS or not, so
 * upstreams left from a TLS run are pruned once TLS is turned off.
 */
export const APISIX_UPSTREAMS: ResourceRef = {
  groupVersionPath: '/apis/apisix.apache.org/v2',
  plural: 'apisixupstreams',
  namespaced: true,
};
export const HTTP_ROUTES: ResourceRef = {
  groupVersionPath: '/apis/gateway.networking.k8s.io/v1',
  plural: 'httproutes',
  namespaced: true,
};

/** The route kind a provider writes; undefined for `none`. */
export function routeResource(provider: RouteProvider): ResourceRef | undefined {
  return provider === 'apisix' ? APISIX_ROUTES : provider === 'gateway-api' ? HTTP_ROUTES : undefined;
}

/** The kind that tells a provider how to reach a gateway Service (its scheme); undefined when none. */
export function upstreamResource(provider: RouteProvider): ResourceRef | undefined {
  return provider === 'apisix' ? APISIX_UPSTREAMS : undefined;
}

/** The provider's own kinds the operator writes (the cluster must serve each): route, upstream. */
export function providerResources(provider: RouteProvider): ResourceRef[] {
  return [routeResource(provider), upstreamResource(provider)].filter(
    (ref): ref is ResourceRef => ref !== undefined,
  );
}

export const NETWORK_POLICIES: ResourceRef = {
  groupVersionPath: '/apis/networking.k8s.io/v1',
  plural: 'networkpolicies',
  namespaced: true,
};

/** Every kind the fleet of a provider needs watched (NetworkPolicies only when it writes one). */
export function fleetResources(provider: RouteProvider, networkPolicy = false): ResourceRef[] {
  return [
    DEPLOYMENTS,
    SERVICES,
    POD_DISRUPTION_BUDGETS,
    HORIZONTAL_POD_AUTOSCALERS,
    ...(networkPolicy ? [NETWORK_POLICIES] : []),
    ...providerResources(provider),
  ];
}
