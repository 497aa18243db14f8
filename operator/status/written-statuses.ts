import { canonicalJson } from '../../kernel/canonical-json.ts';
import type { ResourceStatus } from './resource-status.ts';

interface Entry {
  readonly resourceVersion: string;
  readonly status: ResourceStatus;
  readonly at: number;
}

/**
 * Remembers the statuses this operator wrote until the informer cache shows
 * them. Without it, a reconcile that starts before the watch delivered our
 * own previous writes would see stale statuses and write them again — with
 * many objects, a storm of identical writes. An entry is dropped once the
 * cache holds the resourceVersion our write returned, or shows the same
 * status, or after `ttlMs` (then the cache is trusted, whatever it says).
 */
export class WrittenStatuses {
  readonly #entries = new Map<string, Entry>();
  readonly #ttlMs: number;
  readonly #now: () => number;

  constructor(options: { ttlMs?: number; now?: () => number } = {}) {
    this.#ttlMs = options.ttlMs ?? 30_000;
    this.#now = options.now ?? (() => performance.now());
  }

  /** The status to diff against: our last write while the cache has not caught up with it. */
  baseline(
    key: string,
    cachedResourceVersion: string | undefined,
    cached: ResourceStatus | undefined,
  ): ResourceStatus | undefined {
    const entry = this.#entries.get(key);
    if (!entry) return cached;
    const caughtUp =
      entry.resourceVersion === cachedResourceVersion ||
      canonicalJson(entry.status) === canonicalJson(cached ?? {}) ||
      this.#now() - entry.at > this.#ttlMs;
    if (caughtUp) {
      this.#entries.delete(key);
      return cached;
    }
    return entry.status;
  }

  remember(key: string, resourceVersion: string | undefined, status: ResourceStatus): void {
    if (resourceVersion === undefined) return;
    this.#entries.set(key, { resourceVersion, status, at: this.#now() });
  }
}
