import { describe, expect, it } from 'vitest';
import { createFakeKubeClient } from '../../test/support/fake-kube-client.ts';
import type { ResourceRef } from '../kube/kube-client.ts';
import { routeApiServed } from './route-api.ts';

/** An API whose discovery serves `served` ("group/version/plural"): one APIResourceList per group version. */
function discovery(served: readonly string[]) {
  const api = createFakeKubeClient();
  const lists = new Map<string, string[]>();
  for (const entry of served) {
    const [group, version, plural] = entry.split('/') as [string, string, string];
    lists.set(`${group}/${version}`, [...(lists.get(`${group}/${version}`) ?? []), plural]);
  }
  for (const [groupVersion, plurals] of lists) {
    const [group, version] = groupVersion.split('/') as [string, string];
    const ref: ResourceRef = { groupVersionPath: '/apis', plural: group, namespaced: false };
    api.put(ref, {
      apiVersion: 'v1',
      kind: 'APIResourceList',
      metadata: { name: version },
      groupVersion,
      resources: plurals.map((name) => ({ name })),
    });
  }
  return api;
}

describe('routeApiServed', () => {
  it.each([
    { provider: 'none' as const, served: [], ok: true },
    { provider: 'apisix' as const, served: ['apisix.apache.org/v2/apisixroutes'], ok: false },
    { provider: 'apisix' as const, served: ['apisix.apache.org/v2/apisixupstreams'], ok: false },
    {
      provider: 'apisix' as const,
      served: ['apisix.apache.org/v2/apisixroutes', 'apisix.apache.org/v2/apisixupstreams'],
      ok: true,
    },
    { provider: 'gateway-api' as const, served: ['apisix.apache.org/v2/apisixroutes'], ok: false },
    { provider: 'gateway-api' as const, served: ['gateway.networking.k8s.io/v1/httproutes'], ok: true },
  ])('$provider with $served served: $ok', async ({ provider, served, ok }) => {
    expect(await routeApiServed(discovery(served), provider)).toBe(ok);
  });
});
