import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/** /healthz (alive), /readyz (caches synced) and /metrics for the operator. */
export function startHealthServer(
  port: number,
  probes: { ready: () => boolean; registry: Registry },
): Promise<Server> {
  const server = createServer((request, response) => {
    const path = request.url?.split('?')[0];
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else if (path === '/readyz') {
      const ready = probes.ready();
      response
        .writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' })
        .end(ready ? 'ok' : 'caches not synced');
    } else if (path === '/metrics') {
      probes.registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': probes.registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
    } else {
      response.writeHead(404).end();
    }
  });
  return new Promise((resolve) => server.listen(port, () => resolve(server)));
}
