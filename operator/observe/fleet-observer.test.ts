import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Caches } from '../controller/reconcile-namespace.ts';
import type { KubeObject, ResourceRef } from '../kube/kube-client.ts';
import type { EndpointSliceObject } from './endpoint-slices.ts';
import { FleetObserver } from './fleet-observer.ts';
import type { HttpGet } from './http-get.ts';

const slice = (service: string, pods: Array<[string, string]>): EndpointSliceObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${service}-abc`, namespace: 'logs', labels: { 'kubernetes.io/service-name': service } },
  addressType: 'IPv4',
  endpoints: pods.map(([name, address]) => ({
    addresses: [address],
    conditions: { ready: true },
    targetRef: { kind: 'Pod', name },
  })),
});

function cachesWith(slices: EndpointSliceObject[]): Caches {
  return {
    list: <T extends KubeObject>(_ref: ResourceRef<T>, namespace: string) =>
      slices.filter((s) => s.metadata.namespace === namespace) as unknown as T[],
    get: () => undefined,
  };
}

const statusBody = (digest: string) =>
  JSON.stringify({
    revision: 'r1',
    draining: false,
    repos: [{ name: 'access', digest }],
    reload: { lastResult: 'none', rejected: null },
  });
const metricsBody = (requests: number) =>
  [
    '# TYPE sluice_requests_total counter',
    `sluice_requests_total{repo="access",status="200"} ${requests}`,
    '# TYPE sluice_lines_received_total counter',
    `sluice_lines_received_total{repo="access"} ${requests * 10}`,
    '',
  ].join('\n');

function observerWith(get: HttpGet, slices: EndpointSliceObject[], wantsMetrics = false) {
  const changes: string[] = [];
  const observer = new FleetObserver({
    caches: cachesWith(slices),
    namespaces: () => ['logs'],
    wantsMetrics: () => wantsMetrics,
    onChange: (namespace) => changes.push(namespace),
    logger: pino({ level: 'silent' }),
    concurrency: 2,
    get,
  });
  return { observer, changes };
}

describe('FleetObserver', () => {
  it('polls every ready pod of both tracks, and tells a reconcile only when what they report changed', async () => {
    let digest = 'd1';
    const urls: string[] = [];
    const { observer, changes } = observerWith(
      async (url) => {
        urls.push(url);
        return { status: 200, body: statusBody(digest) };
      },
      [
        slice('sluice-gateway', [
          ['s1', '10.0.0.1'],
          ['s2', '10.0.0.2'],
        ]),
        slice('sluice-gateway-canary', [['c1', '10.0.0.3']]),
      ],
    );
    await observer.poll();
    expect(urls.sort()).toEqual([
      'http://10.0.0.1:8080/status',
      'http://10.0.0.2:8080/status',
      'http://10.0.0.3:8080/status',
    ]);
    expect(observer.pods('logs').stable.map((p) => [p.pod, p.state])).toEqual([
      ['s1', 'reported'],
      ['s2', 'reported'],
    ]);
    expect(changes).toEqual(['logs']);
    await observer.poll();
    expect(changes).toEqual(['logs']);
    digest = 'd2';
    await observer.poll();
    expect(changes).toEqual(['logs', 'logs']);
  });

  it('counts a pod that does not answer as unknown, never as a failure', async () => {
    const { observer } = observerWith(
      async (url) => {
        if (url.includes('10.0.0.2')) throw new Error('no answer within 2000 ms');
        if (url.includes('10.0.0.3')) return { status: 503, body: '' };
        return { status: 200, body: statusBody('d1') };
      },
      [
        slice('sluice-gateway', [
          ['s1', '10.0.0.1'],
          ['s2', '10.0.0.2'],
          ['s3', '10.0.0.3'],
        ]),
      ],
    );
    await observer.poll();
    expect(observer.pods('logs').stable).toEqual([
      expect.objectContaining({ pod: 's1', state: 'reported' }),
      { pod: 's2', state: 'unknown', problem: 'no answer within 2000 ms' },
      { pod: 's3', state: 'unknown', problem: '/status answered 503' },
    ]);
    expect(observer.metrics.polls).toEqual({ ok: 1, unknown: 2 });
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    let inFlight = 0;
    let most = 0;
    const { observer } = observerWith(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 5));
      inFlight -= 1;
      return { status: 200, body: statusBody('d1') };
    }, [
      slice(
        'sluice-gateway',
        Array.from({ length: 9 }, (_, i) => [`s${i}`, `10.0.0.${i + 1}`] as [string, string]),
      ),
    ]);
    await observer.poll();
    expect(most).toBe(2);
  });

  it('under analysis reads /metrics too and folds them into track totals from the second sample on', async () => {
    let requests = 100;
    const { observer, changes } = observerWith(
      async (url) => ({
        status: 200,
        body: url.endsWith('/metrics') ? metricsBody(requests) : statusBody('d1'),
      }),
      [slice('sluice-gateway', [['s1', '10.0.0.1']])],
      true,
    );
    await observer.poll();
    expect(observer.totals('logs', 'stable').totals.get('access')?.requests ?? 0).toBe(0);
    requests = 160;
    await observer.poll();
    expect(observer.totals('logs', 'stable').totals.get('access')?.requests).toBe(60);
    // Under analysis every round wakes the reconcile, which judges the step.
    expect(changes).toEqual(['logs', 'logs']);
  });

  it('forgets pods that are no longer endpoints', async () => {
    const slices = [
      slice('sluice-gateway', [
        ['s1', '10.0.0.1'],
        ['s2', '10.0.0.2'],
      ]),
    ];
    const { observer } = observerWith(async () => ({ status: 200, body: statusBody('d1') }), slices);
    await observer.poll();
    slices[0] = slice('sluice-gateway', [['s2', '10.0.0.2']]);
    await observer.poll();
    expect(observer.pods('logs').stable.map((p) => p.pod)).toEqual(['s2']);
  });
});
