import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { GatewayServer } from '../../gateway/http/server.ts';
import { type RunningGateway, runGateway } from '../../gateway/run-gateway.ts';
import { writeConfigMapVolume } from './atomic-writer.ts';

const CONFIG_KEY = 'gateway.yaml';

export interface WatchedGateway {
  readonly running: RunningGateway;
  readonly gateway: GatewayServer;
  /** Swaps in `yaml` the way the kubelet updates a ConfigMap volume; the gateway's watch picks it up. */
  write(yaml: string): Promise<void>;
  /** Stops the gateway and removes its config folder. */
  stop(): Promise<void>;
}

/**
 * A real gateway run as gateway/main.ts runs it (runGateway: the config file watched, with a
 * 1 s polling fallback), its config `yaml` in a fresh ConfigMap-style volume under the temp
 * folder. Resolves once the producers connected; the first config must be valid.
 */
export async function startWatchedGateway(yaml: string, prefix: string): Promise<WatchedGateway> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    await writeConfigMapVolume(dir, { [CONFIG_KEY]: yaml });
    const result = await runGateway({
      file: join(dir, CONFIG_KEY),
      logger: pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' }),
      host: '127.0.0.1',
      port: 0,
      pollIntervalMs: 1000,
    });
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const { running } = result;
    await running.gateway.connected.catch(async (error: unknown) => {
      await running.stop();
      throw error;
    });
    return {
      running,
      gateway: running.gateway,
      async write(next) {
        await writeConfigMapVolume(dir, { [CONFIG_KEY]: next });
      },
      async stop() {
        await running.stop();
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
}
