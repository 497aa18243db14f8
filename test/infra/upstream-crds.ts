import { copyFile, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goModDownload } from './go-modules.ts';
import { ensureGo, requiredVersion } from './kube-binaries.ts';
import { exists } from './system-tools.ts';
import { TRAEFIK_DIST_GO_MOD } from './traefik.ts';

// The real CRDs of the routing layers the operator writes to, fetched as Go modules through
// the Go module proxy into .cache/go and assembled in .cache/upstream-crds/<pin>/; never
// copied into the project (users install them from those projects' releases).
//   - Gateway API: sigs.k8s.io/gateway-api, config/crd/standard/ (GatewayClass, Gateway,
//     HTTPRoute, ...), at the version Traefik is built against, so the proxy of the e2e tests
//     and the CRDs agree. That version is named once: traefik-dist/go.mod's requirement.
//   - APISIX: github.com/apache/apisix-ingress-controller, samples/deploy/crd/v1/ (the
//     ApisixRoute and ApisixUpstream kinds the operator writes), at APISIX_INGRESS_VERSION.
// SLUICE_UPSTREAM_CRDS names another folder to install instead (all of its manifests).

const GATEWAY_API_MODULE = 'sigs.k8s.io/gateway-api';
const APISIX_INGRESS_MODULE = 'github.com/apache/apisix-ingress-controller';
/** The pinned apisix-ingress-controller release whose CRDs the ApisixRoutes are checked against. */
const APISIX_INGRESS_VERSION = 'v1.8.4';
const APISIX_CRD_FILES = ['ApisixRoute.yaml', 'ApisixUpstream.yaml'] as const;
const GATEWAY_API_CRD_DIR = 'config/crd/standard';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The CRDs the tests rely on being served once the folder is installed. */
export const REQUIRED_UPSTREAM_CRDS = [
  'apisixroutes.apisix.apache.org',
  'apisixupstreams.apisix.apache.org',
  'gatewayclasses.gateway.networking.k8s.io',
  'gateways.gateway.networking.k8s.io',
  'httproutes.gateway.networking.k8s.io',
] as const;

/** The Gateway API release the tests install: the one traefik-dist's Traefik requires. */
async function gatewayApiVersion(): Promise<string> {
  return requiredVersion(await readFile(TRAEFIK_DIST_GO_MOD, 'utf8'), GATEWAY_API_MODULE);
}

/**
 * Folder holding the upstream CRD manifests: SLUICE_UPSTREAM_CRDS when set, otherwise the
 * pinned releases' files, fetched on first use (seconds; cached afterwards).
 */
export async function upstreamCrdDir(): Promise<string> {
  const override = process.env.SLUICE_UPSTREAM_CRDS;
  if (override !== undefined && override.trim() !== '') {
    if (!(await exists(override))) throw new Error(`SLUICE_UPSTREAM_CRDS=${override} does not exist`);
    return override;
  }
  const gatewayApi = await gatewayApiVersion();
  const pin = `gateway-api-${gatewayApi}_apisix-${APISIX_INGRESS_VERSION}`;
  const dir = join(PROJECT_ROOT, '.cache', 'upstream-crds', pin);
  const complete = join(dir, '.complete');
  if (await exists(complete)) return dir;

  const go = await ensureGo();
  const [gateway, apisix] = await Promise.all([
    goModDownload(go, GATEWAY_API_MODULE, gatewayApi),
    goModDownload(go, APISIX_INGRESS_MODULE, APISIX_INGRESS_VERSION),
  ]);
  const parent = join(PROJECT_ROOT, '.cache', 'upstream-crds');
  await mkdir(parent, { recursive: true });
  // Assembled aside and renamed into place: a concurrent or interrupted run never sees half.
  const staging = await mkdtemp(join(parent, 'staging-'));
  try {
    const standard = join(gateway.Dir, GATEWAY_API_CRD_DIR);
    for (const file of (await readdir(standard)).filter((name) => name.endsWith('.yaml'))) {
      await copyFile(join(standard, file), join(staging, file));
    }
    for (const file of APISIX_CRD_FILES) {
      await copyFile(
        join(apisix.Dir, 'samples', 'deploy', 'crd', 'v1', file),
        join(staging, `apisix.apache.org_${file.toLowerCase()}`),
      );
    }
    await writeFile(join(staging, '.complete'), `${pin}\n`);
    await rm(dir, { recursive: true, force: true });
    await rename(staging, dir);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    if (await exists(complete)) return dir; // another run finished first
    throw error;
  }
  return dir;
}
