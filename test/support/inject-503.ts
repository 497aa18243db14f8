import { Server } from 'node:http';

// A "bad image" for the e2e tests, loaded into a gateway pod's process with
// `node --import <this file>` by the kubelet stand-in (imageEnv): it answers a share of
// ingest requests 503 before the gateway sees them, as a broken build would, and marks each
// such answer with `x-sluice-injected-fault: 1` so a test tells injected failures from any
// other. SLUICE_TEST_FAULT_503_PERCENT (0–100) sets the share. Test code only: the product
// has no fault switch.

const percent = Number(process.env.SLUICE_TEST_FAULT_503_PERCENT ?? '0');
let counter = 0;
const emit = Server.prototype.emit;
Server.prototype.emit = function patched(this: Server, event: string, ...args: unknown[]) {
  if (event === 'request' && percent > 0) {
    const [request, response] = args as [
      { method?: string; url?: string; resume(): void },
      { writeHead(status: number, headers: Record<string, string>): void; end(body: string): void },
    ];
    if (request.method === 'POST' && request.url?.startsWith('/log/repo/')) {
      counter = (counter + 1) % 100;
      // Deterministic: exactly `percent` of every 100 consecutive ingest requests.
      if (counter < percent) {
        request.resume();
        response.writeHead(503, {
          'content-type': 'application/json',
          'retry-after': '1',
          'x-sluice-injected-fault': '1',
        });
        response.end(
          '{"error":{"code":"INJECTED_FAULT","message":"injected by the test image","retryable":true}}',
        );
        return true;
      }
    }
  }
  return Reflect.apply(emit, this, [event, ...args]) as boolean;
} as typeof Server.prototype.emit;
