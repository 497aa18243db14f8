import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { CONFIG_MAPS } from '../../operator/controller/resources.ts';
import { createKubeClient, loadKubeConfig } from '../../operator/kube/kube-client.ts';
import { kubectl, kubectlOk } from '../infra/kubectl.ts';

// The client's paged lists on the real apiserver: with a page smaller than the collection,
// `continue` tokens are followed to the end, nothing is listed twice, and the list's
// resourceVersion is one a watch can start from.

const ns = `paging-${Date.now().toString(36)}`;
const NAMES = Array.from({ length: 7 }, (_, i) => `page-${i}`);

beforeAll(async () => {
  await kubectlOk(['create', 'namespace', ns]);
  for (const name of NAMES) {
    await kubectlOk(['create', 'configmap', name, '-n', ns, '--from-literal=k=v']);
  }
});
afterAll(async () => {
  await kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('KubeClient.list on the real apiserver', () => {
  it('follows continue tokens page by page', async () => {
    const client = createKubeClient(loadKubeConfig(inject('kubeconfig')), { pageSize: 3 });
    const listed = await client.list(CONFIG_MAPS, ns);
    const names = listed.items.map((item) => item.metadata.name).filter((name) => name.startsWith('page-'));
    expect(names.sort()).toEqual(NAMES);
    // 7 objects (and the namespace's kube-root-ca.crt) in pages of 3: three requests.
    expect(client.requests.byVerb.GET).toBe(3);
    expect(Number(listed.resourceVersion)).toBeGreaterThan(0);
    const watch = client.watch(CONFIG_MAPS, listed.resourceVersion, () => undefined, ns);
    watch.stop();
    await watch.ended;
  });
});
