import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installCrds } from '../infra/kubectl.ts';
import { exists } from '../infra/system-tools.ts';

// The real CRDs of the routing layers the operator writes to (APISIX's ApisixRoute and
// ApisixUpstream, Gateway API's HTTPRoute), kept beside the project in ../shared/upstream-crds/
// and never copied into it: users install them from those projects' releases.
// SLUICE_UPSTREAM_CRDS points elsewhere.
const UPSTREAM_CRDS_DIR =
  process.env.SLUICE_UPSTREAM_CRDS ??
  fileURLToPath(new URL('../../../shared/upstream-crds', import.meta.url));

/** The files the kube tests need there (the folder may hold more; all of it is installed). */
export const UPSTREAM_CRD_FILES = [
  'apisix.apache.org_apisixroutes.yaml',
  'apisix.apache.org_apisixupstreams.yaml',
  'gateway.networking.k8s.io_httproutes.yaml',
] as const;

/** Installs them (server-side apply) and waits until they are served; fails when one is missing. */
export async function installUpstreamCrds(options: { kubeconfig?: string } = {}): Promise<string[]> {
  const missing: string[] = [];
  for (const file of UPSTREAM_CRD_FILES) {
    if (!(await exists(join(UPSTREAM_CRDS_DIR, file)))) missing.push(file);
  }
  if (missing.length > 0) {
    throw new Error(
      `the upstream APISIX and Gateway API CRDs are not all at ${UPSTREAM_CRDS_DIR} (missing ${missing.join(', ')}); ` +
        `set SLUICE_UPSTREAM_CRDS to a folder holding ${UPSTREAM_CRD_FILES.join(', ')}`,
    );
  }
  return installCrds(UPSTREAM_CRDS_DIR, { ...options, timeoutMs: 90_000 });
}
