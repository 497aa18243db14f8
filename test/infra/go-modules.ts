import { chmod, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goEnv } from './kube-binaries.ts';
import { runCommand, tail } from './system-tools.ts';

/** Where `go mod download` put one module version: its folder and its go.mod. */
export interface DownloadedModule {
  readonly Dir: string;
  readonly GoMod: string;
}

/**
 * `go mod download` of one module version into the shared .cache/go (the Go module proxy, no
 * git): for files a test needs from a project's release (CRDs, say) without copying them into
 * this one.
 */
export async function goModDownload(go: string, module: string, version: string): Promise<DownloadedModule> {
  const download = await runCommand(go, ['mod', 'download', '-json', `${module}@${version}`], {
    env: goEnv(),
    cwd: tmpdir(),
    timeoutMs: 10 * 60_000,
  });
  if (download.code !== 0) {
    throw new Error(
      `go mod download ${module}@${version} failed:\n${tail(`${download.stdout}\n${download.stderr}`, 20)}`,
    );
  }
  return JSON.parse(download.stdout) as DownloadedModule;
}

export interface GoBuildInto {
  /** What is built, for messages, e.g. `helm v3.19.5`. */
  readonly what: string;
  /** The folder the binary lands in (`<cacheDir>/<binary>`), with its stamp file beside it. */
  readonly cacheDir: string;
  readonly binary: string;
  /** Written once the binary is in place: what a later run compares to skip the build. */
  readonly stamp: string;
  /** `go` arguments after `nice -n 10 go`, given the private folder the binary must land in. */
  readonly goArgs: (staging: string) => { args: string[]; env?: NodeJS.ProcessEnv; cwd?: string };
}

/**
 * Runs a Go build into a private folder of `cacheDir`, then renames the binary into place and
 * writes the stamp: an interrupted build leaves no binary that looks complete. At nice 10, so
 * tests running beside a build keep their share of the cores.
 */
export async function goBuildInto(go: string, build: GoBuildInto): Promise<string> {
  const path = join(build.cacheDir, build.binary);
  await mkdir(build.cacheDir, { recursive: true });
  const staging = await mkdtemp(join(build.cacheDir, 'staging-'));
  try {
    const { args, env, cwd } = build.goArgs(staging);
    const result = await runCommand('nice', ['-n', '10', go, ...args], {
      env: env ?? goEnv(),
      ...(cwd === undefined ? {} : { cwd }),
      timeoutMs: 45 * 60_000,
    });
    if (result.code !== 0) {
      throw new Error(
        `go ${args[0]} of ${build.what} failed (exit ${result.code ?? result.signal}):\n` +
          tail(`${result.stdout}\n${result.stderr}`, 40),
      );
    }
    await chmod(join(staging, build.binary), 0o755);
    await rename(join(staging, build.binary), path);
    await writeFile(join(build.cacheDir, 'stamp'), build.stamp);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
  return path;
}
