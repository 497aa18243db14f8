/**
 * Holds the runtime that new requests use and counts the requests still
 * running on each runtime, so a replaced runtime's producers are closed only
 * after the last request that started on it has finished.
 */
export class RuntimeHolder<T extends object> {
  #current: T | undefined;
  readonly #active = new Map<T, number>();
  readonly #waiters = new Map<T, Array<() => void>>();

  get current(): T | undefined {
    return this.#current;
  }

  /** Makes `next` current for new requests; returns the one it replaced. */
  swap(next: T): T | undefined {
    const previous = this.#current;
    this.#current = next;
    return previous;
  }

  /** Marks a request as running on the current runtime; pair with `leave`. */
  enter(): T | undefined {
    const runtime = this.#current;
    if (runtime !== undefined) this.#active.set(runtime, (this.#active.get(runtime) ?? 0) + 1);
    return runtime;
  }

  leave(runtime: T): void {
    const count = (this.#active.get(runtime) ?? 0) - 1;
    if (count > 0) {
      this.#active.set(runtime, count);
      return;
    }
    this.#active.delete(runtime);
    const waiters = this.#waiters.get(runtime);
    this.#waiters.delete(runtime);
    for (const wake of waiters ?? []) wake();
  }

  activeRequests(runtime: T): number {
    return this.#active.get(runtime) ?? 0;
  }

  /** Resolves once no request is running on `runtime`. */
  drained(runtime: T): Promise<void> {
    if (!this.#active.has(runtime)) return Promise.resolve();
    return new Promise((resolve) => {
      const waiters = this.#waiters.get(runtime) ?? [];
      waiters.push(resolve);
      this.#waiters.set(runtime, waiters);
    });
  }
}
