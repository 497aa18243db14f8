import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { CONFIG_MAPS } from '../../operator/controller/resources.ts';
import { createKubeClient, loadKubeConfig } from '../../operator/kube/kube-client.ts';
import { kubectl, kubectlOk } from '../infra/kubectl.ts';
import { startConnectProxy } from '../support/connect-proxy.ts';

// The client's own HTTP on the real apiserver: paged lists (with a page smaller than the
// collection, `continue` tokens are followed to the end, nothing is listed twice, and the
// list's resourceVersion is one a watch can start from), and a kubeconfig `proxy-url`
// (a CONNECT tunnel, TLS verified against the cluster CA inside it).

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

  it('reaches the apiserver through a proxy-url, TLS and credentials intact', async () => {
    const proxy = await startConnectProxy();
    try {
      const config = parse(await readFile(inject('kubeconfig'), 'utf8')) as {
        clusters: Array<{ cluster: Record<string, unknown> }>;
      };
      for (const entry of config.clusters) entry.cluster['proxy-url'] = proxy.url;
      const dir = await mkdtemp(join(tmpdir(), 'sluice-proxy-'));
      const path = join(dir, 'kubeconfig');
      await writeFile(path, stringify(config));
      const credentials = loadKubeConfig(path);
      expect(credentials.proxy?.href).toBe(`${proxy.url}/`);
      const client = createKubeClient(credentials, { pageSize: 3 });
      const names = (await client.list(CONFIG_MAPS, ns)).items.map((item) => item.metadata.name);
      expect(names.filter((name) => name.startsWith('page-')).sort()).toEqual(NAMES);
      expect(proxy.seen.length).toBe(3);
      expect(proxy.seen.every((seen) => seen.authority === credentials.server.host)).toBe(true);
      await rm(dir, { recursive: true, force: true });
    } finally {
      proxy.close();
    }
  });
});
