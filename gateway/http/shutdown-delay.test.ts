import { afterEach, describe, expect, it } from 'vitest';
import { startTestGateway } from '../../test/support/start-test-gateway.ts';
import type { GatewayServer } from './server.ts';

// server.shutdownDelayMs: after SIGTERM a gateway says it is not ready and keeps serving for
// the delay, so the proxies in front withdraw it before it stops taking requests (the fleet's
// rolling updates then fail no request); only then does ingest answer SHUTTING_DOWN.

describe('shutdown delay', () => {
  let gateway: GatewayServer | undefined;
  afterEach(async () => {
    await gateway?.shutdown();
    gateway = undefined;
  });

  it('keeps serving ingest, not ready, during the delay (SHUTTING_DOWN comes once it closes)', async () => {
    gateway = await startTestGateway({
      server: { shutdownDelayMs: 400, shutdownTimeoutMs: 5000 },
      producers: { out: { type: 'stdout' } },
      repos: { access: { producer: 'out', topic: 't' } },
    });
    const { url } = gateway;
    const post = () =>
      fetch(`${url}/log/repo/access`, {
        method: 'POST',
        body: '{"a":1}\n',
        headers: { connection: 'close' },
      }).then((r) => r.status);
    expect(await post()).toBe(200);
    const stopping = gateway.shutdown();
    expect((await fetch(`${url}/readyz`, { headers: { connection: 'close' } })).status).toBe(503);
    expect(await post()).toBe(200);
    await stopping;
    gateway = undefined;
  });
});
