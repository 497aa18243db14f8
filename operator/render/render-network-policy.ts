import { GATEWAY_CONTAINER_PORT, LABELS, MANAGED_BY } from '../api/constants.ts';
import type { KubeObject } from '../kube/kube-client.ts';
import type { NetworkPolicyPeer } from '../operator-config.ts';
import { withAppliedDigest } from './applied-digest.ts';

/** Name of the NetworkPolicy guarding a namespace's gateway pods (both tracks). */
export const GATEWAY_NETWORK_POLICY = 'sluice-gateway';

/**
 * The NetworkPolicy that lets only `from` (the proxy, and the operator, which polls the pods'
 * /status and /metrics) reach the gateway pods of both tracks, on the gateway port only. Every
 * other ingress to those pods is dropped by a CNI that enforces policies. Pure.
 */
export function renderNetworkPolicy(namespace: string, from: readonly NetworkPolicyPeer[]): KubeObject {
  return withAppliedDigest({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: {
      name: GATEWAY_NETWORK_POLICY,
      namespace,
      labels: { [LABELS.name]: 'sluice', [LABELS.component]: 'gateway', [LABELS.managedBy]: MANAGED_BY },
    },
    spec: {
      podSelector: { matchLabels: { [LABELS.name]: 'sluice', [LABELS.component]: 'gateway' } },
      policyTypes: ['Ingress'],
      ingress: [{ from: [...from], ports: [{ protocol: 'TCP', port: GATEWAY_CONTAINER_PORT }] }],
    },
  });
}
