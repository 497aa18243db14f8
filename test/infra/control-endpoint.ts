import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';

// Why a control endpoint: vitest runs globalSetup in its main process and the tests in
// worker processes, so a test cannot hold the handle of a server the setup started, and a
// test that spawned its own replacement would leave it owned by a worker that may exit at
// any time. Instead the process that started the server keeps sole ownership and serves a
// small HTTP endpoint on loopback (behind a random token); tests call its actions by name.
// Teardown therefore always finds and stops the one server, whatever the tests did to it.

export interface ControlEndpoint {
  /** Base URL, token included; an action is a POST to `${url}/${action}`. */
  url: string;
  close(): Promise<void>;
}

export interface ControlAnswer<S> {
  status: S;
  /** Set when the action returned a string (a log tail, say). */
  log?: string;
}

/**
 * Serves `actions` on 127.0.0.1. They run one at a time, in arrival order; every answer
 * carries `status()` as it is after the action.
 */
export async function serveControlEndpoint<S>(
  actions: Readonly<Record<string, () => Promise<unknown>>>,
  status: () => S,
): Promise<ControlEndpoint> {
  const token = randomBytes(12).toString('hex');
  let queue: Promise<unknown> = Promise.resolve();
  const server = createServer((req, res) => {
    const [, reqToken, name] = (req.url ?? '').split('/');
    const action = name !== undefined && Object.hasOwn(actions, name) ? actions[name] : undefined;
    if (reqToken !== token || action === undefined || req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    req.resume();
    const run = queue.then(action);
    queue = run.catch(() => undefined);
    run.then(
      (result) => {
        const body: ControlAnswer<S> = {
          status: status(),
          ...(typeof result === 'string' ? { log: result } : {}),
        };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      },
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: message }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('control server has no address');
  return {
    url: `http://127.0.0.1:${address.port}/${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Calls `action` on the endpoint at `url`; `what` names the server in errors. */
export async function callControlEndpoint<S>(
  url: string,
  action: string,
  what: string,
): Promise<ControlAnswer<S>> {
  const res = await fetch(`${url}/${action}`, { method: 'POST', signal: AbortSignal.timeout(180_000) });
  const body = (await res.json().catch(() => ({}))) as Partial<ControlAnswer<S>> & { error?: string };
  if (!res.ok || body.status === undefined) {
    throw new Error(`${what} control '${action}' failed: ${body.error ?? res.status}`);
  }
  return body as ControlAnswer<S>;
}
