import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goBuildInto } from './go-modules.ts';
import { ensureGo, requiredVersion } from './kube-binaries.ts';
import { ManagedProcess } from './managed-process.ts';
import { freePort, sleep } from './system-tools.ts';

// Traefik, the real Gateway API data plane of the e2e tests: it reads the operator's
// HTTPRoutes and the track Services' EndpointSlices from the test apiserver and proxies to
// the gateway pods. Built from the Go module proxy with the machine's Go, from the wrapper
// module in traefik-dist/ (see its README), into .cache/traefik/<version>/traefik. A cold
// build takes about 8 to 10 minutes on 2 cores; a stamp of go.mod, go.sum and the recipe
// makes later runs read one small file.

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const TRAEFIK_DIST_DIR = fileURLToPath(new URL('./traefik-dist', import.meta.url));
export const TRAEFIK_DIST_GO_MOD = join(TRAEFIK_DIST_DIR, 'go.mod');
export const TRAEFIK_MODULE = 'github.com/traefik/traefik/v3';
const TRAEFIK_PACKAGE = `${TRAEFIK_MODULE}/cmd/traefik`;
/** The controllerName Traefik's Gateway API provider answers to in a GatewayClass. */
export const TRAEFIK_CONTROLLER_NAME = 'traefik.io/gateway-controller';

// Bump when the build below changes; part of the stamp.
const BUILD_RECIPE = 'go build -trimpath; ldflags: -s -w, pkg/version.Version; v1';

export interface TraefikBinary {
  readonly path: string;
  /** The Traefik release, e.g. `v3.6.12`: traefik-dist/go.mod's requirement, named only there. */
  readonly version: string;
}

/** The `replace` directives of a go.mod's text, as `old => new version` lines, sorted. */
export function replaceDirectives(goMod: string): string[] {
  const lines: string[] = [];
  for (const block of goMod.matchAll(/^replace\s*\(([^)]*)\)/gm)) lines.push(...(block[1] ?? '').split('\n'));
  for (const single of goMod.matchAll(/^replace\s+([^(\s].*)$/gm)) lines.push(single[1] ?? '');
  return lines
    .map((line) =>
      line
        .replace(/\/\/.*$/, '')
        .trim()
        .replace(/\s+/g, ' '),
    )
    .filter((line) => line.includes('=>'))
    .sort();
}

export async function traefikVersion(): Promise<string> {
  return requiredVersion(await readFile(TRAEFIK_DIST_GO_MOD, 'utf8'), TRAEFIK_MODULE);
}

/** Path of the pinned Traefik, built on first use. */
export async function ensureTraefik(options: { log?: (line: string) => void } = {}): Promise<TraefikBinary> {
  const log = options.log ?? (() => undefined);
  const version = await traefikVersion();
  const cacheDir = join(PROJECT_ROOT, '.cache', 'traefik', version);
  const path = join(cacheDir, 'traefik');
  const stampFile = join(cacheDir, 'stamp');
  const stamp = createHash('sha256')
    .update(await readFile(TRAEFIK_DIST_GO_MOD))
    .update('\0')
    .update(await readFile(join(TRAEFIK_DIST_DIR, 'go.sum')))
    .update('\0')
    .update(BUILD_RECIPE)
    .digest('hex');
  const built = await readFile(stampFile, 'utf8').catch(() => '');
  if (built === stamp) return { path, version };

  const go = await ensureGo();
  await mkdir(cacheDir, { recursive: true });
  log(`building traefik ${version} from the Go module proxy (8-10 minutes on 2 cores; cached afterwards)`);
  const started = Date.now();
  const progress = setInterval(
    () => log(`still building (${Math.round((Date.now() - started) / 60_000)} min)`),
    120_000,
  );
  try {
    await goBuildInto(go, {
      what: `traefik ${version}`,
      cacheDir,
      binary: 'traefik',
      stamp,
      goArgs: (staging) => ({
        args: [
          'build',
          '-trimpath',
          '-ldflags',
          `-s -w -X=${TRAEFIK_MODULE}/pkg/version.Version=${version}`,
          '-o',
          join(staging, 'traefik'),
          TRAEFIK_PACKAGE,
        ],
        cwd: TRAEFIK_DIST_DIR,
      }),
    });
  } finally {
    clearInterval(progress);
  }
  log(`built traefik ${version} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { path, version };
}

export interface TraefikOptions {
  /** The apiserver Traefik watches, its CA and a bearer token allowed to read routes, Services, EndpointSlices. */
  readonly apiserver: { readonly server: string; readonly caFile: string; readonly token: string };
  /** Folder for the log file. */
  readonly dir: string;
  readonly startTimeoutMs?: number;
}

export interface TraefikHandle {
  /** `http://127.0.0.1:<port>`: the `web` entry point, which the test Gateway's listener names by port. */
  readonly url: string;
  /** The web entry point's port: a Gateway listener must use this port for Traefik to serve it. */
  readonly webPort: number;
  /** `http://127.0.0.1:<port>`: Traefik's API (`/api/http/services`, `/api/http/routers`). */
  readonly apiUrl: string;
  readonly logFile: string;
  logTail(lines?: number): Promise<string>;
  stop(): Promise<void>;
}

/**
 * Starts Traefik out of cluster with only its Gateway API provider, the way an in-cluster
 * Traefik runs but against the test apiserver's URL and token. Resolves once its API answers.
 */
export async function startTraefik(options: TraefikOptions): Promise<TraefikHandle> {
  const binary = await ensureTraefik();
  const webPort = await freePort();
  let apiPort = await freePort();
  while (apiPort === webPort) apiPort = await freePort();
  const logFile = join(options.dir, 'traefik.log');
  const traefik = new ManagedProcess({
    name: 'traefik',
    command: binary.path,
    args: [
      `--entrypoints.web.address=127.0.0.1:${webPort}`,
      `--entrypoints.traefik.address=127.0.0.1:${apiPort}`,
      '--api=true',
      '--api.insecure=true',
      '--providers.kubernetesgateway=true',
      `--providers.kubernetesgateway.endpoint=${options.apiserver.server}`,
      `--providers.kubernetesgateway.token=${options.apiserver.token}`,
      `--providers.kubernetesgateway.certauthfilepath=${options.apiserver.caFile}`,
      // The Gateway's status.addresses; nothing routes by it.
      '--providers.kubernetesgateway.statusaddress.ip=127.0.0.1',
      // Without these Traefik asks the internet whether it is the newest release.
      '--global.checknewversion=false',
      '--global.sendanonymoususage=false',
      '--log.level=INFO',
      '--accesslog=false',
    ],
    cwd: options.dir,
    // Nothing from this process's environment: with KUBECONFIG set (the test run's shared
    // cluster) Traefik would read that file instead of the endpoint and token given here.
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: options.dir },
    logFile,
  });
  traefik.start();
  const apiUrl = `http://127.0.0.1:${apiPort}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 60_000);
  for (;;) {
    if (!traefik.running) {
      throw new Error(
        `traefik exited during startup (${traefik.exitReason}).\n${await traefik.diagnostics()}`,
      );
    }
    const ok = await fetch(`${apiUrl}/api/version`, { signal: AbortSignal.timeout(1_000) })
      .then((res) => res.ok)
      .catch(() => false);
    if (ok) break;
    if (Date.now() > deadline) {
      await traefik.kill();
      throw new Error(`traefik's API did not answer on ${apiUrl} in time.\n${await traefik.diagnostics()}`);
    }
    await sleep(200);
  }
  return {
    url: `http://127.0.0.1:${webPort}`,
    webPort,
    apiUrl,
    logFile,
    logTail: (lines) => traefik.logTail(lines),
    stop: () => traefik.shutdown(10_000),
  };
}
