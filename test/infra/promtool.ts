import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { goBuildInto } from './go-modules.ts';
import { ensureGo, goEnv } from './kube-binaries.ts';
import { exists, type RunResult, runCommand } from './system-tools.ts';

// Prometheus's promtool for the alert-rule tests (`promtool test rules`), built from the Go
// module proxy with the machine's Go like helm (helm.ts): no release tarball. The binary lands
// in .cache/promtool/<version>/promtool with a stamp of how it was built; Go's module and
// build caches are the shared .cache/go. Built with `remove_all_sd`, Prometheus's own build
// tag that leaves out the service-discovery plugins (cloud SDKs) rule tests never use, which
// cuts the cold build to a few minutes on 2 cores.

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const PROMETHEUS_MODULE = 'github.com/prometheus/prometheus';
/**
 * The pinned Prometheus: its Go module version (v0.316.0 is the module form of release
 * v3.16.0; Prometheus publishes v3.x.y as v0.3xx.y on the module proxy).
 */
export const PROMETHEUS_MODULE_VERSION = 'v0.316.0';
export const PROMETHEUS_RELEASE = '3.16.0';

// What the stamp covers besides the version: bump it when the build recipe below changes.
const BUILD_RECIPE = 'go install -trimpath -tags remove_all_sd; ldflags: -s -w, version; v1';

export interface PromtoolBinary {
  /** Absolute path of the promtool binary. */
  readonly path: string;
  /** The Prometheus release it belongs to, e.g. `3.16.0`. */
  readonly version: string;
}

/** Path of the pinned promtool, built on first use. */
export async function ensurePromtool(
  options: { log?: (line: string) => void } = {},
): Promise<PromtoolBinary> {
  const log = options.log ?? (() => undefined);
  const cacheDir = join(PROJECT_ROOT, '.cache', 'promtool', PROMETHEUS_MODULE_VERSION);
  const path = join(cacheDir, 'promtool');
  const stampFile = join(cacheDir, 'stamp');
  const stamp = createHash('sha256')
    .update(PROMETHEUS_MODULE_VERSION)
    .update('\0')
    .update(BUILD_RECIPE)
    .digest('hex');
  if ((await readFile(stampFile, 'utf8').catch(() => '')) === stamp && (await exists(path))) {
    return { path, version: PROMETHEUS_RELEASE };
  }
  const go = await ensureGo();
  await mkdir(cacheDir, { recursive: true });
  log(
    `building promtool ${PROMETHEUS_RELEASE} (${PROMETHEUS_MODULE}@${PROMETHEUS_MODULE_VERSION}) from the Go module proxy (a few minutes on 2 cores; cached afterwards)`,
  );
  const started = Date.now();
  const ldflags = ['-s', '-w', `-X=github.com/prometheus/common/version.Version=${PROMETHEUS_RELEASE}`].join(
    ' ',
  );
  await goBuildInto(go, {
    what: `promtool ${PROMETHEUS_MODULE_VERSION}`,
    cacheDir,
    binary: 'promtool',
    stamp,
    goArgs: (staging) => ({
      args: [
        'install',
        '-trimpath',
        '-tags',
        'remove_all_sd',
        '-ldflags',
        ldflags,
        `${PROMETHEUS_MODULE}/cmd/promtool@${PROMETHEUS_MODULE_VERSION}`,
      ],
      env: { ...goEnv(), GOBIN: staging },
    }),
  });
  log(`built promtool ${PROMETHEUS_RELEASE} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { path, version: PROMETHEUS_RELEASE };
}

let promtoolBinary: Promise<PromtoolBinary> | undefined;

/** Runs the pinned promtool in `cwd`; a non-zero exit is a result, not an error. */
export async function promtool(args: readonly string[], cwd: string): Promise<RunResult> {
  promtoolBinary ??= ensurePromtool();
  const binary = await promtoolBinary;
  return runCommand(binary.path, args, {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd },
    timeoutMs: 120_000,
  });
}
