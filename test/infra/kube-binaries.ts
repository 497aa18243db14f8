import { createHash } from 'node:crypto';
import { chmod, mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDebianTool, exists, findExecutable, runCommand, tail } from './system-tools.ts';

// Builds the Kubernetes control plane the `kube` tests run against from the Go module proxy,
// with the machine's Go: no Docker engine, no release tarball. The two wrapper modules under
// kube-dist/ pin what is built (see kube-dist/README.md); this file only runs `go build` on
// them and caches the result under .cache/kube/<kubernetes version>/bin. Go's own module and
// build caches live under .cache/go, so the first build in a clone downloads and compiles
// everything (tens of minutes on 2 cores) and later ones find the binaries ready.

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const KUBE_DIST_DIR = fileURLToPath(new URL('./kube-dist', import.meta.url));
export const ETCD_DIST_DIR = join(KUBE_DIST_DIR, 'etcd');

/** A binary the wrapper modules can build. */
export type KubeComponent = 'kube-apiserver' | 'kube-controller-manager' | 'kubectl' | 'etcd';

export const KUBE_COMPONENTS: readonly KubeComponent[] = [
  'kube-apiserver',
  'kube-controller-manager',
  'kubectl',
  'etcd',
];

// Each Kubernetes binary is a `tool` of the kube-dist module, so adding kube-scheduler later
// is one `tool` line in go.mod and one entry here; kwok would get a module of its own beside
// etcd/, since it pins its own k8s.io/* versions.
const KUBERNETES_PACKAGES: Record<Exclude<KubeComponent, 'etcd'>, string> = {
  'kube-apiserver': 'k8s.io/kubernetes/cmd/kube-apiserver',
  'kube-controller-manager': 'k8s.io/kubernetes/cmd/kube-controller-manager',
  kubectl: 'k8s.io/kubernetes/cmd/kubectl',
};

export interface KubeBinaries {
  apiserver: string;
  etcd: string;
  kubectl: string;
  controllerManager: string;
  /** The Kubernetes release, e.g. `v1.35.4`. */
  kubernetesVersion: string;
  /** The etcd release, e.g. `v3.6.6`. */
  etcdVersion: string;
}

export interface KubeVersions {
  kubernetes: string;
  etcd: string;
}

/** The pinned versions: each is named once, in its wrapper module's go.mod `require`. */
export async function kubeVersions(): Promise<KubeVersions> {
  return {
    kubernetes: requiredVersion(await readFile(join(KUBE_DIST_DIR, 'go.mod'), 'utf8'), 'k8s.io/kubernetes'),
    etcd: requiredVersion(await readFile(join(ETCD_DIST_DIR, 'go.mod'), 'utf8'), 'go.etcd.io/etcd/server/v3'),
  };
}

/** The version `module` is required at in the text of a go.mod. */
export function requiredVersion(goMod: string, module: string): string {
  const escaped = module.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const match = new RegExp(`^\\s*(?:require\\s+)?${escaped}\\s+(v\\S+)`, 'm').exec(goMod);
  if (match?.[1] === undefined) throw new Error(`go.mod does not require ${module}`);
  return match[1];
}

/**
 * Environment for every `go` command on the wrapper modules. The caches sit in the project's
 * git-ignored .cache/go, so nothing outside the clone is written; -modcacherw keeps the module
 * cache deletable with a plain `rm -rf .cache`. CGO is off: the binaries are static, as
 * Kubernetes' own releases of them are, and no C compiler is needed.
 */
export function goEnv(): NodeJS.ProcessEnv {
  const goDir = join(PROJECT_ROOT, '.cache', 'go');
  return {
    ...process.env,
    GOPATH: join(goDir, 'path'),
    GOMODCACHE: join(goDir, 'mod'),
    GOCACHE: join(goDir, 'build'),
    GOWORK: 'off',
    GO111MODULE: 'on',
    CGO_ENABLED: '0',
    GOFLAGS: '-modcacherw -buildvcs=false',
  };
}

/** The `go` command: PATH's, else the usual install location, else Debian's golang-go. */
export async function ensureGo(): Promise<string> {
  const onPath = findExecutable('go');
  if (onPath !== null) return onPath;
  if (await exists('/usr/local/go/bin/go')) return '/usr/local/go/bin/go';
  // The machines ship Go in /usr/local/go. Debian's golang-go is a last resort: it may be older
  // than kube-dist's go directive (bookworm's 1.19 is), and then the build fails and says so.
  return ensureDebianTool({
    command: 'go',
    pkg: 'golang-go',
    purpose: 'to build kube-apiserver, etcd and kubectl for the kube tests',
  });
}

export interface EnsureKubeBinariesOptions {
  /** What to have built; all of KUBE_COMPONENTS by default. */
  components?: readonly KubeComponent[];
  /** Progress lines (a cold build takes many minutes). */
  log?: (line: string) => void;
}

/**
 * Paths of the control-plane binaries in .cache/kube/<version>/bin, built on first use. Each
 * binary has a stamp holding a hash of everything its build depends on in this repository
 * (go.mod, go.sum, sources, flags), so a cached run reads a few small files and runs nothing,
 * and bumping a version rebuilds. Only the components asked for are built; the paths of the
 * others are returned all the same (they may not exist).
 */
export async function ensureKubeBinaries(options: EnsureKubeBinariesOptions = {}): Promise<KubeBinaries> {
  const log = options.log ?? (() => undefined);
  const versions = await kubeVersions();
  const cacheDir = join(PROJECT_ROOT, '.cache', 'kube', versions.kubernetes);
  const binDir = join(cacheDir, 'bin');
  const stampDir = join(cacheDir, 'stamps');
  const wanted = options.components ?? KUBE_COMPONENTS;
  const plans = await buildPlans(versions);

  const stale: KubeComponent[] = [];
  for (const component of wanted) {
    const stamp = await readFile(join(stampDir, component), 'utf8').catch(() => '');
    if (stamp !== plans[component].hash || !(await exists(join(binDir, component)))) stale.push(component);
  }
  if (stale.length > 0) {
    const go = await ensureGo();
    await mkdir(binDir, { recursive: true });
    await mkdir(stampDir, { recursive: true });
    // Build into a private folder and rename each binary into place, so an interrupted or
    // concurrent build never leaves a truncated binary that looks complete.
    const staging = await mkdtemp(join(cacheDir, 'bin.staging-'));
    try {
      const kubernetes = stale.filter((c): c is Exclude<KubeComponent, 'etcd'> => c !== 'etcd');
      if (kubernetes.length > 0) {
        log(
          `building ${kubernetes.join(', ')} ${versions.kubernetes} from the Go module proxy ` +
            '(a cold build takes 6-10 minutes on 2 cores; cached afterwards)',
        );
        await goBuild(
          go,
          KUBE_DIST_DIR,
          plans['kube-apiserver'].flags,
          ['-o', `${staging}/`, ...kubernetes.map((c) => KUBERNETES_PACKAGES[c])],
          log,
        ).then((ms) => log(`built ${kubernetes.join(', ')} in ${(ms / 1000).toFixed(0)} s`));
      }
      if (stale.includes('etcd')) {
        log(`building etcd ${versions.etcd} from the Go module proxy`);
        await goBuild(go, ETCD_DIST_DIR, plans.etcd.flags, ['-o', join(staging, 'etcd'), '.'], log).then(
          (ms) => log(`built etcd in ${(ms / 1000).toFixed(0)} s`),
        );
      }
      for (const component of stale) {
        await chmod(join(staging, component), 0o755);
        await rename(join(staging, component), join(binDir, component));
        await writeFile(join(stampDir, component), plans[component].hash);
      }
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }
  return {
    apiserver: join(binDir, 'kube-apiserver'),
    controllerManager: join(binDir, 'kube-controller-manager'),
    kubectl: join(binDir, 'kubectl'),
    etcd: join(binDir, 'etcd'),
    kubernetesVersion: versions.kubernetes,
    etcdVersion: versions.etcd,
  };
}

interface BuildPlan {
  /** Arguments of `go build` before the output and packages. */
  flags: string[];
  hash: string;
}

async function buildPlans(versions: KubeVersions): Promise<Record<KubeComponent, BuildPlan>> {
  const kubeFlags = kubernetesBuildFlags(versions.kubernetes);
  const kubeInputs = await hashFiles(
    [join(KUBE_DIST_DIR, 'go.mod'), join(KUBE_DIST_DIR, 'go.sum')],
    kubeFlags,
  );
  const etcdFlags = ['-trimpath', '-ldflags', '-s -w'];
  const etcd = {
    flags: etcdFlags,
    hash: await hashFiles(
      [join(ETCD_DIST_DIR, 'go.mod'), join(ETCD_DIST_DIR, 'go.sum'), join(ETCD_DIST_DIR, 'main.go')],
      etcdFlags,
    ),
  };
  const kube = (component: KubeComponent): BuildPlan => ({
    flags: kubeFlags,
    hash: createHash('sha256').update(kubeInputs).update(component).digest('hex'),
  });
  return {
    'kube-apiserver': kube('kube-apiserver'),
    'kube-controller-manager': kube('kube-controller-manager'),
    kubectl: kube('kubectl'),
    etcd,
  };
}

/**
 * The flags Kubernetes' own build (hack/lib/golang.sh, hack/lib/version.sh) uses for release
 * binaries: its build tags, and the version stamped into both version packages, without which
 * the binaries call themselves v0.0.0 and `kubectl version` warns about skew.
 */
export function kubernetesBuildFlags(version: string): string[] {
  const match = /^v(\d+)\.(\d+)\./.exec(version);
  if (match === null) throw new Error(`not a Kubernetes release version: ${version}`);
  const vars: Record<string, string> = {
    gitVersion: version,
    gitMajor: match[1] ?? '',
    gitMinor: match[2] ?? '',
    gitTreeState: 'clean',
    // Fixed, so the same go.mod gives the same binary.
    buildDate: '1970-01-01T00:00:00Z',
  };
  const ldflags = ['-s', '-w'];
  for (const pkg of ['k8s.io/client-go/pkg/version', 'k8s.io/component-base/version']) {
    for (const [key, value] of Object.entries(vars)) ldflags.push(`-X=${pkg}.${key}=${value}`);
  }
  return ['-trimpath', '-tags=selinux,notest,grpcnotrace', '-ldflags', ldflags.join(' ')];
}

async function hashFiles(files: readonly string[], flags: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files)
    hash
      .update(file.slice(KUBE_DIST_DIR.length))
      .update('\0')
      .update(await readFile(file));
  hash.update(flags.join('\0'));
  return hash.digest('hex');
}

async function goBuild(
  go: string,
  cwd: string,
  flags: string[],
  rest: string[],
  log: (line: string) => void,
): Promise<number> {
  // go build prints nothing until it is done; a line now and then shows a CI log it is alive.
  const started = Date.now();
  const heartbeat = setInterval(
    () => log(`still building (${Math.round((Date.now() - started) / 60_000)} min)`),
    120_000,
  );
  // nice: the build takes both cores for many minutes; other work on the machine goes first.
  const result = await runCommand('nice', ['-n', '10', go, 'build', '-mod=readonly', ...flags, ...rest], {
    cwd,
    env: goEnv(),
    timeoutMs: 75 * 60_000,
  }).finally(() => clearInterval(heartbeat));
  if (result.code !== 0) {
    throw new Error(
      `go build in ${cwd} failed (exit ${result.code ?? result.signal}):\n` +
        tail(`${result.stdout}\n${result.stderr}`, 40),
    );
  }
  return result.durationMs;
}
