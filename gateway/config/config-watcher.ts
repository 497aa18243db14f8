import { type FSWatcher, statSync, watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { Logger } from 'pino';

export interface ConfigWatcherOptions {
  /** The config file, e.g. /etc/sluice/gateway.yaml inside a ConfigMap volume. */
  readonly file: string;
  /** Called (debounced) whenever the file may have changed; the callee compares content. */
  readonly onChange: () => void;
  readonly logger: Logger;
  /** Fallback content check interval, for changes the watch missed. */
  readonly pollIntervalMs?: number;
  readonly debounceMs?: number;
}

export interface ConfigWatcher {
  close(): void;
}

/**
 * Names in a ConfigMap volume whose change means the config may have changed.
 * The kubelet writes a new `..<timestamp>` directory, points `..data_tmp` at it
 * and renames that over `..data`; the visible file is a symlink through
 * `..data`. A plain directory (no kubelet) changes the file itself.
 */
export function isRelevantEvent(fileName: string, changed: string | null): boolean {
  if (changed === null) return true;
  return changed === fileName || changed === '..data' || changed === '..data_tmp';
}

/**
 * Watches the directory that holds the config file (watching the file itself
 * would follow one inode and miss the kubelet's symlink swap). A watch that
 * errors, or whose directory is replaced, is re-established; a periodic call
 * of `onChange` covers any event the platform drops.
 */
export function watchConfigFile(options: ConfigWatcherOptions): ConfigWatcher {
  const dir = dirname(options.file);
  const fileName = basename(options.file);
  const dirName = basename(dir);
  const debounceMs = options.debounceMs ?? 10;
  let watcher: FSWatcher | undefined;
  let debounce: NodeJS.Timeout | undefined;
  let rewatch: NodeJS.Timeout | undefined;
  let closed = false;
  let watchedInode: number | undefined;

  const inodeOf = (): number | undefined => {
    try {
      return statSync(dir).ino;
    } catch {
      return undefined;
    }
  };

  // On Linux a removed or replaced directory leaves an inotify watch that
  // neither errors nor closes; comparing inodes on every wake-up catches it.
  const notify = () => {
    if (closed || debounce !== undefined) return;
    debounce = setTimeout(() => {
      debounce = undefined;
      if (closed) return;
      if (watcher !== undefined && inodeOf() !== watchedInode)
        restart(new Error('config directory replaced'));
      options.onChange();
    }, debounceMs);
  };

  const start = () => {
    rewatch = undefined;
    if (closed) return;
    try {
      watchedInode = inodeOf();
      watcher = watch(dir, { persistent: false }, (_event, changed) => {
        const name = changed === null ? null : String(changed);
        // inotify names the watched directory itself when it is deleted or moved away;
        // the watch is dead from then on (and a new directory may even reuse the inode).
        if (name === dirName) restart(new Error('config directory removed'));
        else if (isRelevantEvent(fileName, name)) notify();
      });
      watcher.on('error', (error) => restart(error));
      // The directory itself renamed or removed: the watch is dead even without an error.
      watcher.on('close', () => {
        if (!closed) restart(new Error('watch closed'));
      });
    } catch (error) {
      restart(error);
    }
  };

  const restart = (error: unknown) => {
    options.logger.warn({ err: error, dir }, 'config watch lost; re-establishing');
    watcher?.removeAllListeners('close');
    watcher?.close();
    watcher = undefined;
    if (!closed && rewatch === undefined) {
      rewatch = setTimeout(() => {
        start();
        notify();
      }, 1000);
    }
  };

  start();
  const poll = setInterval(notify, options.pollIntervalMs ?? 10_000);
  poll.unref();
  return {
    close() {
      closed = true;
      clearInterval(poll);
      clearTimeout(debounce);
      clearTimeout(rewatch);
      watcher?.removeAllListeners('close');
      watcher?.close();
    },
  };
}
