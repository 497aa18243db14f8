import { createServer, type Server } from 'node:http';
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import pino from 'pino';
import { createGatewayMetrics } from '../gateway/observability/metrics.ts';
import type { Caches } from '../operator/controller/reconcile-namespace.ts';
import type { KubeObject, ResourceRef } from '../operator/kube/kube-client.ts';
import type { EndpointSliceObject } from '../operator/observe/endpoint-slices.ts';
import { FleetObserver } from '../operator/observe/fleet-observer.ts';

// What watching the fleet costs the operator: its FleetObserver polling P gateway pods (half
// stable, half canary) at the operator's default interval, each pod answering /status and
// /metrics with the bodies a real gateway of R repos serves (its own metrics registry, with
// every repo's series). The pods are HTTP servers on 127.0.0.x in this process but their cost
// is measured apart: the figure is the observer's CPU (process.cpuUsage of the rounds, less
// an idle baseline of the same length), its RSS growth, and the requests it made per minute,
// without and with a rollout under analysis (which adds /metrics).

const { values } = parseArgs({
  options: {
    pods: { type: 'string', default: '20' },
    repos: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '60' },
    'interval-ms': { type: 'string', default: '10000' },
  },
});
const pods = Number(values.pods);
const repos = Number(values.repos);
const seconds = Number(values.seconds);
const intervalMs = Number(values['interval-ms']);
const PORT = 18_080;

async function gatewayBodies() {
  const metrics = createGatewayMetrics({ defaultMetrics: true });
  const names = Array.from({ length: repos }, (_, i) => `repo-${i}`);
  for (const repo of names) {
    metrics.requests.inc({ repo, status: '200' }, 1000);
    metrics.requests.inc({ repo, status: '503' }, 3);
    metrics.linesReceived.inc({ repo }, 100_000);
    metrics.linesAccepted.inc({ repo }, 99_000);
    metrics.linesInvalid.inc({ repo, reason: 'invalid_json' }, 1000);
    for (let i = 0; i < 50; i++) metrics.requestDuration.observe({ repo, mode: 'sync' }, 0.004 * (i % 7));
  }
  const status = JSON.stringify({
    pid: 1,
    revision: 'sha256-0123456789abcdef',
    draining: false,
    repos: names.map((name) => ({
      name,
      mode: 'sync',
      producer: 'main',
      suspended: false,
      digest: '0123456789abcdef',
    })),
    producers: [{ name: 'main', connected: true, pendingBytes: 0 }],
    reload: { lastResult: 'applied', rejected: null },
  });
  return { status, metrics: await metrics.registry.metrics() };
}

const slice = (service: string, addresses: string[]): EndpointSliceObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: service, namespace: 'bench', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  endpoints: addresses.map((address, i) => ({
    addresses: [address],
    conditions: { ready: true },
    targetRef: { kind: 'Pod', name: `${service}-${i}` },
  })),
});

const cpuMs = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
const rssMb = () => process.memoryUsage().rss / 1024 ** 2;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function main() {
  const bodies = await gatewayBodies();
  const addresses = Array.from({ length: pods }, (_, i) => `127.0.0.${i + 2}`);
  let served = 0;
  let serverCpuUs = 0;
  const servers: Server[] = await Promise.all(
    addresses.map(
      (address) =>
        new Promise<Server>((resolve) => {
          const server = createServer((request, response) => {
            const started = process.cpuUsage();
            served += 1;
            const body = request.url === '/metrics' ? bodies.metrics : bodies.status;
            response.writeHead(200, {
              'content-type': request.url === '/metrics' ? 'text/plain' : 'application/json',
            });
            response.end(body);
            const spent = process.cpuUsage(started);
            serverCpuUs += spent.user + spent.system;
          });
          server.listen(PORT, address, () => resolve(server));
        }),
    ),
  );
  const half = Math.ceil(pods / 2);
  const slices = [
    slice('sluice-gateway', addresses.slice(0, half)),
    slice('sluice-gateway-canary', addresses.slice(half)),
  ];
  const caches: Caches = {
    list: <T extends KubeObject>(_ref: ResourceRef<T>) => slices as unknown as T[],
    get: () => undefined,
  };
  const run = async (analysing: boolean | undefined) => {
    global.gc?.();
    const rss0 = rssMb();
    served = 0;
    serverCpuUs = 0;
    const observer =
      analysing === undefined
        ? undefined
        : new FleetObserver({
            caches,
            namespaces: () => ['bench'],
            wantsMetrics: () => analysing,
            onChange: () => undefined,
            logger: pino({ level: 'silent' }),
            intervalMs,
            port: PORT,
          });
    const cpu0 = cpuMs();
    observer?.start();
    let peak = rss0;
    for (let t = 0; t < seconds; t++) {
      await sleep(1000);
      peak = Math.max(peak, rssMb());
    }
    await observer?.stop();
    const cpu = cpuMs() - cpu0 - serverCpuUs / 1000;
    return {
      cpuMsPerMinute: (cpu * 60) / seconds,
      rssGrowthMb: peak - rss0,
      requestsPerMinute: (served * 60) / seconds,
    };
  };
  const idle = await run(undefined);
  const statusOnly = await run(false);
  const withMetrics = await run(true);
  for (const server of servers) server.close();
  const extra = (r: typeof idle) => ({
    cpuMsPerMinute: Math.round(r.cpuMsPerMinute - idle.cpuMsPerMinute),
    cpuPercentOfACore: Number(((r.cpuMsPerMinute - idle.cpuMsPerMinute) / 600).toFixed(3)),
    rssGrowthMb: Number(r.rssGrowthMb.toFixed(1)),
    requestsPerMinute: Math.round(r.requestsPerMinute),
  });
  console.log(
    JSON.stringify(
      {
        pods,
        repos,
        intervalMs,
        seconds,
        bodyBytes: { status: bodies.status.length, metrics: bodies.metrics.length },
        loadavg: loadavg().map((x) => Number(x.toFixed(2))),
        idle: { cpuMsPerMinute: Math.round(idle.cpuMsPerMinute) },
        statusOnly: extra(statusOnly),
        underAnalysis: extra(withMetrics),
      },
      null,
      2,
    ),
  );
}

await main();
