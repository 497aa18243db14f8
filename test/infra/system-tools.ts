import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { createConnection, createServer } from 'node:net';
import { delimiter, join } from 'node:path';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** Killed because it outlasted `timeoutMs`. */
  timedOut: boolean;
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
        timedOut,
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

/**
 * A tiny `sh` that blocks reading a pipe from this process; the read returns exactly when
 * this process dies and the kernel closes the pipe, and then it SIGKILLs `pid` and removes
 * `cleanupDir` (if given). Node cannot set PR_SET_PDEATHSIG, and without this a `kill -9` of
 * vitest (a CI timeout, say) would leave servers such as a 512 MB JVM holding their ports.
 * It is detached so a Ctrl+C to the process group does not take it down first; kill it
 * (SIGKILL) once the watched process has exited.
 */
export function spawnWatchdog(pid: number, cleanupDir?: string): ChildProcess {
  const script = 'read -r _ignored; kill -9 "$0" 2>/dev/null; [ -z "$1" ] || { sleep 1; rm -rf "$1"; }';
  const watchdog = spawn('sh', ['-c', script, String(pid), cleanupDir ?? ''], {
    stdio: ['pipe', 'ignore', 'ignore'],
    detached: true,
  });
  watchdog.on('error', () => undefined);
  watchdog.unref();
  (watchdog.stdin as unknown as { unref?: () => void } | null)?.unref?.();
  return watchdog;
}

/**
 * A port on 127.0.0.1 that was free a moment ago, picked below the kernel's ephemeral range
 * where it can be had. A server that is killed and restarted must get its port back, and
 * a port from the ephemeral range could meanwhile become the source port of some outgoing
 * connection; ports below that range are only ever taken by an explicit bind.
 */
export async function freePort(): Promise<number> {
  const ephemeralStart = await readFile('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
    .then((text) => Number.parseInt(text.trim().split(/\s+/)[0] ?? '', 10))
    .catch(() => Number.NaN);
  const low = 10_000;
  if (Number.isInteger(ephemeralStart) && ephemeralStart > low + 1_000) {
    for (let attempt = 0; attempt < 50; attempt++) {
      const port = low + Math.floor(Math.random() * (ephemeralStart - low));
      if (await canListen(port)) return port;
    }
  }
  return listenOnce(0);
}

/** `count` distinct free ports (see freePort). */
export async function freePorts(count: number): Promise<number[]> {
  const ports = new Set<number>();
  while (ports.size < count) ports.add(await freePort());
  return [...ports];
}

function canListen(port: number): Promise<boolean> {
  return listenOnce(port).then(
    () => true,
    () => false,
  );
}

function listenOnce(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address !== null && typeof address === 'object') resolve(address.port);
        else reject(new Error('could not determine a free port'));
      });
    });
  });
}

export function portAcceptsConnections(port: number, timeoutMs = 1_000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** True when `promise` settles within `timeoutMs`, false when the time ran out first. */
export async function waitFor(promise: Promise<void>, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  try {
    return await Promise.race([promise.then(() => true as const), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
