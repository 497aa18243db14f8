import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Socket } from 'node:net';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';

/**
 * The proxy of a kubeconfig's `proxy-url` could not open a tunnel: it was unreachable, or
 * answered CONNECT with something other than 200 (`status`).
 */
export class KubeProxyError extends Error {
  override name = 'KubeProxyError';
  readonly code = 'PROXY_FAILED';
  readonly proxy: string;
  readonly status: number | undefined;
  constructor(proxy: URL, message: string, status?: number, options?: { cause?: unknown }) {
    super(`proxy ${proxy.origin}: ${message}`, options);
    this.proxy = proxy.origin;
    this.status = status;
  }
}

type CreateConnection = (options: unknown, done: (error: Error | null, socket?: Socket) => void) => undefined;

/**
 * A `createConnection` for node:http(s) requests that reach `target` through an HTTP(S)
 * proxy, as kubectl does with `proxy-url`: a CONNECT tunnel to host:port (basic
 * credentials from the proxy URL's user info), then TLS to the apiserver inside it with
 * `tls` when the server is https. One tunnel per request; the requests of this client are
 * few and watches are long-lived, so pooling would buy nothing.
 */
export function tunnelThrough(
  proxy: URL,
  target: { readonly host: string; readonly port: number; readonly tls?: ConnectionOptions },
): CreateConnection {
  const authority = `${target.host.includes(':') ? `[${target.host}]` : target.host}:${target.port}`;
  const credentials =
    proxy.username === ''
      ? undefined
      : Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString(
          'base64',
        );
  return (_options, done) => {
    const connect = (proxy.protocol === 'https:' ? httpsRequest : httpRequest)({
      host: proxy.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: authority,
      headers: { host: authority, ...(credentials ? { 'proxy-authorization': `Basic ${credentials}` } : {}) },
    });
    connect.once('connect', (response, socket) => {
      if (response.statusCode !== 200) {
        socket.destroy();
        done(
          new KubeProxyError(
            proxy,
            `CONNECT ${authority} answered ${response.statusCode}`,
            response.statusCode,
          ),
        );
        return;
      }
      done(null, target.tls === undefined ? socket : tlsConnect({ ...target.tls, socket }));
    });
    connect.once('error', (error: NodeJS.ErrnoException) => {
      done(
        new KubeProxyError(proxy, `cannot reach the proxy (${error.code ?? error.message})`, undefined, {
          cause: error,
        }),
      );
    });
    connect.end();
    return undefined;
  };
}
