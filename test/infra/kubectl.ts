import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureKubeBinaries } from './kube-binaries.ts';
import { exists, runCommand, tail } from './system-tools.ts';

// kubectl drives the kube tests the way a user drives a cluster. It is always the project's
// own build (kube-binaries.ts), matching the apiserver's release, run by absolute path: a
// kubectl that happens to be on PATH may be any version, or a cloud SDK's wrapper.

export interface KubectlOptions {
  /** Written to kubectl's stdin, for `apply -f -` and the like. */
  input?: string;
  /** Defaults to process.env.KUBECONFIG, which the kube global setup sets. */
  kubeconfig?: string;
  /** Default 60 s. */
  timeoutMs?: number;
}

export interface KubectlResult {
  stdout: string;
  stderr: string;
  /** Exit code; null when kubectl was killed (on timeout, say). */
  code: number | null;
}

let kubectlPath: Promise<string> | undefined;

/** Path of the provisioned kubectl, built on first use (see ensureKubeBinaries). */
export function kubectlBinary(): Promise<string> {
  kubectlPath ??= ensureKubeBinaries({ components: ['kubectl'] }).then((bins) => bins.kubectl);
  return kubectlPath;
}

/** Runs kubectl against the test cluster. A non-zero exit is a result, not an error. */
export async function kubectl(args: readonly string[], options: KubectlOptions = {}): Promise<KubectlResult> {
  const kubeconfig = options.kubeconfig ?? process.env.KUBECONFIG;
  if (kubeconfig === undefined || kubeconfig === '') {
    throw new Error(
      'kubectl needs a kubeconfig: pass one, or run under the kube vitest project, whose global ' +
        'setup sets KUBECONFIG',
    );
  }
  const result = await runCommand(await kubectlBinary(), [`--kubeconfig=${kubeconfig}`, ...args], {
    ...(options.input === undefined ? {} : { input: options.input }),
    // No stray user configuration (a cache dir, plugins, a KUBECTL_* switch) changes the run.
    env: {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      KUBECONFIG: kubeconfig,
    },
    timeoutMs: options.timeoutMs ?? 60_000,
  });
  return { stdout: result.stdout, stderr: result.stderr, code: result.code };
}

/** Runs kubectl and returns its stdout; a non-zero exit throws with kubectl's stderr. */
export async function kubectlOk(args: readonly string[], options: KubectlOptions = {}): Promise<string> {
  const result = await kubectl(args, options);
  if (result.code !== 0) {
    throw new Error(`kubectl ${args.join(' ')} failed (exit ${result.code}):\n${tail(result.stderr, 20)}`);
  }
  return result.stdout;
}

export type ManifestSource = { files: readonly string[] } | { yaml: string };

export interface ApplyOptions {
  kubeconfig?: string;
  /** Server-side apply with this field manager; client-side apply when left out. */
  fieldManager?: string;
  timeoutMs?: number;
}

/**
 * `kubectl apply` of manifest files or folders, or of YAML text (through stdin). Resolves to
 * the applied objects as `kind.group/name` (kubectl's `-o name`).
 */
export async function applyManifests(source: ManifestSource, options: ApplyOptions = {}): Promise<string[]> {
  const args = ['apply', '-o', 'name'];
  if (options.fieldManager !== undefined) {
    args.push('--server-side', `--field-manager=${options.fieldManager}`, '--force-conflicts');
  }
  const kubectlOptions: KubectlOptions = {
    ...(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig }),
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  };
  if ('files' in source) {
    for (const file of source.files) args.push('-f', file);
  } else {
    args.push('-f', '-');
    kubectlOptions.input = source.yaml;
  }
  const out = await kubectlOk(args, kubectlOptions);
  return out.split('\n').filter((line) => line.trim() !== '');
}

/** Manifest files (.yaml, .yml, .json) under `dir`, recursively, sorted; [] if it is missing. */
export async function manifestFiles(dir: string): Promise<string[]> {
  if (!(await exists(dir))) return [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && /\.(ya?ml|json)$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
}

/**
 * Applies every manifest under `dir` (server-side, as the operator's installer would) and
 * waits until each CustomResourceDefinition among them is Established, i.e. served.
 * Resolves to the CRDs' names.
 */
export async function installCrds(
  dir: string,
  options: { kubeconfig?: string; timeoutMs?: number } = {},
): Promise<string[]> {
  const files = await manifestFiles(dir);
  if (files.length === 0) return [];
  const kubeconfig = options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig };
  const applied = await applyManifests({ files }, { ...kubeconfig, fieldManager: 'sluice-tests' });
  const crds = applied.filter((name) => name.startsWith('customresourcedefinition.'));
  if (crds.length > 0) await waitForCrds(crds, { ...kubeconfig, timeoutMs: options.timeoutMs ?? 60_000 });
  return crds.map((name) => name.slice(name.indexOf('/') + 1));
}

/** Waits until the CRDs (names, or `customresourcedefinition.../name`) are Established. */
export async function waitForCrds(
  crds: readonly string[],
  options: { kubeconfig?: string; timeoutMs?: number } = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const names = crds.map((crd) => (crd.includes('/') ? crd : `customresourcedefinition/${crd}`));
  await kubectlOk(
    ['wait', '--for=condition=Established', `--timeout=${Math.ceil(timeoutMs / 1000)}s`, ...names],
    {
      ...(options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig }),
      timeoutMs: timeoutMs + 10_000,
    },
  );
}
