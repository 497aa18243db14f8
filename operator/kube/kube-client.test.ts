import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startConnectProxy } from '../../test/support/connect-proxy.ts';
import {
  createKubeClient,
  KubeApiError,
  type KubeObject,
  KubeWatchError,
  parseWatchLine,
  type WatchEvent,
} from './kube-client.ts';
import type { KubeCredentials } from './kube-credentials.ts';
import { KubeProxyError } from './proxy-tunnel.ts';

// The client's own HTTP handling against a local HTTP server that answers as the apiserver
// would for the few paths each test needs: the parts no fake can prove (paging on the wire,
// a 401 and a retry, a watch stream that carries garbage). test/kube/ covers the real one.

const REF = { groupVersionPath: '/apis/sluice.dev/v1alpha1', plural: 'logrepos', namespaced: true };
const object = (name: string): KubeObject => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'LogRepo',
  metadata: { name, namespace: 'logs', resourceVersion: '7' },
});

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
  server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Credentials that hand out `token-N`, N counting invalidations, as an exec plugin would. */
function rotatingCredentials(server: string): KubeCredentials & { invalidations: number } {
  const credentials = {
    server: new URL(server),
    ca: undefined,
    rejectUnauthorized: true,
    tlsServerName: undefined,
    invalidations: 0,
    auth: async () => ({ headers: { authorization: `Bearer token-${credentials.invalidations}` } }),
    invalidate: () => {
      credentials.invalidations += 1;
      return true;
    },
  };
  return credentials;
}

describe('createKubeClient', () => {
  it('lists page by page with limit and continue, and returns the last page’s resourceVersion', async () => {
    const queries: string[] = [];
    const base = await serve((req, res) => {
      const url = new URL(req.url ?? '/', 'http://x');
      queries.push(url.search);
      const page = url.searchParams.get('continue') ?? '0';
      const next = page === '0' ? '1' : page === '1' ? '2' : undefined;
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          items: [object(`r${page}a`), object(`r${page}b`)],
          metadata: { resourceVersion: '42', ...(next ? { continue: next } : {}) },
        }),
      );
    });
    const client = createKubeClient(rotatingCredentials(base), { pageSize: 2 });
    const listed = await client.list(REF, 'logs', 'a=b');
    expect(listed.items.map((item) => item.metadata.name)).toEqual([
      'r0a',
      'r0b',
      'r1a',
      'r1b',
      'r2a',
      'r2b',
    ]);
    expect(listed.resourceVersion).toBe('42');
    expect(queries).toEqual([
      '?limit=2&labelSelector=a%3Db',
      '?limit=2&labelSelector=a%3Db&continue=1',
      '?limit=2&labelSelector=a%3Db&continue=2',
    ]);
    expect(client.requests.byVerb.GET).toBe(3);
  });

  it('answers a 401 by fetching fresh credentials and trying once more', async () => {
    const seen: string[] = [];
    const base = await serve((req, res) => {
      seen.push(req.headers.authorization ?? '');
      const ok = req.headers.authorization === 'Bearer token-1';
      res.statusCode = ok ? 200 : 401;
      res.end(
        JSON.stringify(
          ok ? object('a') : { kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized' },
        ),
      );
    });
    const credentials = rotatingCredentials(base);
    const client = createKubeClient(credentials);
    expect((await client.get(REF, 'logs', 'a'))?.metadata.name).toBe('a');
    expect(seen).toEqual(['Bearer token-0', 'Bearer token-1']);
    expect(credentials.invalidations).toBe(1);
  });

  it('gives up after a second 401', async () => {
    const base = await serve((_req, res) => {
      res.statusCode = 401;
      res.end(JSON.stringify({ kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized' }));
    });
    const credentials = rotatingCredentials(base);
    const error = await createKubeClient(credentials)
      .get(REF, 'logs', 'a')
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeApiError);
    expect((error as KubeApiError).status).toBe(401);
    expect(credentials.invalidations).toBe(1);
  });

  it.each([
    ['a line that is not JSON', '{"type":"ADDED","object":', 'WATCH_MALFORMED_EVENT'],
    ['JSON that is not a watch event', '{"kind":"Status"}', 'WATCH_MALFORMED_EVENT'],
    [
      'an event the handler throws on',
      JSON.stringify({ type: 'ADDED', object: object('boom') }),
      'WATCH_HANDLER_FAILED',
    ],
  ])('ends a watch on %s with KubeWatchError %s, never an uncaught exception', async (_name, line, code) => {
    const base = await serve((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.write(`${JSON.stringify({ type: 'ADDED', object: object('first') })}\n`);
      res.write(`${line}\n`);
      res.write(`${JSON.stringify({ type: 'ADDED', object: object('never') })}\n`);
      // The stream stays open, as a real watch does.
    });
    const events: string[] = [];
    const watch = createKubeClient(rotatingCredentials(base)).watch(REF, '1', (event) => {
      if (event.object.metadata.name === 'boom') throw new Error('handler bug');
      events.push(event.object.metadata.name);
    });
    const error = await watch.ended.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KubeWatchError);
    expect((error as KubeWatchError).code).toBe(code);
    expect(events).toEqual(['first']);
  });

  it('cancels a request in flight when its signal aborts, rejecting with the signal’s reason', async () => {
    let arrived!: () => void;
    const received = new Promise<void>((resolve) => {
      arrived = resolve;
    });
    // The server never answers: only the signal ends the request.
    const url = await serve(() => arrived());
    const client = createKubeClient(rotatingCredentials(url));
    const controller = new AbortController();
    const pending = client.apply(REF, object('a'), 'sluice-operator', { signal: controller.signal });
    await received;
    const reason = new Error('operator stopping');
    controller.abort(reason);
    await expect(pending).rejects.toBe(reason);
    // An already aborted signal sends nothing.
    await expect(client.get(REF, 'logs', 'a', { signal: controller.signal })).rejects.toBe(reason);
    expect(client.requests.byVerb.PATCH).toBe(1);
  });
});

describe('createKubeClient through a proxy-url', () => {
  const proxies: Array<{ close(): void }> = [];
  const connectProxy = async (answer?: number) => {
    const proxy = await startConnectProxy(answer);
    proxies.push(proxy);
    return proxy;
  };
  afterEach(() => {
    for (const proxy of proxies.splice(0)) proxy.close();
  });

  it('tunnels requests and watches through the proxy, with its credentials', async () => {
    const base = await serve((req, res) => {
      res.setHeader('content-type', 'application/json');
      if (req.url?.includes('watch=1'))
        res.end(`${JSON.stringify({ type: 'ADDED', object: object('w') })}\n`);
      else res.end(JSON.stringify(object('a')));
    });
    const proxy = await connectProxy();
    const client = createKubeClient({ ...rotatingCredentials(base), proxy: new URL(proxy.url) });
    expect((await client.get(REF, 'logs', 'a'))?.metadata.name).toBe('a');
    const events: string[] = [];
    await client.watch(REF, '1', (event) => events.push(event.object.metadata.name)).ended;
    expect(events).toEqual(['w']);
    const authority = new URL(base).host;
    const basic = `Basic ${Buffer.from('user:p@ss').toString('base64')}`;
    expect(proxy.seen).toEqual([
      { authority, authorization: basic },
      { authority, authorization: basic },
    ]);
  });

  it('fails with KubeProxyError when the proxy refuses the tunnel or cannot be reached', async () => {
    const base = await serve((_req, res) => res.end('{}'));
    const refusing = await connectProxy(407);
    const refused = await createKubeClient({ ...rotatingCredentials(base), proxy: new URL(refusing.url) })
      .get(REF, 'logs', 'a')
      .catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KubeProxyError);
    expect((refused as KubeProxyError).status).toBe(407);
    const nowhere = await createKubeClient({
      ...rotatingCredentials(base),
      proxy: new URL('http://127.0.0.1:1'),
    })
      .get(REF, 'logs', 'a')
      .catch((e: unknown) => e);
    expect(nowhere).toBeInstanceOf(KubeProxyError);
    expect((nowhere as Error).message).toMatch(/cannot reach the proxy \(ECONNREFUSED\)/);
  });
});

describe('parseWatchLine', () => {
  const ok: WatchEvent = { type: 'MODIFIED', object: object('a') };
  it.each([
    ['an event', JSON.stringify(ok), ok],
    [
      'an ERROR event (a Status, no metadata needed)',
      '{"type":"ERROR","object":{"kind":"Status","code":410}}',
      { type: 'ERROR', object: { kind: 'Status', code: 410 } },
    ],
    ['truncated JSON', '{"type":"ADDED"', undefined],
    ['an unknown type', '{"type":"EXPLODED","object":{"metadata":{}}}', undefined],
    ['no object', '{"type":"ADDED"}', undefined],
    ['an object without metadata', '{"type":"ADDED","object":{}}', undefined],
    ['null', 'null', undefined],
  ])('%s', (_name, line, expected) => {
    expect(parseWatchLine(line)).toEqual(expected);
  });
});
