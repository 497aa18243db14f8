import { describe, expect, it } from 'vitest';
import type { KubeClient, KubeObject, ResourceRef } from '../kube/kube-client.ts';
import { routeApiServed } from './route-api.ts';

/** A client whose discovery serves `served` ("group/version/plural"). */
const discovery = (served: readonly string[]) =>
  ({
    get: async (ref: ResourceRef, _ns: string | undefined, version: string) => {
      const prefix = `${ref.plural}/${version}/`;
      const resources = served
        .filter((s) => s.startsWith(prefix))
        .map((s) => ({ name: s.slice(prefix.length) }));
      return resources.length === 0 ? undefined : ({ resources } as unknown as KubeObject);
    },
  }) as unknown as KubeClient;

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
