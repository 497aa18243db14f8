import { backoffDelay } from './backoff.ts';

export interface WorkQueueOptions {
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Injected timer functions, for tests. */
  readonly setTimer?: (fn: () => void, ms: number) => unknown;
  readonly clearTimer?: (handle: unknown) => void;
}

/**
 * A keyed work queue with the semantics controllers rely on:
 * - a key is queued at most once however often it is added (de-duplication);
 * - a key being processed is never handed out twice at once; adding it
 *   meanwhile marks it dirty and it is queued again when `done` is called;
 * - `addRateLimited` retries with capped exponential backoff per key until
 *   `forget` resets it (after a successful reconcile).
 */
export class WorkQueue {
  readonly #queue: string[] = [];
  readonly #queued = new Set<string>();
  readonly #processing = new Set<string>();
  readonly #dirty = new Set<string>();
  readonly #failures = new Map<string, number>();
  /** Pending delayed adds by key, with when they fire (performance.now() milliseconds). */
  readonly #timers = new Map<string, { readonly handle: unknown; readonly due: number }>();
  readonly #waiters: Array<(key: string | undefined) => void> = [];
  readonly #options: Required<Omit<WorkQueueOptions, 'setTimer' | 'clearTimer'>> &
    Pick<Required<WorkQueueOptions>, 'setTimer' | 'clearTimer'>;
  #shutDown = false;

  constructor(options: WorkQueueOptions = {}) {
    this.#options = {
      baseDelayMs: options.baseDelayMs ?? 200,
      maxDelayMs: options.maxDelayMs ?? 60_000,
      setTimer: options.setTimer ?? ((fn, ms) => setTimeout(fn, ms).unref()),
      clearTimer: options.clearTimer ?? ((handle) => clearTimeout(handle as NodeJS.Timeout)),
    };
  }

  get length(): number {
    return this.#queue.length;
  }

  add(key: string): void {
    if (this.#shutDown) return;
    if (this.#processing.has(key)) {
      this.#dirty.add(key);
      return;
    }
    if (this.#queued.has(key)) return;
    const waiter = this.#waiters.shift();
    if (waiter) {
      this.#processing.add(key);
      waiter(key);
      return;
    }
    this.#queued.add(key);
    this.#queue.push(key);
  }

  /** Adds the key after `ms`; a later call for the same key replaces the pending one only if sooner. */
  addAfter(key: string, ms: number): void {
    if (this.#shutDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const due = performance.now() + ms;
    const pending = this.#timers.get(key);
    if (pending !== undefined) {
      if (pending.due <= due) return;
      this.#options.clearTimer(pending.handle);
    }
    const handle = this.#options.setTimer(() => {
      this.#timers.delete(key);
      this.add(key);
    }, ms);
    this.#timers.set(key, { handle, due });
  }

  /** Re-adds the key after a backoff that doubles with every consecutive failure; returns the delay. */
  addRateLimited(key: string): number {
    const failures = (this.#failures.get(key) ?? 0) + 1;
    this.#failures.set(key, failures);
    const delay = backoffDelay(failures, this.#options.baseDelayMs, this.#options.maxDelayMs);
    this.addAfter(key, delay);
    return delay;
  }

  failures(key: string): number {
    return this.#failures.get(key) ?? 0;
  }

  /** Clears the key's failure history (after a successful reconcile). */
  forget(key: string): void {
    this.#failures.delete(key);
  }

  /** Resolves with the next key, or undefined once the queue is shut down. */
  get(): Promise<string | undefined> {
    const key = this.#queue.shift();
    if (key !== undefined) {
      this.#queued.delete(key);
      this.#processing.add(key);
      return Promise.resolve(key);
    }
    if (this.#shutDown) return Promise.resolve(undefined);
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Marks processing of `key` finished; a key added meanwhile is queued again. */
  done(key: string): void {
    this.#processing.delete(key);
    if (this.#dirty.delete(key)) this.add(key);
  }

  shutDown(): void {
    this.#shutDown = true;
    for (const { handle } of this.#timers.values()) this.#options.clearTimer(handle);
    this.#timers.clear();
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
  }
}
