import { FIELD_MANAGER, GATEWAY_NAMES } from '../api/constants.ts';
import { type Autoscaling, REQUESTS_PER_SECOND_METRIC } from '../api/gateway-fleet-spec.ts';
import type { KubeObject } from '../kube/kube-client.ts';
import { withAppliedDigest } from './applied-digest.ts';
import type { Track } from './render-gateway-config.ts';
import { fleetLabels } from './render-gateway-workload.ts';

/** The autoscaling/v2 metric of a target: CPU utilization, or the per-pod requests-per-second metric. */
function metricOf(autoscaling: Autoscaling): Record<string, unknown> {
  if (autoscaling.targetCPUUtilizationPercentage !== undefined) {
    return {
      type: 'Resource',
      resource: {
        name: 'cpu',
        target: { type: 'Utilization', averageUtilization: autoscaling.targetCPUUtilizationPercentage },
      },
    };
  }
  // A custom metric: a metrics adapter (prometheus-adapter) must serve it on
  // custom.metrics.k8s.io, or the HPA reports FailedGetPodsMetric and keeps the size.
  return {
    type: 'Pods',
    pods: {
      metric: { name: REQUESTS_PER_SECOND_METRIC },
      target: { type: 'AverageValue', averageValue: String(autoscaling.targetRequestsPerSecond) },
    },
  };
}

/**
 * The HorizontalPodAutoscaler (autoscaling/v2) of an autoscaled track: named like the track's
 * Deployment and scaling it, with the GatewayFleet's bounds and its one target. Labelled like
 * the other fleet objects (the operator's informers select managed-by) and stamped with the
 * applied digest. Pure and deterministic.
 */
export function renderAutoscaler(namespace: string, track: Track, autoscaling: Autoscaling): KubeObject {
  const name = GATEWAY_NAMES[track].workload;
  return withAppliedDigest({
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name, namespace, labels: fleetLabels(track) },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
      minReplicas: autoscaling.minReplicas,
      maxReplicas: autoscaling.maxReplicas,
      metrics: [metricOf(autoscaling)],
    },
  });
}

interface ManagedFieldsEntry {
  readonly manager?: string;
  readonly fieldsV1?: { readonly 'f:spec'?: { readonly 'f:replicas'?: unknown } };
}

/** Whether a manager other than the operator (the HPA controller, a `kubectl scale`) owns spec.replicas. */
function replicasOwnedByAnother(stored: KubeObject): boolean {
  const entries = (stored.metadata.managedFields as ManagedFieldsEntry[] | undefined) ?? [];
  return entries.some(
    (entry) => entry.manager !== FIELD_MANAGER && entry.fieldsV1?.['f:spec']?.['f:replicas'] !== undefined,
  );
}

/**
 * The `spec.replicas` the operator applies to a track's Deployment; undefined: leave the
 * field out. Not autoscaled: `replicas`, owned as always. Autoscaled, the autoscaler must
 * take the field over without the Deployment ever falling back to the apiserver's default of
 * 1 (which is what dropping a field the operator alone owns does): so while no other manager
 * owns it — the HPA controller writes it through the scale subresource, an Update that moves
 * ownership to it — the operator keeps applying the stored size clamped to the bounds (or
 * `replicas`, clamped, for a Deployment not created yet); once another manager owns it, the
 * operator leaves it out and the value stays theirs. Pure.
 */
export function replicasToApply(
  replicas: number,
  autoscaling: Autoscaling | undefined,
  stored: KubeObject | undefined,
): number | undefined {
  if (autoscaling === undefined) return replicas;
  if (stored !== undefined && replicasOwnedByAnother(stored)) return undefined;
  const current = (stored?.spec as { replicas?: unknown } | undefined)?.replicas;
  const size = typeof current === 'number' ? current : replicas;
  return Math.min(autoscaling.maxReplicas, Math.max(autoscaling.minReplicas, size));
}
