import { type ConfigWatcher, type ConfigWatcherOptions, watchConfigFile } from './config-watcher.ts';

export type WatchedFilesOptions = Pick<ConfigWatcherOptions, 'onChange' | 'logger' | 'pollIntervalMs'>;

/**
 * A changing set of watched files (mounted Secrets: token files, certificate pairs), each
 * watched like the config file (its directory, plus the polling fallback), all calling the
 * same `onChange`. `follow` starts watching what is new, stops what is no longer named and
 * leaves the rest running; `close` stops all.
 */
export class WatchedFiles {
  readonly #options: WatchedFilesOptions;
  readonly #watchers = new Map<string, ConfigWatcher>();

  constructor(options: WatchedFilesOptions) {
    this.#options = options;
  }

  /** The files watched now. */
  get files(): string[] {
    return [...this.#watchers.keys()];
  }

  follow(files: Iterable<string>): void {
    const wanted = new Set(files);
    for (const [file, watcher] of this.#watchers) {
      if (wanted.has(file)) continue;
      watcher.close();
      this.#watchers.delete(file);
    }
    const { onChange, logger, pollIntervalMs } = this.#options;
    for (const file of wanted) {
      if (this.#watchers.has(file)) continue;
      this.#watchers.set(
        file,
        watchConfigFile({
          file,
          onChange,
          logger,
          ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }),
        }),
      );
    }
  }

  close(): void {
    for (const watcher of this.#watchers.values()) watcher.close();
    this.#watchers.clear();
  }
}
