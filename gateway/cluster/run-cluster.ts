import cluster, { type Worker } from 'node:cluster';
import type { Logger } from 'pino';
import {
  clusterExitCode,
  isWorkerCommand,
  pruneCrashTimes,
  restartDelayMs,
  WORKER_COMMANDS,
} from './worker-policy.ts';

// `sluice gateway --workers N`: a node:cluster primary that forks N copies of the same
// command. Each worker is a complete gateway (its own producers, batches, config watcher
// and reloads); the primary only supervises: it holds the listening socket and hands
// connections to the workers round-robin, turns SIGTERM/SIGINT/SIGHUP into messages to
// every worker, and restarts a worker that died unexpectedly, with backoff.
//
// Why messages and not signals: a terminal's Ctrl-C already signals the whole process
// group, and the gateway treats a second SIGINT/SIGTERM as "exit now"; a message makes the
// primary's forwarding idempotent whichever way the signal arrived.

export interface ClusterOptions {
  readonly workers: number;
  readonly logger: Logger;
  /** Exits the primary; injectable for tests. */
  readonly exit?: (code: number) => void;
}

interface Slot {
  worker: Worker | undefined;
  crashTimes: number[];
  restartTimer: NodeJS.Timeout | undefined;
}

/** Starts the primary: forks the workers and supervises them until a shutdown signal. */
export function runClusterPrimary(options: ClusterOptions): void {
  const { logger } = options;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const slots: Slot[] = Array.from({ length: options.workers }, () => ({
    worker: undefined,
    crashTimes: [],
    restartTimer: undefined,
  }));
  const exitCodes: (number | null)[] = [];
  let stopping = false;

  const live = () => slots.flatMap((slot) => (slot.worker ? [slot.worker] : []));
  const send = (command: (typeof WORKER_COMMANDS)[keyof typeof WORKER_COMMANDS]) => {
    for (const worker of live()) {
      // A worker whose channel already closed is on its way out; its exit is handled below.
      if (worker.isConnected()) worker.send(command);
    }
  };
  const finishIfDone = () => {
    if (stopping && live().length === 0) {
      const code = clusterExitCode(exitCodes);
      logger.info({ code }, 'cluster stopped');
      exit(code);
    }
  };

  const fork = (index: number) => {
    const slot = slots[index] as Slot;
    slot.restartTimer = undefined;
    const worker = cluster.fork({ SLUICE_WORKER_INDEX: String(index) });
    slot.worker = worker;
    worker.on('exit', (code, signal) => {
      slot.worker = undefined;
      if (stopping) {
        exitCodes.push(code);
        logger.info({ worker: index, pid: worker.process.pid, code, signal }, 'worker exited');
        finishIfDone();
        return;
      }
      const now = performance.now();
      slot.crashTimes = [...pruneCrashTimes(slot.crashTimes, now), now];
      const delayMs = restartDelayMs(slot.crashTimes, now);
      logger.error(
        { worker: index, pid: worker.process.pid, code, signal, delayMs },
        'worker died; restarting',
      );
      slot.restartTimer = setTimeout(() => fork(index), delayMs);
    });
  };

  let signals = 0;
  const onStop = (signal: NodeJS.Signals) => {
    signals += 1;
    if (signals > 1) {
      logger.warn({ signal }, 'second signal: killing workers');
      for (const worker of live()) worker.process.kill('SIGKILL');
      exit(1);
      return;
    }
    stopping = true;
    logger.info({ signal, workers: live().length }, 'signal received: draining workers');
    for (const slot of slots) {
      if (slot.restartTimer !== undefined) clearTimeout(slot.restartTimer);
      slot.restartTimer = undefined;
    }
    send(WORKER_COMMANDS.shutdown);
    finishIfDone();
  };
  process.on('SIGTERM', onStop);
  process.on('SIGINT', onStop);
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: workers reload their config');
    send(WORKER_COMMANDS.reload);
  });

  logger.info({ workers: options.workers }, 'cluster primary starting workers');
  for (let index = 0; index < slots.length; index++) fork(index);
}

export interface WorkerHooks {
  readonly shutdown: () => void;
  readonly reload: () => void;
}

/**
 * In a worker: obey the primary's commands, and shut down when the primary is gone (its
 * channel closed), so no worker outlives a primary killed with SIGKILL.
 */
export function followPrimary(hooks: WorkerHooks): void {
  process.on('message', (message: unknown) => {
    if (!isWorkerCommand(message)) return;
    if (message === WORKER_COMMANDS.shutdown) hooks.shutdown();
    else hooks.reload();
  });
  process.on('disconnect', () => hooks.shutdown());
}

export const isClusterWorker = (): boolean => cluster.isWorker;
