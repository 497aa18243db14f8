import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { spawnWatchdog } from '../test/infra/system-tools.ts';

// Runs the gateway as a real, separate process (`node gateway/main.ts --config FILE`), the
// way it runs in production, so its CPU and memory can be measured from /proc without the
// load generator's own work mixed in.

export interface GatewayLogSummary {
  /** Log lines at warn level or above. */
  warnings: number;
  /** The first few warn/error messages (message text and code only, never request data). */
  firstWarnings: string[];
}

export interface GatewayProcess {
  readonly pid: number;
  /** Base URL from the `gateway listening` log line, e.g. http://127.0.0.1:41234 */
  readonly url: string;
  readonly logs: GatewayLogSummary;
  /** Last lines of stderr (startup failures, Node warnings). */
  stderrTail(): string;
  /** SIGTERM (graceful: drains, flushes, disconnects), SIGKILL after `graceMs`. Idempotent. */
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Synchronous SIGKILL for process exit paths, where nothing async runs. */
  killNow(): void;
}

export interface StartGatewayOptions {
  /** The gateway entry point, gateway/main.ts (run as `node MAIN --config FILE`). */
  mainFile: string;
  configFile: string;
  /**
   * The script and its arguments instead of `mainFile --config configFile`: the image's own
   * command line (bench/image-runtime.ts), e.g. bin/sluice.ts gateway --config FILE.
   */
  command?: readonly string[];
  /** Environment on top of this process's, e.g. the image's NODE_OPTIONS. */
  env?: Readonly<Record<string, string>>;
  /** Extra Node flags before the script, e.g. --cpu-prof. */
  nodeArgs?: readonly string[];
  /** Extra gateway flags, e.g. --poll-ms 60000. */
  gatewayArgs?: readonly string[];
  cwd: string;
  /** Bound on start until the producer reports it connected. */
  startTimeoutMs?: number;
  /** With `--workers N`: ready once N workers listen and connected (default 1). */
  expectedWorkers?: number;
}

interface PinoLine {
  level?: number;
  msg?: string;
  address?: string;
  err?: { message?: string; code?: string };
  code?: string;
}

const WARN = 40;

/** Resolves once the gateway listens and every producer connected; rejects (and kills it) otherwise. */
export async function startGatewayProcess(options: StartGatewayOptions): Promise<GatewayProcess> {
  const child = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      ...(options.command ?? [options.mainFile, '--config', options.configFile]),
      '--port',
      '0',
      ...(options.gatewayArgs ?? []),
    ],
    {
      cwd: options.cwd,
      // info level: the two lifecycle lines below are what tells us the gateway is ready.
      env: { ...process.env, ...options.env, LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const pid = child.pid;
  if (pid === undefined) {
    const [error] = (await once(child, 'error')) as [Error];
    throw new Error(`could not start the gateway: ${error.message}`);
  }
  // Kills the gateway if this process dies without stopping it (even by SIGKILL), so no
  // gateway outlives the benchmark.
  const watchdog = spawnWatchdog(pid);
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  void exited.then(() => watchdog.kill('SIGKILL'));

  let stderr = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-8_000);
  });

  const logs: GatewayLogSummary = { warnings: 0, firstWarnings: [] };
  let url: string | undefined;
  let listening = 0;
  let connected = 0;
  const expected = options.expectedWorkers ?? 1;
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => {
    markReady = resolve;
  });
  // The pipe is read for the whole life of the process: a full pipe would block the gateway.
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
  lines.on('line', (line) => {
    let entry: PinoLine;
    try {
      entry = JSON.parse(line) as PinoLine;
    } catch {
      return;
    }
    // The producer may connect before the listener is up or after; ready needs both.
    if (entry.msg === 'gateway listening' && typeof entry.address === 'string') {
      url = entry.address;
      listening += 1;
    }
    if (entry.msg === 'producer connected') connected += 1;
    if (url !== undefined && listening >= expected && connected >= expected) markReady();
    if ((entry.level ?? 0) >= WARN) {
      logs.warnings += 1;
      if (logs.firstWarnings.length < 5) {
        const detail = entry.err?.code ?? entry.code ?? entry.err?.message;
        logs.firstWarnings.push(`${entry.msg ?? '(no message)'}${detail ? ` (${detail})` : ''}`);
      }
    }
  });

  let stopping: Promise<{ code: number | null; signal: NodeJS.Signals | null }> | undefined;
  const handle: GatewayProcess = {
    pid,
    get url() {
      return url ?? '';
    },
    logs,
    stderrTail: () => stderr.trim().split('\n').slice(-20).join('\n'),
    stop(graceMs = 30_000) {
      stopping ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
        try {
          const [code, signal] = await exited;
          return { code, signal };
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
    killNow() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      watchdog.kill('SIGKILL');
    },
  };

  const timeoutMs = options.startTimeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const outcome = await Promise.race([
    ready.then(() => 'ready' as const),
    exited.then(() => 'exited' as const),
    new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  if (outcome !== 'ready') {
    handle.killNow();
    await exited;
    throw new Error(
      outcome === 'exited'
        ? `the gateway exited during startup (code ${child.exitCode ?? child.signalCode}):\n${handle.stderrTail()}`
        : `the gateway was not ready (listening, producer connected) within ${timeoutMs} ms:\n${handle.stderrTail()}`,
    );
  }
  return handle;
}
