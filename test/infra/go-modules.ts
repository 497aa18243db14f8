import { tmpdir } from 'node:os';
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
