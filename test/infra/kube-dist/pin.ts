// Rewrites the wrapper modules for a Kubernetes release: the go.mod of this folder (every
// k8s.io/* staging module replaced by its published version for that release, as
// k8s.io/kubernetes's own go.mod replaces them by local paths) and etcd/go.mod (the etcd
// release Kubernetes names in build/dependencies.yaml), then `go mod tidy` on both.
// Usage: node test/infra/kube-dist/pin.ts [v1.35.4] [--etcd v3.6.6]
// Without a version it re-pins the current one (say, after editing the tool list).
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ETCD_DIST_DIR, ensureGo, goEnv, KUBE_DIST_DIR, kubeVersions } from '../kube-binaries.ts';
import { runCommand, tail } from '../system-tools.ts';

// The Kubernetes commands the module builds; kube-binaries.ts maps them to binaries.
const TOOLS = [
  'k8s.io/kubernetes/cmd/kube-apiserver',
  'k8s.io/kubernetes/cmd/kube-controller-manager',
  'k8s.io/kubernetes/cmd/kubectl',
];

const say = (line: string) => process.stdout.write(`[pin] ${line}\n`);

async function go(args: string[], cwd: string): Promise<string> {
  const result = await runCommand(await ensureGo(), args, { cwd, env: goEnv(), timeoutMs: 1_800_000 });
  if (result.code !== 0) {
    throw new Error(`go ${args.join(' ')} failed (exit ${result.code}):\n${tail(result.stderr, 30)}`);
  }
  return result.stdout;
}

/** `k8s.io/<name>` for every `=> ./staging/src/k8s.io/<name>` replace in Kubernetes' go.mod. */
export function stagingModules(kubernetesGoMod: string): string[] {
  const found = new Set<string>();
  for (const match of kubernetesGoMod.matchAll(/^\s*(k8s\.io\/[\w.-]+)\s*=>\s*\.\/staging\/src\//gm)) {
    if (match[1] !== undefined) found.add(match[1]);
  }
  return [...found].sort();
}

/** The etcd version in Kubernetes' build/dependencies.yaml (`- name: "etcd"` / `version:`). */
export function etcdVersionOf(dependenciesYaml: string): string {
  const match = /-\s+name:\s*"?etcd"?\s*\n\s+version:\s*"?([\d.]+)/.exec(dependenciesYaml);
  if (match?.[1] === undefined) throw new Error('build/dependencies.yaml names no etcd version');
  return `v${match[1]}`;
}

function directive(goMod: string, name: 'go' | 'godebug'): string | null {
  return new RegExp(`^${name}\\s+.+$`, 'm').exec(goMod)?.[0] ?? null;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const etcdFlag = args.indexOf('--etcd');
  const etcdOverride = etcdFlag >= 0 ? args[etcdFlag + 1] : undefined;
  const positional = args.filter((arg, i) => !arg.startsWith('--') && (etcdFlag < 0 || i !== etcdFlag + 1));
  const version = positional[0] ?? (await kubeVersions()).kubernetes;
  if (!/^v1\.\d+\.\d+$/.test(version)) throw new Error(`expected a release like v1.35.4, not '${version}'`);
  const stagingVersion = version.replace(/^v1\./, 'v0.');

  const scratch = await mkdtemp(join(tmpdir(), 'sluice-pin-'));
  let download: { GoMod: string; Dir: string };
  try {
    download = JSON.parse(await go(['mod', 'download', '-json', `k8s.io/kubernetes@${version}`], scratch));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
  const upstream = await readFile(download.GoMod, 'utf8');
  const staging = stagingModules(upstream);
  say(`k8s.io/kubernetes ${version}: ${staging.length} staging modules at ${stagingVersion}`);

  const kubeMod = [
    '// Wrapper module that builds the Kubernetes control plane for the kube tests; see README.md.',
    '// Written by pin.ts (then `go mod tidy`): edit the version there, not here.',
    'module sluice.dev/test/kube-dist',
    '',
    directive(upstream, 'go') ?? 'go 1.25.0',
    '',
    // The main module's godebug line sets the runtime defaults of the binaries; Kubernetes
    // releases are built with theirs.
    ...(directive(upstream, 'godebug') === null ? [] : [directive(upstream, 'godebug'), '']),
    'tool (',
    ...TOOLS.map((tool) => `\t${tool}`),
    ')',
    '',
    `require k8s.io/kubernetes ${version}`,
    '',
    'replace (',
    ...staging.map((module) => `\t${module} => ${module} ${stagingVersion}`),
    ')',
    '',
  ].join('\n');
  const etcd =
    etcdOverride ?? etcdVersionOf(await readFile(join(download.Dir, 'build', 'dependencies.yaml'), 'utf8'));
  say(`etcd ${etcd}`);
  const etcdMod = [
    '// Wrapper module that builds etcd for the kube tests; see ../README.md.',
    '// Written by ../pin.ts (then `go mod tidy`): edit the version there, not here.',
    'module sluice.dev/test/kube-dist/etcd',
    '',
    'go 1.24',
    '',
    `require go.etcd.io/etcd/server/v3 ${etcd}`,
    '',
  ].join('\n');
  // Both go.mod files first: until etcd/go.mod exists, etcd/ would count as a package of
  // this module and its tidy would pull etcd in here.
  await writeFile(join(ETCD_DIST_DIR, 'go.mod'), etcdMod);
  await writeFile(join(ETCD_DIST_DIR, 'go.sum'), '');
  await writeFile(join(KUBE_DIST_DIR, 'go.mod'), kubeMod);
  await writeFile(join(KUBE_DIST_DIR, 'go.sum'), '');
  say('go mod tidy (kube-dist)');
  await go(['mod', 'tidy'], KUBE_DIST_DIR);
  say('go mod tidy (kube-dist/etcd)');
  await go(['mod', 'tidy'], ETCD_DIST_DIR);
  say('done; run `node test/infra/provision.ts` to build, then the kube tests');
}

if (import.meta.main) {
  main().catch((error: unknown) => {
    process.stderr.write(`[pin] FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exitCode = 1;
  });
}
