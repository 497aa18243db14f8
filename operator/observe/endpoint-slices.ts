import type { KubeObject, ResourceRef } from '../kube/kube-client.ts';

/** An EndpointSlice as the endpointslice controller writes it (discovery.k8s.io/v1); only what is read. */
export type EndpointSliceObject = KubeObject & {
  addressType?: string;
  endpoints?: Array<{
    addresses?: string[];
    conditions?: { ready?: boolean; serving?: boolean; terminating?: boolean };
    targetRef?: { kind?: string; name?: string; uid?: string };
  }>;
  ports?: Array<{ name?: string; port?: number; protocol?: string }>;
};

export const ENDPOINT_SLICES: ResourceRef<EndpointSliceObject> = {
  groupVersionPath: '/apis/discovery.k8s.io/v1',
  plural: 'endpointslices',
  namespaced: true,
};

/** The label the endpointslice controller puts on every slice of a Service. */
export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** A gateway pod a track's Service routes to: what the observer polls. */
export interface TrackEndpoint {
  /** The pod's name (targetRef), or its address when the slice names no pod. */
  readonly pod: string;
  readonly address: string;
}

/**
 * The ready endpoints of one Service across its slices: the pods a proxy sends traffic to.
 * `ready` unset counts as ready (the API's convention); terminating pods are not ready.
 * Sorted and de-duplicated by pod, so the result is stable across slice reshuffles. Pure.
 */
export function readyEndpoints(slices: readonly EndpointSliceObject[], service: string): TrackEndpoint[] {
  const byPod = new Map<string, TrackEndpoint>();
  for (const slice of slices) {
    if (slice.metadata.labels?.[SERVICE_NAME_LABEL] !== service) continue;
    if (slice.addressType !== undefined && slice.addressType !== 'IPv4' && slice.addressType !== 'IPv6')
      continue;
    for (const endpoint of slice.endpoints ?? []) {
      if (endpoint.conditions?.ready === false) continue;
      const address = endpoint.addresses?.[0];
      if (address === undefined) continue;
      const pod =
        endpoint.targetRef?.kind === 'Pod' && endpoint.targetRef.name ? endpoint.targetRef.name : address;
      if (!byPod.has(pod)) byPod.set(pod, { pod, address });
    }
  }
  return [...byPod.values()].sort((a, b) => (a.pod < b.pod ? -1 : a.pod > b.pod ? 1 : 0));
}
