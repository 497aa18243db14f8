import type { Logger } from 'pino';
import { ConfigReloader } from './config/config-reloader.ts';
import { type ConfigWatcher, watchConfigFile } from './config/config-watcher.ts';
import { loadConfigFile } from './config/load-config-file.ts';
import { type ConfigIssue, hashText } from './config/parse-config.ts';
import { ReloadStatus } from './config/reload-status.ts';
import { type GatewayServer, startGateway } from './http/server.ts';

export interface RunGatewayOptions {
  readonly file: string;
  readonly logger: Logger;
  readonly port?: number;
  readonly host?: string;
  /** Reload when the file changes (default true). */
  readonly watch?: boolean;
  readonly pollIntervalMs?: number;
}

export interface RunningGateway {
  readonly gateway: GatewayServer;
  readonly reloader: ConfigReloader;
  /** Stops watching and shuts the gateway down gracefully. */
  readonly stop: () => Promise<boolean>;
}

export type RunGatewayResult =
  | { readonly ok: true; readonly running: RunningGateway }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/**
 * Loads the config file, starts the gateway and keeps it in step with the
 * file: a watcher (plus a polling fallback) triggers the reloader, which
 * applies valid changes and rejects invalid ones. The first config must be
 * valid; there is no last good config to fall back on yet.
 */
export async function runGateway(options: RunGatewayOptions): Promise<RunGatewayResult> {
  const loaded = await loadConfigFile(options.file);
  if (!loaded.ok) return loaded;
  const reloadStatus = new ReloadStatus();
  const gateway = await startGateway(loaded.config, {
    logger: options.logger,
    repoDigests: loaded.repoDigests,
    reloadStatus,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.host === undefined ? {} : { host: options.host }),
  });
  const reloader = new ConfigReloader({
    file: options.file,
    apply: gateway.applyConfig,
    logger: options.logger,
    metrics: gateway.metrics,
    initialHash: hashText(loaded.text),
    status: reloadStatus,
  });
  const watcher: ConfigWatcher | undefined =
    options.watch === false
      ? undefined
      : watchConfigFile({
          file: options.file,
          logger: options.logger,
          onChange: () => void reloader.check(),
          ...(options.pollIntervalMs === undefined ? {} : { pollIntervalMs: options.pollIntervalMs }),
        });
  const stop = () => {
    watcher?.close();
    return gateway.shutdown();
  };
  return { ok: true, running: { gateway, reloader, stop } };
}
