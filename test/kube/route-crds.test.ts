import { beforeAll, describe, expect, it } from 'vitest';
import type { KubeObject } from '../../operator/kube/kube-client.ts';
import type { RouteSettings } from '../../operator/operator-config.ts';
import { renderGatewayWorkload } from '../../operator/render/render-gateway-workload.ts';
import { renderPrefixRoute, renderRepoRoute } from '../../operator/render/render-routes.ts';
import { kubectl, kubectlOk } from '../infra/kubectl.ts';
import { installUpstreamCrds } from './upstream-crds.ts';

// What the operator renders, checked by the real upstream CRDs (OpenAPI schemas and CEL rules
// of APISIX's ApisixRoute and Gateway API's HTTPRoute) and the built-in kinds on the real
// apiserver: server-side dry runs, so nothing is stored.

const ns = `routes-${Date.now().toString(36)}`;
const apisix: RouteSettings = {
  provider: 'apisix',
  ingressClassName: 'apisix',
  hosts: ['logs.example.com', '*.logs.example.com'],
  priorities: { exact: 100, prefix: 0 },
  parentRefs: [],
};
const gatewayApi: RouteSettings = {
  provider: 'gateway-api',
  hosts: ['logs.example.com'],
  priorities: { exact: 100, prefix: 0 },
  parentRefs: [{ name: 'edge', namespace: 'gateways', sectionName: 'http' }, { name: 'internal' }],
};
const dryRun = (object: KubeObject) =>
  kubectl(
    [
      'apply',
      '--server-side',
      '--field-manager=sluice-operator',
      '--dry-run=server',
      '-o',
      'json',
      '-f',
      '-',
    ],
    {
      input: JSON.stringify(object),
    },
  );
const repoRoutes = (settings: RouteSettings) =>
  [
    { stable: 100, canary: 0 },
    { stable: 90, canary: 10 },
    { stable: 0, canary: 100 },
  ].map(
    (weights) =>
      renderRepoRoute({
        namespace: ns,
        // Dry runs accept an ownerReference to a uid that does not exist.
        repo: { name: `access-${weights.canary}`, uid: '6d1c0f36-3c43-4a5e-9d59-1b8a4f0f0a01' },
        weights,
        settings,
      }) as KubeObject,
  );

describe('rendered objects on the real apiserver with the upstream CRDs', () => {
  beforeAll(async () => {
    const crds = await installUpstreamCrds();
    expect(crds).toEqual(
      expect.arrayContaining(['apisixroutes.apisix.apache.org', 'httproutes.gateway.networking.k8s.io']),
    );
    await kubectlOk(['create', 'namespace', ns]);
  });

  it.each([
    { name: 'ApisixRoute (apisix.apache.org/v2)', settings: apisix },
    { name: 'HTTPRoute (gateway.networking.k8s.io/v1)', settings: gatewayApi },
  ])('accepts the $name of a repo at weights 0, 10, 100 and the prefix route', async ({ settings }) => {
    for (const route of [...repoRoutes(settings), renderPrefixRoute(ns, settings) as KubeObject]) {
      const result = await dryRun(route);
      expect(result.stderr, route.metadata.name).toBe('');
      expect(result.code).toBe(0);
      const stored = JSON.parse(result.stdout) as KubeObject;
      // The apiserver kept every field the operator wrote (no pruning of unknown fields).
      expect(stored.spec).toMatchObject(route.spec as object);
    }
  });

  it('accepts the Deployment, Service and PodDisruptionBudget of both tracks', async () => {
    for (const track of ['stable', 'canary'] as const) {
      const workload = renderGatewayWorkload({
        namespace: ns,
        track,
        settings: {
          image: 'sluice/gateway:0.2.0',
          replicas: 2,
          resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
        },
        secrets: ['kafka-user', 'kafka.tls'],
      });
      for (const object of [workload.deployment, workload.service, workload.podDisruptionBudget]) {
        const result = await dryRun(object);
        expect(result.stderr, `${object.kind} ${object.metadata.name}`).toBe('');
        expect(result.code).toBe(0);
      }
    }
  });

  it('rejects what the upstream schemas forbid (the check is real)', async () => {
    const route = renderRepoRoute({
      namespace: ns,
      repo: { name: 'bad' },
      weights: { stable: 100, canary: 0 },
      settings: gatewayApi,
    }) as KubeObject;
    const spec = route.spec as { rules: Array<{ matches: Array<{ path: { value: string } }> }> };
    const match = spec.rules[0]?.matches[0];
    if (match) match.path.value = 'log/repo/bad';
    const result = await dryRun(route);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/value must be an absolute path and start with '\/'/);
  });
});
