import { fileURLToPath } from 'node:url';
import { installCrds } from '../infra/kubectl.ts';
import { exists } from '../infra/system-tools.ts';

// The real CRDs of the routing layers the operator writes to (APISIX's ApisixRoute, Gateway
// API's HTTPRoute), kept beside the project in ../shared/upstream-crds/ and never copied into
// it: users install them from those projects' releases. SLUICE_UPSTREAM_CRDS points elsewhere.
const UPSTREAM_CRDS_DIR =
  process.env.SLUICE_UPSTREAM_CRDS ??
  fileURLToPath(new URL('../../../shared/upstream-crds', import.meta.url));

/** Installs them (server-side apply) and waits until they are served; fails when they are missing. */
export async function installUpstreamCrds(options: { kubeconfig?: string } = {}): Promise<string[]> {
  if (!(await exists(UPSTREAM_CRDS_DIR))) {
    throw new Error(
      `the upstream APISIX and Gateway API CRDs are not at ${UPSTREAM_CRDS_DIR}; set SLUICE_UPSTREAM_CRDS ` +
        'to a folder holding apisix.apache.org_apisixroutes.yaml and gateway.networking.k8s.io_httproutes.yaml',
    );
  }
  return installCrds(UPSTREAM_CRDS_DIR, { ...options, timeoutMs: 90_000 });
}
