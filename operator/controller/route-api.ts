import type { KubeClient, ResourceRef } from '../kube/kube-client.ts';
import type { RouteProvider } from '../render/render-routes.ts';
import { providerResources } from './fleet-resources.ts';

/**
 * Whether the apiserver serves every kind `provider` writes (route, and APISIX's upstream),
 * asked through discovery, which every authenticated client may read. Without them the
 * operator's informers could never sync and nothing would be reconciled, so the operator
 * checks this at start-up and says what to install. `none` needs nothing.
 */
export async function routeApiServed(client: KubeClient, provider: RouteProvider): Promise<boolean> {
  return resourcesServed(client, providerResources(provider));
}

/** Whether the apiserver serves every one of `refs` (discovery of their group versions). */
export async function resourcesServed(client: KubeClient, refs: readonly ResourceRef[]): Promise<boolean> {
  for (const ref of refs) {
    const [, , group, version] = ref.groupVersionPath.split('/');
    // GET /apis/<group>/<version>: the APIResourceList of that group version, 404 when unknown.
    const list = await client.get(
      { groupVersionPath: '/apis', plural: group as string, namespaced: false },
      undefined,
      version as string,
    );
    const resources = (list?.resources as Array<{ name: string }> | undefined) ?? [];
    if (!resources.some((resource) => resource.name === ref.plural)) return false;
  }
  return true;
}
