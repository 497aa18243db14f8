import { spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  input?: string;
  // Every external command the test infrastructure runs is bounded, so a hung tool surfaces
  // as an error with its output instead of a test run that never ends.
  timeoutMs: number;
}

/** Runs a command to completion, capturing its output; rejects only when it cannot be spawned. */
export function runCommand(
  command: string,
  args: readonly string[],
  options: RunOptions,
): Promise<RunResult> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const stdout: Buffer[] = [];
    const stderr: Buffer[] = [];
    child.stdout?.on('data', (chunk: Buffer) => stdout.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const err = Buffer.concat(stderr).toString('utf8');
      resolve({
        code,
        signal,
        stdout: Buffer.concat(stdout).toString('utf8'),
        stderr: timedOut ? `${err}\n[killed after ${options.timeoutMs} ms]` : err,
        durationMs: Date.now() - started,
      });
    });
    if (options.input !== undefined) child.stdin?.end(options.input);
  });
}

/** Absolute path of `name` on PATH, or null. */
export function findExecutable(name: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this PATH entry
    }
  }
  return null;
}

export function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

let aptUpdated = false;

export interface DebianTool {
  /** Executable looked up on PATH. */
  command: string;
  /** Debian package that provides it. */
  pkg: string;
  /** What the tests need it for; part of the error when it cannot be had. */
  purpose: string;
}

/**
 * Path of a tool the tests need. A missing tool is installed from Debian's packages when we
 * are root (the build machines and CI are), because every machine must be able to set
 * itself up from the project's own files; anywhere else the error says what to install.
 */
export async function ensureDebianTool(tool: DebianTool): Promise<string> {
  const found = findExecutable(tool.command);
  if (found !== null) return found;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `\`${tool.command}\` is not on PATH; it is needed ${tool.purpose}. ` +
        `Install it (Debian/Ubuntu: \`sudo apt-get install -y ${tool.pkg}\`) and run again.`,
    );
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!aptUpdated) {
    const update = await runCommand('apt-get', ['update'], { env, timeoutMs: 300_000 });
    if (update.code !== 0) {
      throw new Error(`apt-get update failed (exit ${update.code}):\n${tail(update.stderr, 20)}`);
    }
    aptUpdated = true;
  }
  const install = await runCommand('apt-get', ['install', '-y', '--no-install-recommends', tool.pkg], {
    env,
    timeoutMs: 600_000,
  });
  if (install.code !== 0) {
    throw new Error(
      `apt-get install ${tool.pkg} failed (exit ${install.code}); \`${tool.command}\` is needed ` +
        `${tool.purpose}:\n${tail(install.stderr || install.stdout, 20)}`,
    );
  }
  const installed = findExecutable(tool.command);
  if (installed === null) {
    throw new Error(`apt-get installed ${tool.pkg} but \`${tool.command}\` is still not on PATH`);
  }
  return installed;
}
