import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { type AddressInfo, connect, type Socket } from 'node:net';

/** A CONNECT request the proxy saw: the authority asked for and the Proxy-Authorization sent. */
export interface ProxiedConnect {
  readonly authority: string;
  readonly authorization: string | undefined;
}

/**
 * An HTTP CONNECT proxy on loopback for tests of `proxy-url`: tunnels to whatever host:port
 * it is asked for (tests only ask for loopback), or answers `answer` when that is not 200.
 * `url` carries the user info `user:p@ss`.
 */
export async function startConnectProxy(answer = 200): Promise<{
  readonly url: string;
  readonly seen: ProxiedConnect[];
  close(): void;
}> {
  const seen: ProxiedConnect[] = [];
  const proxy: Server = createServer();
  const sockets = new Set<Socket>();
  proxy.on('connect', (req, client: Socket, head: Buffer) => {
    seen.push({ authority: req.url ?? '', authorization: req.headers['proxy-authorization'] });
    sockets.add(client);
    if (answer !== 200) {
      client.end(`HTTP/1.1 ${answer} Refused\r\n\r\n`);
      return;
    }
    const separator = (req.url ?? '').lastIndexOf(':');
    const host = (req.url ?? '').slice(0, separator).replace(/^\[(.*)\]$/, '$1');
    const upstream = connect(Number((req.url ?? '').slice(separator + 1)), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  proxy.listen(0, '127.0.0.1');
  await once(proxy, 'listening');
  return {
    url: `http://user:p%40ss@127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    seen,
    close() {
      for (const socket of sockets) socket.destroy();
      proxy.close();
    },
  };
}
