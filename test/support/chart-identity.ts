import { readFile, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { parse, stringify } from 'yaml';
import { type Manifest, renderChart } from '../infra/helm.ts';
import { applyManifests, kubectlOk } from '../infra/kubectl.ts';

// The operator's identity as the Helm chart installs it: the chart rendered by the real helm,
// its ServiceAccount and RBAC applied to the test apiserver, and a kubeconfig whose only
// credential is a TokenRequest token for that ServiceAccount. Tests that run the operator on
// it prove the chart grants what the operator needs (a forbidden request fails them).

const RBAC_KINDS = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding']);

export interface ChartIdentity {
  /** A kubeconfig file holding only the ServiceAccount's token. */
  readonly kubeconfig: string;
  /** `system:serviceaccount:<release namespace>:<name>`'s name. */
  readonly serviceAccount: string;
  /** Everything the chart rendered (the RBAC part of it applied). */
  readonly manifests: Manifest[];
  /** The operator container's environment as the chart's Deployment sets it (literal values). */
  readonly env: Record<string, string | undefined>;
}

/**
 * Renders the chart as `release` into `releaseNs` (which must exist) with `helmArgs`, applies
 * its RBAC objects and writes the ServiceAccount's kubeconfig into `dir`. The admin kubeconfig
 * gives the cluster (server and CA) and applies the RBAC.
 */
export async function installChartIdentity(options: {
  release: string;
  releaseNs: string;
  helmArgs: readonly string[];
  adminKubeconfig: string;
  dir: string;
}): Promise<ChartIdentity> {
  const { release, releaseNs, dir } = options;
  const { manifests } = await renderChart(release, releaseNs, [...options.helmArgs]);
  const rbac = manifests.filter((m) => RBAC_KINDS.has(m.kind));
  await applyManifests(
    { yaml: rbac.map((m) => stringify(m)).join('---\n') },
    { fieldManager: 'sluice-rbac-test' },
  );
  const serviceAccount = rbac.find((m) => m.kind === 'ServiceAccount')?.metadata.name;
  if (!serviceAccount) throw new Error(`the chart rendered no ServiceAccount for ${release}`);
  const token = (
    await kubectlOk(['create', 'token', serviceAccount, '-n', releaseNs, '--duration=1h'])
  ).trim();
  const kubeconfig = join(dir, 'kubeconfig.yaml');
  await writeFile(kubeconfig, await tokenKubeconfig(options.adminKubeconfig, serviceAccount, token), {
    mode: 0o600,
  });
  const deployment = manifests.find((m) => m.kind === 'Deployment') as Manifest & {
    spec: { template: { spec: { containers: Array<{ env: Array<{ name: string; value?: string }> }> } } };
  };
  const env = Object.fromEntries(
    (deployment.spec.template.spec.containers[0]?.env ?? []).map((e) => [e.name, e.value]),
  );
  return { kubeconfig, serviceAccount, manifests, env };
}

/**
 * A kubeconfig for the admin kubeconfig's cluster whose only credential is `token`: the
 * cluster entry is kept (server, CA), the user is replaced.
 */
async function tokenKubeconfig(adminPath: string, user: string, token: string): Promise<string> {
  type Named<T> = { name: string } & T;
  const doc = parse(await readFile(adminPath, 'utf8')) as {
    'current-context': string;
    contexts: Named<{ context: { cluster: string } }>[];
    clusters: Named<{ cluster: Record<string, unknown> }>[];
  };
  const clusterName = doc.contexts.find((c) => c.name === doc['current-context'])?.context.cluster;
  const cluster = { ...doc.clusters.find((c) => c.name === clusterName)?.cluster };
  const ca = cluster['certificate-authority'];
  if (typeof ca === 'string' && !isAbsolute(ca))
    cluster['certificate-authority'] = join(dirname(adminPath), ca);
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'cluster', cluster }],
    users: [{ name: user, user: { token } }],
    contexts: [{ name: user, context: { cluster: 'cluster', user } }],
    'current-context': user,
  });
}
