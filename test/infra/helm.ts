import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { goBuildInto, goModDownload } from './go-modules.ts';
import { ensureGo, goEnv, requiredVersion } from './kube-binaries.ts';
import { exists, type RunResult, runCommand, tail } from './system-tools.ts';

// Helm for the chart tests, built from the Go module proxy with the machine's Go like the
// control-plane binaries (kube-binaries.ts): no release tarball, no curl | bash. The binary
// lands in .cache/helm/<version>/helm with a stamp of how it was built, so a cached run reads
// one small file; Go's module and build caches are the shared .cache/go. A cold build takes
// two to five minutes on 2 cores.

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const HELM_MODULE = 'helm.sh/helm/v3';
/** The pinned Helm release (a tag of helm.sh/helm/v3 on the Go module proxy). */
export const HELM_VERSION = 'v3.19.5';

// What the stamp covers besides the version: bump it when the build recipe below changes.
const BUILD_RECIPE = 'go install -trimpath; ldflags: -s -w, version, kube version from client-go; v1';

export interface HelmBinary {
  /** Absolute path of the helm binary. */
  readonly path: string;
  /** The Helm release, e.g. `v3.19.5`. */
  readonly version: string;
}

/**
 * Path of the pinned helm, built on first use. Like Helm's own release build it stamps the
 * version and the Kubernetes version `helm template` and `helm lint` assume without a cluster
 * (client-go's minor, major 1), which Helm otherwise leaves at v1.20 and which a chart's
 * kubeVersion constraint is checked against.
 */
export async function ensureHelm(options: { log?: (line: string) => void } = {}): Promise<HelmBinary> {
  const log = options.log ?? (() => undefined);
  const cacheDir = join(PROJECT_ROOT, '.cache', 'helm', HELM_VERSION);
  const path = join(cacheDir, 'helm');
  const stampFile = join(cacheDir, 'stamp');
  const stamp = createHash('sha256').update(HELM_VERSION).update('\0').update(BUILD_RECIPE).digest('hex');
  if ((await readFile(stampFile, 'utf8').catch(() => '')) === stamp && (await exists(path))) {
    return { path, version: HELM_VERSION };
  }
  const go = await ensureGo();
  await mkdir(cacheDir, { recursive: true });
  log(`building helm ${HELM_VERSION} from the Go module proxy (2-5 minutes on 2 cores; cached afterwards)`);
  const started = Date.now();
  const kube = await helmKubeVersion(go);
  const ldflags = [
    '-s',
    '-w',
    `-X=helm.sh/helm/v3/internal/version.version=${HELM_VERSION}`,
    ...['pkg/chartutil', 'pkg/lint/rules'].flatMap((pkg) => [
      `-X=helm.sh/helm/v3/${pkg}.k8sVersionMajor=${kube.major}`,
      `-X=helm.sh/helm/v3/${pkg}.k8sVersionMinor=${kube.minor}`,
    ]),
  ].join(' ');
  await goBuildInto(go, {
    what: `helm ${HELM_VERSION}`,
    cacheDir,
    binary: 'helm',
    stamp,
    goArgs: (staging) => ({
      args: ['install', '-trimpath', '-ldflags', ldflags, `${HELM_MODULE}/cmd/helm@${HELM_VERSION}`],
      env: { ...goEnv(), GOBIN: staging },
    }),
  });
  log(`built helm ${HELM_VERSION} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { path, version: HELM_VERSION };
}

/** Kubernetes major/minor matching the client-go Helm's go.mod requires (v0.34.x → 1.34). */
async function helmKubeVersion(go: string): Promise<{ major: string; minor: string }> {
  const { GoMod } = await goModDownload(go, HELM_MODULE, HELM_VERSION);
  const clientGo = requiredVersion(await readFile(GoMod, 'utf8'), 'k8s.io/client-go');
  const match = /^v0\.(\d+)\./.exec(clientGo);
  if (match?.[1] === undefined)
    throw new Error(`unexpected k8s.io/client-go version ${clientGo} in helm's go.mod`);
  return { major: '1', minor: match[1] };
}

export interface HelmOptions {
  /** Default 120 s. */
  readonly timeoutMs?: number;
  readonly kubeconfig?: string;
}

let helmHome: Promise<string> | undefined;
let helmBinary: Promise<HelmBinary> | undefined;

/**
 * Runs the pinned helm; a non-zero exit is a result, not an error. Helm's cache, config and
 * data folders are a private temporary folder, so no user repository or plugin changes a run.
 */
export async function helm(args: readonly string[], options: HelmOptions = {}): Promise<RunResult> {
  // One build per process, however many helm commands wait for it.
  helmBinary ??= ensureHelm();
  const binary = await helmBinary;
  helmHome ??= mkdtemp(join(tmpdir(), 'sluice-helm-'));
  const home = await helmHome;
  return runCommand(binary.path, args, {
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: home,
      HELM_CACHE_HOME: join(home, 'cache'),
      HELM_CONFIG_HOME: join(home, 'config'),
      HELM_DATA_HOME: join(home, 'data'),
      ...(options.kubeconfig === undefined ? {} : { KUBECONFIG: options.kubeconfig }),
    },
    timeoutMs: options.timeoutMs ?? 120_000,
  });
}

/** Runs helm and returns its stdout; a non-zero exit throws with helm's output. */
export async function helmOk(args: readonly string[], options: HelmOptions = {}): Promise<string> {
  const result = await helm(args, options);
  if (result.code !== 0) {
    throw new Error(
      `helm ${args.join(' ')} failed (exit ${result.code}):\n${tail(`${result.stdout}\n${result.stderr}`, 30)}`,
    );
  }
  return result.stdout;
}

/** The project's chart. */
export const CHART_DIR = join(PROJECT_ROOT, 'charts', 'sluice');

/** A rendered manifest, as far as the tests look at it. */
export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

/**
 * `helm template` of the chart: the YAML text and its parsed documents (empty ones left
 * out). `args` are further helm arguments: `--set`, `-f`, `--include-crds`, ...
 */
export async function renderChart(
  release: string,
  namespace: string,
  args: readonly string[] = [],
): Promise<{ yaml: string; manifests: Manifest[] }> {
  const yaml = await helmOk(['template', release, CHART_DIR, '--namespace', namespace, ...args]);
  const manifests = parseAllDocuments(yaml)
    .map((document) => document.toJS() as Manifest | null)
    .filter((manifest): manifest is Manifest => manifest !== null);
  return { yaml, manifests };
}

/** The prometheus-operator release whose CRDs the chart's monitoring objects are checked against. */
export const PROMETHEUS_OPERATOR_MODULE = 'github.com/prometheus-operator/prometheus-operator';
export const PROMETHEUS_OPERATOR_VERSION = 'v0.85.0';

/**
 * Folder of the prometheus-operator CRDs (monitoring.coreos.com: ServiceMonitor,
 * PrometheusRule, ...) at the pinned release, fetched as a Go module into .cache/go and read
 * from there: they are never copied into the project.
 */
export async function prometheusOperatorCrdDir(): Promise<string> {
  const { Dir } = await goModDownload(
    await ensureGo(),
    PROMETHEUS_OPERATOR_MODULE,
    PROMETHEUS_OPERATOR_VERSION,
  );
  return join(Dir, 'example', 'prometheus-operator-crd');
}
