import pino from 'pino';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { NETWORK_POLICIES } from '../../operator/controller/fleet-resources.ts';
import { startOperator } from '../../operator/controller/operator-controller.ts';
import { createEventRecorder } from '../../operator/kube/event-recorder.ts';
import { createKubeClient, loadKubeConfig } from '../../operator/kube/kube-client.ts';
import type { FleetSettings } from '../../operator/operator-config.ts';
import { kubectlOk } from '../infra/kubectl.ts';
import { eventually } from '../support/eventually.ts';
import { applyQuickstart } from './kubectl-steps.ts';

// The optional gateway NetworkPolicy on the real apiserver (which validates it as the
// networking.k8s.io/v1 schema says): written with the fleet, removed with it. Whether it is
// enforced is a CNI's business; none runs here (README: not covered).

const ns = `netpol-${Date.now().toString(36)}`;
const logger = pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' });
const client = createKubeClient(loadKubeConfig(inject('kubeconfig')));
const resources = { requests: { cpu: '100m', memory: '128Mi' } };
const from = [
  {
    namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'sluice-system' } },
    podSelector: { matchLabels: { 'app.kubernetes.io/name': 'sluice' } },
  },
  { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'apisix' } } },
];
const settings: FleetSettings = {
  stable: { image: 'sluice/gateway:0.1.0', replicas: 2, resources },
  canary: { image: 'sluice/gateway:0.1.0', replicas: 1, resources },
  canaryGraceSeconds: 3,
  networkPolicy: { from },
};

describe('the gateway NetworkPolicy (--gateway-network-policy-from)', () => {
  const operator = startOperator({
    client,
    logger,
    events: createEventRecorder(client, logger),
    namespaces: [ns],
    fleet: {
      settings,
      routes: { provider: 'none', hosts: [], priorities: { exact: 100, prefix: 0 }, parentRefs: [] },
    },
  });
  afterAll(() => operator.stop());

  it('lets only the given peers reach the gateway port of both tracks, and goes with the fleet', async () => {
    await kubectlOk(['create', 'namespace', ns]);
    await applyQuickstart(ns);
    const policy = await eventually(
      () => client.get(NETWORK_POLICIES, ns, 'sluice-gateway'),
      (p) => p !== undefined,
      30_000,
    );
    expect(policy?.spec).toEqual({
      podSelector: {
        matchLabels: { 'app.kubernetes.io/name': 'sluice', 'app.kubernetes.io/component': 'gateway' },
      },
      policyTypes: ['Ingress'],
      ingress: [{ from, ports: [{ protocol: 'TCP', port: 8080 }] }],
    });
    await kubectlOk(['delete', 'logrepos', '--all', '-n', ns]);
    expect(
      await eventually(
        () => client.get(NETWORK_POLICIES, ns, 'sluice-gateway'),
        (p) => p === undefined,
        30_000,
      ),
    ).toBeUndefined();
  });
});
