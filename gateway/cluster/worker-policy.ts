// The pure decisions of `sluice gateway --workers N`: how many workers, and how long to
// wait before restarting one that crashed. The node:cluster edge is run-cluster.ts.

export type WorkerCountResult =
  | { readonly ok: true; readonly workers: number }
  | { readonly ok: false; readonly message: string };

/** Upper bound on workers: far above any pod's cores, low enough to catch a typo. */
export const MAX_WORKERS = 64;

/**
 * `--workers` → a count. Absent means 1 (no cluster: the gateway serves in this process);
 * `auto` means one per CPU the process may use (`availableParallelism`, which honours the
 * cgroup CPU limit of a pod only through the affinity mask, so set the flag explicitly
 * when the pod's CPU limit is lower than the node's cores).
 */
export function parseWorkerCount(raw: string | undefined, cpus: number): WorkerCountResult {
  if (raw === undefined) return { ok: true, workers: 1 };
  const value = raw.trim();
  if (value === 'auto') return { ok: true, workers: Math.min(MAX_WORKERS, Math.max(1, cpus)) };
  const workers = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(workers) || workers < 1 || workers > MAX_WORKERS) {
    return {
      ok: false,
      message: `--workers must be "auto" or an integer from 1 to ${MAX_WORKERS}, got "${raw}"`,
    };
  }
  return { ok: true, workers };
}

/** Crashes further apart than this do not add to the backoff. */
export const CRASH_WINDOW_MS = 60_000;
const FIRST_RESTART_MS = 100;
const MAX_RESTART_MS = 10_000;

/**
 * Delay before restarting a worker slot, given the times (ms, any monotonic clock) its
 * workers crashed, the latest included. Doubles per crash within the window from 100 ms
 * to at most 10 s: a worker that cannot start (broker down at boot is not such a case, the
 * gateway retries that itself) does not spin the primary.
 */
export function restartDelayMs(crashTimes: readonly number[], now: number): number {
  const recent = pruneCrashTimes(crashTimes, now).length;
  if (recent <= 1) return FIRST_RESTART_MS;
  return Math.min(MAX_RESTART_MS, FIRST_RESTART_MS * 2 ** (recent - 1));
}

/** Drops crash times older than the window, so a long-lived slot's history stays bounded. */
export function pruneCrashTimes(crashTimes: readonly number[], now: number): number[] {
  return crashTimes.filter((at) => now - at <= CRASH_WINDOW_MS);
}

/** The primary's exit status once every worker exited during a shutdown: 0 only if all were clean. */
export function clusterExitCode(codes: readonly (number | null)[]): number {
  return codes.every((code) => code === 0) ? 0 : 1;
}

/** Messages from the primary to its workers (signals are not forwarded as signals: see run-cluster.ts). */
export const WORKER_COMMANDS = { shutdown: 'sluice:shutdown', reload: 'sluice:reload' } as const;
export type WorkerCommand = (typeof WORKER_COMMANDS)[keyof typeof WORKER_COMMANDS];

export function isWorkerCommand(message: unknown): message is WorkerCommand {
  return message === WORKER_COMMANDS.shutdown || message === WORKER_COMMANDS.reload;
}
