import pino from 'pino';
import { validateConfig } from '../../gateway/config/parse-config.ts';
import { type GatewayServer, type StartOptions, startGateway } from '../../gateway/http/server.ts';
import type { GatewayConfig } from '../../kernel/config-schema.ts';

/** Start options a test may set; the logger is silent unless SLUICE_TEST_LOG names a level. */
export type TestGatewayOptions = Partial<Pick<StartOptions, 'logger' | 'secretPollIntervalMs'>>;

/** Starts a real gateway (real HTTP server, real engines) on a free loopback port. */
export async function startTestGateway(
  raw: Record<string, unknown>,
  options: TestGatewayOptions = {},
): Promise<GatewayServer> {
  const parsed = validateConfig({ revision: 'it', ...raw });
  if (!parsed.ok) throw new Error(`test config invalid: ${JSON.stringify(parsed.issues)}`);
  return startTestGatewayWith(parsed.config, options);
}

/** startTestGateway() for a config already validated; resolves once its producers connected. */
export async function startTestGatewayWith(
  config: GatewayConfig,
  options: TestGatewayOptions = {},
): Promise<GatewayServer> {
  const gateway = await startGateway(config, {
    logger: options.logger ?? pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' }),
    secretPollIntervalMs: options.secretPollIntervalMs,
    host: '127.0.0.1',
    port: 0,
  });
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error('producers did not connect within 30 s')), 30_000).unref(),
  );
  await Promise.race([gateway.connected, timeout]);
  return gateway;
}

export async function postLines(
  url: string,
  body: string | Buffer,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const response = await fetch(url, {
    method: 'POST',
    body,
    headers: { 'content-type': 'application/x-ndjson', ...headers },
    signal: AbortSignal.timeout(60_000),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown>,
  };
}
