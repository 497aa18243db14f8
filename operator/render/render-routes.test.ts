import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/kube-client.ts';
import type { RouteSettings } from '../operator-config.ts';
import { renderPrefixRoute, renderRepoRoute, repoRouteName } from './render-routes.ts';

const apisix: RouteSettings = {
  provider: 'apisix',
  hosts: [],
  priorities: { exact: 100, prefix: 0 },
  parentRefs: [],
};
const gatewayApi: RouteSettings = {
  provider: 'gateway-api',
  hosts: [],
  priorities: { exact: 100, prefix: 0 },
  parentRefs: [{ name: 'edge', namespace: 'gateways', sectionName: 'http' }],
};
const repo = { name: 'access', uid: '0f2c-uid' };
const spec = (object: KubeObject | undefined) => object?.spec as Record<string, never>;

describe('renderRepoRoute (apisix)', () => {
  it.each([
    {
      weights: { stable: 100, canary: 0 },
      backends: [{ serviceName: 'sluice-gateway', servicePort: 80, weight: 100 }],
    },
    {
      weights: { stable: 90, canary: 10 },
      backends: [
        { serviceName: 'sluice-gateway', servicePort: 80, weight: 90 },
        { serviceName: 'sluice-gateway-canary', servicePort: 80, weight: 10 },
      ],
    },
    {
      weights: { stable: 0, canary: 100 },
      backends: [
        { serviceName: 'sluice-gateway', servicePort: 80, weight: 0 },
        { serviceName: 'sluice-gateway-canary', servicePort: 80, weight: 100 },
      ],
    },
  ])(
    'splits $weights.stable/$weights.canary over the tracks (canary left out at 0)',
    ({ weights, backends }) => {
      const route = renderRepoRoute({ namespace: 'logs', repo, weights, settings: apisix });
      expect(route).toMatchObject({
        apiVersion: 'apisix.apache.org/v2',
        kind: 'ApisixRoute',
        metadata: { name: 'sluice-repo-access', namespace: 'logs' },
      });
      expect(spec(route)).toEqual({
        http: [
          {
            name: 'ingest',
            priority: 100,
            match: { paths: ['/log/repo/access'], methods: ['POST'] },
            backends,
          },
        ],
      });
    },
  );

  it('is owned by its LogRepo (garbage-collected with it) and labelled for the informer', () => {
    const route = renderRepoRoute({
      namespace: 'logs',
      repo,
      weights: { stable: 100, canary: 0 },
      settings: apisix,
    });
    expect(route?.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'LogRepo',
        name: 'access',
        uid: '0f2c-uid',
        controller: true,
      },
    ]);
    expect(route?.metadata.labels).toMatchObject({
      'app.kubernetes.io/managed-by': 'sluice-operator',
      'sluice.dev/log-repo': 'access',
    });
  });

  it('applies ingressClassName, hosts and priorities from the settings', () => {
    const settings: RouteSettings = {
      ...apisix,
      ingressClassName: 'apisix',
      hosts: ['logs.example.com'],
      priorities: { exact: 7, prefix: 3 },
    };
    const route = renderRepoRoute({ namespace: 'logs', repo, weights: { stable: 100, canary: 0 }, settings });
    expect(spec(route)).toMatchObject({
      ingressClassName: 'apisix',
      http: [{ priority: 7, match: { hosts: ['logs.example.com'] } }],
    });
    expect(spec(renderPrefixRoute('logs', settings))).toEqual({
      ingressClassName: 'apisix',
      http: [
        {
          name: 'ingest-prefix',
          priority: 3,
          match: { paths: ['/log/repo/*'], hosts: ['logs.example.com'] },
          backends: [{ serviceName: 'sluice-gateway', servicePort: 80 }],
        },
      ],
    });
  });
});

describe('renderRepoRoute (gateway-api)', () => {
  it.each([
    { weights: { stable: 100, canary: 0 }, refs: [{ name: 'sluice-gateway', port: 80, weight: 100 }] },
    {
      weights: { stable: 90, canary: 10 },
      refs: [
        { name: 'sluice-gateway', port: 80, weight: 90 },
        { name: 'sluice-gateway-canary', port: 80, weight: 10 },
      ],
    },
  ])('renders an HTTPRoute with an Exact match and weighted backendRefs: $weights', ({ weights, refs }) => {
    const route = renderRepoRoute({
      namespace: 'logs',
      repo,
      weights,
      settings: { ...gatewayApi, hosts: ['logs.example.com'] },
    });
    expect(route).toMatchObject({ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' });
    expect(spec(route)).toEqual({
      parentRefs: [{ name: 'edge', namespace: 'gateways', sectionName: 'http' }],
      hostnames: ['logs.example.com'],
      rules: [
        {
          matches: [{ path: { type: 'Exact', value: '/log/repo/access' }, method: 'POST' }],
          backendRefs: refs,
        },
      ],
    });
  });

  it('renders the prefix rule to stable', () => {
    expect(renderPrefixRoute('logs', gatewayApi)).toMatchObject({
      kind: 'HTTPRoute',
      metadata: { name: 'sluice-repos', namespace: 'logs' },
      spec: {
        parentRefs: [{ name: 'edge', namespace: 'gateways', sectionName: 'http' }],
        rules: [
          {
            matches: [{ path: { type: 'PathPrefix', value: '/log/repo/' } }],
            backendRefs: [{ name: 'sluice-gateway', port: 80 }],
          },
        ],
      },
    });
  });
});

describe('route names and providers', () => {
  it.each(['a', 'prefix', 's', 'repos', 'x'.repeat(63)])(
    'the route of repo %s never collides with the prefix route',
    (name) => {
      expect(repoRouteName(name)).not.toBe('sluice-repos');
      expect(repoRouteName(name)).toBe(`sluice-repo-${name}`);
    },
  );

  it('renders nothing for provider none', () => {
    const none: RouteSettings = { ...apisix, provider: 'none' };
    expect(
      renderRepoRoute({ namespace: 'logs', repo, weights: { stable: 100, canary: 0 }, settings: none }),
    ).toBeUndefined();
    expect(renderPrefixRoute('logs', none)).toBeUndefined();
  });

  it('stamps a digest that moves with the weights only', () => {
    const at = (canary: number) =>
      renderRepoRoute({
        namespace: 'logs',
        repo,
        weights: { stable: 100 - canary, canary },
        settings: apisix,
      })?.metadata.annotations?.['sluice.dev/applied-digest'];
    expect(at(10)).toBe(at(10));
    expect(at(10)).not.toBe(at(20));
  });
});
