import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../kernel/config-schema.ts';
import type { GatewayMetrics } from '../observability/metrics.ts';
import { declaredRevision, hashText, parseConfigText } from './parse-config.ts';
import { describeIssues, type ReloadStatus } from './reload-status.ts';

export type ReloadResult = 'applied' | 'unchanged' | 'invalid' | 'error';

/**
 * Pure: whether content with `hash` deserves a reload. The last seen hash is
 * that of the last applied OR rejected content, so an invalid file is
 * reported once, not on every poll; `force` (SIGHUP) always reloads.
 */
export function shouldReload(hash: string, lastSeenHash: string | undefined, force: boolean): boolean {
  return force || hash !== lastSeenHash;
}

export interface ConfigReloaderOptions {
  readonly file: string;
  readonly apply: (config: GatewayConfig, repoDigests: ReadonlyMap<string, string>) => Promise<void>;
  readonly logger: Logger;
  readonly metrics: GatewayMetrics;
  /** Hash of the content the gateway started with. */
  readonly initialHash?: string;
  /** Where the outcome of each reload is kept for `/status`. */
  readonly status?: ReloadStatus;
}

/**
 * Re-reads the config file and applies it when its content changed. An
 * unreadable, half-written or invalid file is rejected with its failing path
 * logged; the last good config keeps serving and readiness is untouched.
 * Checks are serialized and coalesced: a burst of events costs one reload.
 */
export class ConfigReloader {
  readonly #options: ConfigReloaderOptions;
  #lastSeenHash: string | undefined;
  #running: Promise<ReloadResult> | undefined;
  #again: { force: boolean } | undefined;

  constructor(options: ConfigReloaderOptions) {
    this.#options = options;
    this.#lastSeenHash = options.initialHash;
  }

  check(force = false): Promise<ReloadResult> {
    if (this.#running) {
      this.#again = { force: force || (this.#again?.force ?? false) };
      return this.#running;
    }
    this.#running = this.#checkOnce(force).finally(() => {
      this.#running = undefined;
      const again = this.#again;
      this.#again = undefined;
      if (again) void this.check(again.force);
    });
    return this.#running;
  }

  async #checkOnce(force: boolean): Promise<ReloadResult> {
    const { file, logger, metrics } = this.#options;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      logger.error(
        { err: error, file },
        'config reload failed: cannot read the file; keeping the running config',
      );
      metrics.configReloads.inc({ result: 'error' });
      this.#options.status?.rejected('error', `cannot read the config file (${errorCode(error)})`);
      return 'error';
    }
    const hash = hashText(text);
    if (!shouldReload(hash, this.#lastSeenHash, force)) return 'unchanged';
    this.#lastSeenHash = hash;
    const parsed = parseConfigText(text);
    if (!parsed.ok) {
      logger.error(
        { file, issues: parsed.issues },
        'config reload rejected: invalid config; keeping the running config',
      );
      metrics.configReloads.inc({ result: 'invalid' });
      this.#options.status?.rejected('invalid', describeIssues(parsed.issues), declaredRevision(text));
      return 'invalid';
    }
    try {
      await this.#options.apply(parsed.config, parsed.repoDigests);
    } catch (error) {
      logger.error({ err: error, file }, 'config reload failed while applying; keeping the running config');
      metrics.configReloads.inc({ result: 'error' });
      this.#options.status?.rejected(
        'error',
        `applying the config failed (${errorCode(error)})`,
        parsed.config.revision,
      );
      return 'error';
    }
    metrics.configReloads.inc({ result: 'applied' });
    this.#options.status?.applied();
    return 'applied';
  }
}

/** A short cause for a status message: the error's code, never its message (it may quote file content). */
function errorCode(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : error instanceof Error ? error.name : 'unknown error';
}
