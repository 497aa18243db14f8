import { parseArgs } from 'node:util';
import { validateConfig } from './config/parse-config.ts';
import { exitOnSignals, startGateway } from './http/server.ts';
import { createLogger } from './observability/logger.ts';

// Runs the gateway on an embedded default config whose producer writes records
// to standard output (no Kafka needed), posts a sample request to itself and
// prints the answer. It keeps serving until Ctrl-C unless --once is given.

const { values } = parseArgs({
  options: { once: { type: 'boolean' }, port: { type: 'string', default: process.env.PORT ?? '8080' } },
});

const embedded = validateConfig({
  revision: 'embedded-demo',
  server: { host: '127.0.0.1', port: Number(values.port) },
  producers: { console: { type: 'stdout' } },
  repos: { demo: { producer: 'console', topic: 'logs.demo', mode: 'sync', key: 'host' } },
});
if (!embedded.ok) throw new Error(`embedded config is invalid: ${JSON.stringify(embedded.issues)}`);

const logger = createLogger({ level: 'warn' });
const gateway = await startGateway(embedded.config, { logger });
exitOnSignals(gateway, logger);
await gateway.connected;

const sample = [
  '{"host":"edge-1","status":200,"request":"GET /index.html HTTP/1.1","bytes":5120}',
  '{"host":"edge-2","status":503,"request":"GET /api HTTP/1.1","bytes":0}',
  'this line is not JSON',
].join('\n');
const url = `${gateway.url}/log/repo/demo`;
console.log(`sluice demo: gateway listening on ${gateway.url}; posting 3 lines to ${url}`);
const response = await fetch(url, {
  method: 'POST',
  body: sample,
  headers: { 'content-type': 'application/x-ndjson' },
});
console.log(`answer: HTTP ${response.status} ${JSON.stringify(await response.json())}`);
if (values.once) {
  process.exit((await gateway.shutdown()) && response.status === 200 ? 0 : 1);
}
console.log(`try: curl -s -XPOST --data-binary '{"host":"me","msg":"hi"}' ${url}   (Ctrl-C to stop)`);
