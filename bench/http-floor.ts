// The HTTP floor: the least any Node HTTP server does for the benchmark's requests. It reads
// each body completely, as the gateway does, and answers 200 with a small JSON body, with no
// routing, parsing, pipeline or Kafka. Run by `npm run bench` as its own process under the
// image's NODE_OPTIONS, against the same load, so gateway/floor shows what the gateway adds
// on top of HTTP. It prints the gateway's two readiness log lines, so the same process
// harness (gateway-process.ts) starts and stops it. It answers `accepted: N` (--lines, the
// bench's lines per request) without counting them, as the load generator checks that figure.
// Usage: node bench/http-floor.ts --lines N [--port N]
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({
  options: { port: { type: 'string', default: '0' }, lines: { type: 'string', default: '100' } },
  strict: false,
});
const answer = Buffer.from(JSON.stringify({ accepted: Number(values.lines) }));
const server = createServer((request, response) => {
  const chunks: Buffer[] = [];
  request.on('data', (chunk: Buffer) => chunks.push(chunk));
  request.on('end', () => {
    const body = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
    response.writeHead(200, {
      'content-type': 'application/json',
      'content-length': answer.length,
      'x-bytes': String(body?.length ?? 0),
    });
    response.end(answer);
  });
});
server.keepAliveTimeout = 72_000;
server.listen(Number(values.port), '127.0.0.1', () => {
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const log = (fields: object) => process.stdout.write(`${JSON.stringify({ level: 30, ...fields })}\n`);
  log({ msg: 'gateway listening', address: `http://127.0.0.1:${port}` });
  log({ msg: 'producer connected' });
});
const stop = () => server.close(() => process.exit(0));
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
