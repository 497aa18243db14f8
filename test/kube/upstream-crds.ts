import { installCrds } from '../infra/kubectl.ts';
import { REQUIRED_UPSTREAM_CRDS, upstreamCrdDir } from '../infra/upstream-crds.ts';

// The real CRDs of the routing layers the operator writes to (APISIX's ApisixRoute and
// ApisixUpstream; Gateway API's GatewayClass, Gateway and HTTPRoute), at the pinned upstream
// releases, fetched through the Go module proxy into .cache/ (test/infra/upstream-crds.ts).
// SLUICE_UPSTREAM_CRDS points at another folder.

/** Installs them (server-side apply) and waits until they are served; fails when one is missing. */
export async function installUpstreamCrds(options: { kubeconfig?: string } = {}): Promise<string[]> {
  const dir = await upstreamCrdDir();
  const installed = await installCrds(dir, { ...options, timeoutMs: 90_000 });
  const missing = REQUIRED_UPSTREAM_CRDS.filter((crd) => !installed.includes(crd));
  if (missing.length > 0) {
    throw new Error(
      `the upstream CRDs at ${dir} lack ${missing.join(', ')}; ` +
        'remove that folder (or fix SLUICE_UPSTREAM_CRDS) so provisioning fetches them again',
    );
  }
  return installed;
}
