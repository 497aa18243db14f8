import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { APISIX_UPSTREAMS, SERVICES } from '../../operator/controller/fleet-resources.ts';
import { startOperator } from '../../operator/controller/operator-controller.ts';
import { createEventRecorder } from '../../operator/kube/event-recorder.ts';
import { createKubeClient, type KubeObject, loadKubeConfig } from '../../operator/kube/kube-client.ts';
import type { FleetSettings, RouteSettings } from '../../operator/operator-config.ts';
import { renderGatewayUpstream } from '../../operator/render/render-gateway-upstream.ts';
import { renderGatewayWorkload } from '../../operator/render/render-gateway-workload.ts';
import { renderPrefixRoute, renderRepoRoute } from '../../operator/render/render-routes.ts';
import { kubectl, kubectlOk } from '../infra/kubectl.ts';
import { eventually } from '../support/eventually.ts';
import { applyQuickstart, patchLogRepo } from './kubectl-steps.ts';
import { reconcileAgain } from './reconcile-again.ts';
import { installUpstreamCrds } from './upstream-crds.ts';

// What the operator renders, checked by the real upstream CRDs (OpenAPI schemas and CEL rules
// of APISIX's ApisixRoute and ApisixUpstream and Gateway API's HTTPRoute) and the built-in
// kinds on the real apiserver: server-side dry runs, so nothing is stored. Then the operator
// itself, on that apiserver, writing and pruning ApisixUpstreams as listener TLS is toggled.

const ns = `routes-${Date.now().toString(36)}`;
const apisix: RouteSettings = {
  provider: 'apisix',
  ingressClassName: 'apisix',
  hosts: ['logs.example.com', '*.logs.example.com'],
  priorities: { exact: 100, prefix: 0 },
  parentRefs: [],
};
const gatewayApi: RouteSettings = {
  provider: 'gateway-api',
  hosts: ['logs.example.com'],
  priorities: { exact: 100, prefix: 0 },
  parentRefs: [{ name: 'edge', namespace: 'gateways', sectionName: 'http' }, { name: 'internal' }],
};
const dryRun = (object: KubeObject) =>
  kubectl(
    [
      'apply',
      '--server-side',
      '--field-manager=sluice-operator',
      '--dry-run=server',
      '-o',
      'json',
      '-f',
      '-',
    ],
    {
      input: JSON.stringify(object),
    },
  );
const repoRoutes = (settings: RouteSettings) =>
  [
    { stable: 100, canary: 0 },
    { stable: 90, canary: 10 },
    { stable: 0, canary: 100 },
  ].map(
    (weights) =>
      renderRepoRoute({
        namespace: ns,
        // Dry runs accept an ownerReference to a uid that does not exist.
        repo: { name: `access-${weights.canary}`, uid: '6d1c0f36-3c43-4a5e-9d59-1b8a4f0f0a01' },
        weights,
        settings,
      }) as KubeObject,
  );

describe('rendered objects on the real apiserver with the upstream CRDs', () => {
  beforeAll(async () => {
    const crds = await installUpstreamCrds();
    expect(crds).toEqual(
      expect.arrayContaining([
        'apisixroutes.apisix.apache.org',
        'apisixupstreams.apisix.apache.org',
        'httproutes.gateway.networking.k8s.io',
      ]),
    );
    await kubectlOk(['create', 'namespace', ns]);
  });

  it.each([
    { name: 'ApisixRoute (apisix.apache.org/v2)', settings: apisix },
    { name: 'HTTPRoute (gateway.networking.k8s.io/v1)', settings: gatewayApi },
  ])('accepts the $name of a repo at weights 0, 10, 100 and the prefix route', async ({ settings }) => {
    for (const route of [...repoRoutes(settings), renderPrefixRoute(ns, settings) as KubeObject]) {
      const result = await dryRun(route);
      expect(result.stderr, route.metadata.name).toBe('');
      expect(result.code).toBe(0);
      const stored = JSON.parse(result.stdout) as KubeObject;
      // The apiserver kept every field the operator wrote (no pruning of unknown fields).
      expect(stored.spec).toMatchObject(route.spec as object);
    }
  });

  it.each([{ listenerTls: false }, { listenerTls: true }])(
    'accepts the Deployment, Service and PodDisruptionBudget of both tracks (listener TLS $listenerTls)',
    async ({ listenerTls }) => {
      for (const track of ['stable', 'canary'] as const) {
        const workload = renderGatewayWorkload({
          namespace: ns,
          track,
          settings: {
            image: 'sluice/gateway:0.2.0',
            replicas: 2,
            resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
          },
          secrets: ['kafka-user', 'kafka.tls', ...(listenerTls ? ['gateway-tls'] : [])],
          listenerTls,
        });
        for (const object of [workload.deployment, workload.service, workload.podDisruptionBudget]) {
          const result = await dryRun(object);
          expect(result.stderr, `${object.kind} ${object.metadata.name}`).toBe('');
          expect(result.code).toBe(0);
          expect((JSON.parse(result.stdout) as KubeObject).spec).toMatchObject(object.spec as object);
        }
      }
    },
  );

  it.each([
    { name: 'with an ingress class', settings: apisix },
    { name: 'without', settings: { ...apisix, ingressClassName: undefined } as unknown as RouteSettings },
  ])('accepts the ApisixUpstream (apisix.apache.org/v2) of both tracks, $name', async ({ settings }) => {
    for (const track of ['stable', 'canary'] as const) {
      const upstream = renderGatewayUpstream({
        namespace: ns,
        track,
        routes: JSON.parse(JSON.stringify(settings)) as RouteSettings,
        listenerTls: true,
      }) as KubeObject;
      const result = await dryRun(upstream);
      expect(result.stderr, upstream.metadata.name).toBe('');
      expect(result.code).toBe(0);
      expect((JSON.parse(result.stdout) as KubeObject).spec).toEqual(upstream.spec);
    }
  });

  it('rejects what the upstream schemas forbid (the check is real)', async () => {
    const route = renderRepoRoute({
      namespace: ns,
      repo: { name: 'bad' },
      weights: { stable: 100, canary: 0 },
      settings: gatewayApi,
    }) as KubeObject;
    const spec = route.spec as { rules: Array<{ matches: Array<{ path: { value: string } }> }> };
    const match = spec.rules[0]?.matches[0];
    if (match) match.path.value = 'log/repo/bad';
    const result = await dryRun(route);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/value must be an absolute path and start with '\/'/);
    // And the upstream's scheme is an enum.
    const upstream = renderGatewayUpstream({
      namespace: ns,
      track: 'stable',
      routes: apisix,
      listenerTls: true,
    }) as KubeObject;
    const refused = await dryRun({ ...upstream, spec: { scheme: 'http2' } });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/spec\.scheme/);
  });
});

describe('ApisixUpstreams as the operator writes them, listener TLS on and off', () => {
  const tlsNs = `upstreams-${Date.now().toString(36)}`;
  const logger = pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' });
  const client = createKubeClient(loadKubeConfig(inject('kubeconfig')));
  const resources = { requests: { cpu: '100m', memory: '128Mi' } };
  const fleet = (listenerTls: boolean): FleetSettings => ({
    stable: { image: 'sluice/gateway:0.1.0', replicas: 1, resources },
    canary: { image: 'sluice/gateway:0.1.0', replicas: 1, resources },
    canaryGraceSeconds: 1,
    ...(listenerTls ? { listenerTls: { secretName: 'gateway-tls' } } : {}),
  });
  type Operator = ReturnType<typeof startOperator>;
  let running: { client: ReturnType<typeof createKubeClient>; operator: Operator } | undefined;
  /** Starts the operator (the one replica) with or without --gateway-tls-secret. */
  const start = async (listenerTls: boolean) => {
    await running?.operator.stop();
    const operatorClient = createKubeClient(loadKubeConfig(inject('kubeconfig')));
    running = {
      client: operatorClient,
      operator: startOperator({
        client: operatorClient,
        logger,
        events: createEventRecorder(operatorClient, logger),
        namespaces: [tlsNs],
        workers: 2,
        fleet: { settings: fleet(listenerTls), routes: apisix },
      }),
    };
    await running.operator.leading;
    return running;
  };
  const upstreams = async () =>
    (await client.list(APISIX_UPSTREAMS, tlsNs)).items
      .map((item) => `${item.metadata.name}:${(item.spec as { scheme?: string }).scheme}`)
      .sort();
  const upstreamsWhen = (want: string[]) =>
    eventually(upstreams, (names) => JSON.stringify(names) === JSON.stringify(want), 30_000);
  const appProtocol = async (service: string) =>
    (
      (await client.get(SERVICES, tlsNs, service))?.spec as
        | { ports: Array<{ appProtocol?: string }> }
        | undefined
    )?.ports[0]?.appProtocol;
  /** A reconcile of the converged namespace sends no write. */
  const expectQuietReconcile = async () => {
    const { client: operatorClient, operator } = running as { client: typeof client; operator: Operator };
    // A quiet second for reconciles the previous steps set off to finish.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const before = { ...operatorClient.requests.byVerb };
    await reconcileAgain(operator, tlsNs);
    for (const verb of ['PATCH', 'DELETE', 'POST', 'PUT']) {
      expect(operatorClient.requests.byVerb[verb] ?? 0, verb).toBe(before[verb] ?? 0);
    }
  };

  beforeAll(async () => {
    await installUpstreamCrds();
    await kubectlOk(['create', 'namespace', tlsNs]);
  });
  afterAll(async () => {
    await running?.operator.stop();
  });

  it('TLS on: an https upstream per track Service, the canary one with the canary track', async () => {
    await start(true);
    await applyQuickstart(tlsNs);
    expect(await upstreamsWhen(['sluice-gateway:https'])).toEqual(['sluice-gateway:https']);
    expect(await appProtocol('sluice-gateway')).toBe('https');
    const stored = await client.get(APISIX_UPSTREAMS, tlsNs, 'sluice-gateway');
    expect(stored?.metadata.labels?.['app.kubernetes.io/managed-by']).toBe('sluice-operator');
    expect(
      (stored?.metadata.managedFields as Array<{ manager: string; operation: string }> | undefined)?.map(
        (entry) => `${entry.manager}:${entry.operation}`,
      ),
    ).toContain('sluice-operator:Apply');
    await expectQuietReconcile();

    await patchLogRepo(tlsNs, 'access', { spec: { canary: { weight: 10 } } });
    await upstreamsWhen(['sluice-gateway-canary:https', 'sluice-gateway:https']);
    expect(await appProtocol('sluice-gateway-canary')).toBe('https');
    await expectQuietReconcile();

    // Back to 0: the canary track, its upstream with it, goes after the grace period.
    await patchLogRepo(tlsNs, 'access', { spec: { canary: { weight: 0 } } });
    await upstreamsWhen(['sluice-gateway:https']);
    // The upstream is pruned first, then the track: the Service goes within the same reconcile.
    expect(
      await eventually(
        () => client.get(SERVICES, tlsNs, 'sluice-gateway-canary'),
        (service) => service === undefined,
        30_000,
      ),
    ).toBeUndefined();
  });

  it('TLS off (an operator restarted without it): the upstream is pruned, the Service hint dropped', async () => {
    await start(false);
    await upstreamsWhen([]);
    await eventually(
      () => appProtocol('sluice-gateway'),
      (value) => value === undefined,
    );
    await expectQuietReconcile();
  });

  it('TLS on again, then the last repos go: the upstream goes with the fleet', async () => {
    await start(true);
    await upstreamsWhen(['sluice-gateway:https']);
    await kubectlOk(['delete', 'logrepos', '--all', '-n', tlsNs]);
    await upstreamsWhen([]);
  });
});
