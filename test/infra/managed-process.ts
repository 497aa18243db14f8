import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { spawnWatchdog, tail, waitFor } from './system-tools.ts';

export interface ManagedProcessOptions {
  /** Short name for messages, e.g. 'etcd'. */
  name: string;
  command: string;
  args: readonly string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** stdout and stderr are appended here, across restarts. */
  logFile: string;
  /** Removed by the watchdog if this test process dies without cleaning up. */
  cleanupDir?: string;
}

// Servers not yet stopped when this process exits are killed and their folders removed, so
// none outlives a test run. The 'exit' hook covers normal ends and process.exit(); the
// per-process watchdogs (spawnWatchdog) cover deaths that run no JavaScript, such as SIGKILL.
const exitCleanups = new Set<() => void>();
let exitHookInstalled = false;

/**
 * Kills `processes` and removes `dir` if this process exits before the returned function is
 * called; their owner calls it once it has stopped them itself.
 */
export function killAtExit(processes: readonly ManagedProcess[], dir: string): () => void {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const cleanup of exitCleanups) cleanup();
    });
  }
  // Synchronous: nothing async runs in an 'exit' hook.
  const cleanup = () => {
    for (const managed of processes) managed.killSync();
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // best effort: a temp folder left behind is harmless
    }
  };
  exitCleanups.add(cleanup);
  return () => exitCleanups.delete(cleanup);
}

/**
 * A long-running server process of the test infrastructure: output to a log file, a watchdog
 * that kills it if the test process dies (see spawnWatchdog), and start/shutdown/kill that
 * can be repeated on the same instance, for tests that restart servers.
 */
export class ManagedProcess {
  readonly name: string;
  readonly logFile: string;
  readonly #options: ManagedProcessOptions;
  #child: ChildProcess | undefined;
  #watchdog: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #exitReason = '';

  constructor(options: ManagedProcessOptions) {
    this.#options = options;
    this.name = options.name;
    this.logFile = options.logFile;
  }

  get pid(): number | undefined {
    return this.#child?.pid;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** How the last run ended, e.g. 'exit code 1' or 'signal SIGKILL'; '' while running. */
  get exitReason(): string {
    return this.#exitReason;
  }

  /** Spawns the process; resolves once spawned (not once it is ready: callers probe that). */
  start(): void {
    if (this.#child !== undefined) return;
    const out = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(this.#options.command, this.#options.args, {
        cwd: this.#options.cwd,
        env: this.#options.env ?? process.env,
        stdio: ['ignore', out, out],
      });
    } finally {
      closeSync(out);
    }
    this.#exitReason = '';
    this.#exited = new Promise((resolve) => {
      const gone = (reason: string) => {
        this.#exitReason = reason;
        if (this.#child === child) this.#child = undefined;
        this.#watchdog?.kill('SIGKILL');
        this.#watchdog = undefined;
        resolve();
      };
      child.once('exit', (code, signal) => gone(signal === null ? `exit code ${code}` : `signal ${signal}`));
      child.once('error', (error) => gone(error.message));
    });
    this.#child = child;
    if (child.pid !== undefined) this.#watchdog = spawnWatchdog(child.pid, this.#options.cleanupDir);
  }

  /** SIGTERM, then SIGKILL once `graceMs` passed. */
  async shutdown(graceMs: number): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    child.kill('SIGTERM');
    if (!(await waitFor(this.#exited, graceMs))) {
      child.kill('SIGKILL');
      await this.#exited;
    }
  }

  /** Sends `signal` (SIGSTOP to freeze, SIGCONT to thaw) to the running process; false when none runs. */
  signal(signal: NodeJS.Signals): boolean {
    return this.#child?.kill(signal) ?? false;
  }

  /** SIGKILL, as a crash would. */
  async kill(): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    child.kill('SIGKILL');
    await this.#exited;
  }

  /** Synchronous last resort from a process 'exit' hook, where nothing async runs. */
  killSync(): void {
    const pid = this.#child?.pid;
    if (pid !== undefined) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    this.#watchdog?.kill('SIGKILL');
  }

  async logTail(lines = 60): Promise<string> {
    return tail(await readFile(this.logFile, 'utf8').catch(() => `(no ${this.name} log)`), lines);
  }

  /**
   * For startup failures: the first error lines (klog `E`/`F` lines, zap `"level":"error"`
   * or `"fatal"`), which a dying server buries under shutdown noise, then the tail.
   */
  async diagnostics(): Promise<string> {
    const text = await readFile(this.logFile, 'utf8').catch(() => '');
    const errors = text
      .split('\n')
      .filter((line) => /^[EF]\d{4} /.test(line) || /"level":"(error|fatal|panic)"/.test(line))
      .slice(0, 12)
      .map((line) => (line.length > 600 ? `${line.slice(0, 600)}...` : line));
    const head = errors.length > 0 ? `First errors:\n${errors.join('\n')}\n` : '';
    return `${head}Last lines of ${this.logFile}:\n${tail(text || '(empty)', 40)}`;
  }
}
