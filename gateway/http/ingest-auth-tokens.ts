import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../../kernel/config-schema.ts';
import { WatchedFiles } from '../config/watched-files.ts';
import {
  buildAuthTable,
  type IngestAuthTable,
  parseTokens,
  tableFingerprint,
  tokenFiles,
} from './ingest-auth.ts';

export interface IngestAuthOptions {
  readonly logger: Logger;
  /** Fallback re-read interval of the token files, for changes a watch missed. */
  readonly pollIntervalMs?: number;
  readonly readText?: (path: string) => Promise<string>;
}

export interface PreparedAuth {
  readonly config: Pick<GatewayConfig, 'repos'>;
  readonly table: IngestAuthTable;
  readonly tokensByFile: ReadonlyMap<string, readonly string[]>;
}

/**
 * Holds the ingest-auth table of the running config and keeps it in step with the token
 * files: they are read when a config is prepared (start and every reload) and again
 * whenever a file changes (the Secret volume's directory is watched like the config's,
 * with a polling fallback), so a rotated Secret applies without a config change. A file
 * that cannot be read keeps the tokens last read from it; a file never read successfully
 * accepts nothing. Tokens are never logged, only paths and counts.
 */
export class IngestAuth {
  readonly #options: IngestAuthOptions;
  readonly #files: WatchedFiles;
  #prepared: PreparedAuth;
  #fingerprint: string;
  #closed = false;
  #refreshing: Promise<void> | undefined;
  #refreshAgain = false;

  private constructor(prepared: PreparedAuth, options: IngestAuthOptions) {
    this.#options = options;
    this.#prepared = prepared;
    this.#fingerprint = tableFingerprint(prepared.table);
    this.#files = new WatchedFiles({
      logger: options.logger,
      onChange: () => void this.refresh(),
      pollIntervalMs: options.pollIntervalMs,
    });
    this.#watch();
  }

  static async create(config: Pick<GatewayConfig, 'repos'>, options: IngestAuthOptions): Promise<IngestAuth> {
    return new IngestAuth(await readAuth(config, new Map(), options), options);
  }

  get current(): IngestAuthTable {
    return this.#prepared.table;
  }

  /** Reads the token files `config` names; `install` makes the result current. */
  prepare(config: Pick<GatewayConfig, 'repos'>): Promise<PreparedAuth> {
    return readAuth(config, this.#prepared.tokensByFile, this.#options);
  }

  install(prepared: PreparedAuth): void {
    if (this.#closed) return;
    this.#prepared = prepared;
    const fingerprint = tableFingerprint(prepared.table);
    if (fingerprint !== this.#fingerprint) {
      this.#fingerprint = fingerprint;
      this.#options.logger.info(
        {
          protectedRepos: [...prepared.table.repos.values()].filter(Boolean).length,
          tokens: prepared.table.tokens.length,
        },
        'ingest tokens loaded',
      );
    }
    this.#watch();
  }

  /** Re-reads the current config's token files and installs them if anything changed. Serialized. */
  refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#refreshAgain = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#refreshAgain = false;
        const config = this.#prepared.config;
        const prepared = await this.prepare(config);
        // A reload installed another config meanwhile: its own read is newer.
        if (this.#prepared.config === config) this.install(prepared);
      } while (this.#refreshAgain && !this.#closed);
    })().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  close(): void {
    this.#closed = true;
    this.#files.close();
  }

  #watch(): void {
    if (!this.#closed) this.#files.follow(tokenFiles(this.#prepared.config));
  }
}

async function readAuth(
  config: Pick<GatewayConfig, 'repos'>,
  previous: ReadonlyMap<string, readonly string[]>,
  options: IngestAuthOptions,
): Promise<PreparedAuth> {
  const read = options.readText ?? ((path: string) => readFile(path, 'utf8'));
  const tokensByFile = new Map<string, readonly string[]>();
  for (const file of tokenFiles(config)) {
    try {
      const tokens = parseTokens(await read(file));
      if (tokens.length === 0) {
        options.logger.warn({ file }, 'ingest tokens file holds no token: its repos accept no request');
      }
      tokensByFile.set(file, tokens);
    } catch (error) {
      const kept = previous.get(file);
      if (kept) tokensByFile.set(file, kept);
      options.logger.error(
        { file, err: { code: (error as NodeJS.ErrnoException).code, message: (error as Error).message } },
        kept
          ? 'cannot read an ingest tokens file; keeping the tokens read before'
          : 'cannot read an ingest tokens file; its repos accept no request',
      );
    }
  }
  return { config, table: buildAuthTable(config, tokensByFile), tokensByFile };
}
