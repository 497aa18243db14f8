import { describe, expect, it } from 'vitest';
import type { Autoscaling } from '../api/gateway-fleet-spec.ts';
import type { KubeObject } from '../kube/kube-client.ts';
import { renderAutoscaler, replicasToApply } from './render-autoscaler.ts';

const cpu: Autoscaling = { minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 70 };
const rps: Autoscaling = { minReplicas: 1, maxReplicas: 4, targetRequestsPerSecond: 250 };

describe('renderAutoscaler', () => {
  it.each([
    {
      name: 'a CPU target on the stable track',
      track: 'stable' as const,
      autoscaling: cpu,
      workload: 'sluice-gateway',
      metric: {
        type: 'Resource',
        resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 70 } },
      },
    },
    {
      name: 'a requests-per-second target on the canary track (a Pods metric)',
      track: 'canary' as const,
      autoscaling: rps,
      workload: 'sluice-gateway-canary',
      metric: {
        type: 'Pods',
        pods: {
          metric: { name: 'sluice_requests_per_second' },
          target: { type: 'AverageValue', averageValue: '250' },
        },
      },
    },
  ])('$name', ({ track, autoscaling, workload, metric }) => {
    const hpa = renderAutoscaler('logs', track, autoscaling);
    expect(hpa).toMatchObject({
      apiVersion: 'autoscaling/v2',
      kind: 'HorizontalPodAutoscaler',
      metadata: {
        name: workload,
        namespace: 'logs',
        labels: {
          'app.kubernetes.io/name': 'sluice',
          'app.kubernetes.io/component': 'gateway',
          'app.kubernetes.io/managed-by': 'sluice-operator',
          'sluice.dev/track': track,
        },
      },
      spec: {
        scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: workload },
        minReplicas: autoscaling.minReplicas,
        maxReplicas: autoscaling.maxReplicas,
        metrics: [metric],
      },
    });
    expect(hpa.metadata.annotations?.['sluice.dev/applied-digest']).toMatch(/^[0-9a-f]{16}$/);
  });

  it('is deterministic, and its digest moves with the bounds', () => {
    const digest = (a: Autoscaling) => renderAutoscaler('logs', 'stable', a).metadata.annotations;
    expect(digest(cpu)).toEqual(digest({ ...cpu }));
    expect(digest(cpu)).not.toEqual(digest({ ...cpu, maxReplicas: 11 }));
  });
});

/** A stored Deployment with these replicas and managedFields entries. */
const deployment = (replicas: number | undefined, managedFields?: unknown[]): KubeObject => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'sluice-gateway', namespace: 'logs', ...(managedFields ? { managedFields } : {}) },
  spec: replicas === undefined ? {} : { replicas },
});
const replicasField = { 'f:spec': { 'f:replicas': {} } };
const operatorApply = {
  manager: 'sluice-operator',
  operation: 'Apply',
  fieldsV1: { 'f:spec': { 'f:replicas': {}, 'f:template': {} } },
};
const operatorWithoutReplicas = {
  manager: 'sluice-operator',
  operation: 'Apply',
  fieldsV1: { 'f:spec': { 'f:template': {} } },
};
// The HPA controller scales through the scale subresource: an Update that takes the field over.
const hpaScale = {
  manager: 'kube-controller-manager',
  operation: 'Update',
  subresource: 'scale',
  fieldsV1: replicasField,
};
const kubectlScale = {
  manager: 'kubectl',
  operation: 'Update',
  subresource: 'scale',
  fieldsV1: replicasField,
};
// Another manager that touched the Deployment but not its replicas.
const statusWriter = {
  manager: 'kube-controller-manager',
  operation: 'Update',
  subresource: 'status',
  fieldsV1: { 'f:status': { 'f:replicas': {} } },
};

describe('replicasToApply', () => {
  it.each([
    {
      name: 'not autoscaled: the settings, whoever owns the field',
      autoscaling: undefined,
      stored: deployment(7, [hpaScale]),
      expected: 3,
    },
    { name: 'not autoscaled, nothing stored', autoscaling: undefined, stored: undefined, expected: 3 },
    {
      name: 'autoscaled, nothing stored: the settings clamped (up to min)',
      autoscaling: { ...cpu, minReplicas: 4 },
      stored: undefined,
      expected: 4,
    },
    {
      name: 'autoscaled, nothing stored: the settings clamped (down to max)',
      autoscaling: { ...rps, maxReplicas: 2 },
      stored: undefined,
      expected: 2,
    },
    {
      name: 'autoscaled, the operator alone owns replicas: the stored size',
      autoscaling: cpu,
      stored: deployment(5, [operatorApply]),
      expected: 5,
    },
    {
      name: 'autoscaled, stored size below min: clamped up',
      autoscaling: cpu,
      stored: deployment(1, [operatorApply]),
      expected: 2,
    },
    {
      name: 'autoscaled, stored size above max: clamped down',
      autoscaling: cpu,
      stored: deployment(40, [operatorApply]),
      expected: 10,
    },
    {
      name: 'autoscaled, other managers own other fields only',
      autoscaling: cpu,
      stored: deployment(6, [operatorApply, statusWriter]),
      expected: 6,
    },
    {
      name: 'autoscaled, no managedFields shown: the stored size',
      autoscaling: cpu,
      stored: deployment(6),
      expected: 6,
    },
    {
      name: 'autoscaled, stored without replicas: the settings clamped',
      autoscaling: cpu,
      stored: deployment(undefined, [operatorWithoutReplicas]),
      expected: 3,
    },
    {
      name: 'autoscaled, the HPA controller owns replicas: left out',
      autoscaling: cpu,
      stored: deployment(8, [operatorWithoutReplicas, hpaScale]),
      expected: undefined,
    },
    {
      name: 'autoscaled, shared by the operator and the HPA controller: left out',
      autoscaling: cpu,
      stored: deployment(8, [operatorApply, hpaScale]),
      expected: undefined,
    },
    {
      name: 'autoscaled, a kubectl scale owns replicas: left out',
      autoscaling: cpu,
      stored: deployment(8, [operatorWithoutReplicas, kubectlScale]),
      expected: undefined,
    },
  ])('$name', ({ autoscaling, stored, expected }) => {
    expect(replicasToApply(3, autoscaling, stored)).toBe(expected);
  });
});
