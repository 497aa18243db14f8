import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { createFakeKubeClient } from '../../test/support/fake-kube-client.ts';
import type { KubeObject, ResourceRef } from '../kube/kube-client.ts';
import type { FleetSettings, RouteSettings } from '../operator-config.ts';
import { WrittenStatuses } from '../status/written-statuses.ts';
import { APISIX_ROUTES, APISIX_UPSTREAMS, DEPLOYMENTS, HTTP_ROUTES, SERVICES } from './fleet-resources.ts';
import { type Caches, reconcileNamespace } from './reconcile-namespace.ts';
import { CONFIG_MAPS, KAFKA_PRODUCERS, LOG_REPOS } from './resources.ts';

// The fleet part of a namespace reconcile against an in-memory API that, like the apiserver,
// adds defaults and a uid to what it stores (so the stored object never equals the applied one).

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const fleetSettings: FleetSettings = {
  stable: { image: 'sluice/gateway:1.0', replicas: 2, resources: { requests: { cpu: '100m' } } },
  canary: { image: 'sluice/gateway:1.1', replicas: 1, resources: { requests: { cpu: '100m' } } },
  canaryGraceSeconds: 300,
};
const apisix: RouteSettings = {
  provider: 'apisix',
  hosts: [],
  priorities: { exact: 100, prefix: 0 },
  parentRefs: [],
};

function fakeWorld(objects: KubeObject[], routes: RouteSettings = apisix, settings = fleetSettings) {
  const refOf: Record<string, ResourceRef> = {
    LogRepo: LOG_REPOS,
    KafkaProducer: KAFKA_PRODUCERS,
    ConfigMap: CONFIG_MAPS,
  };
  const key = (plural: string, ns: string | undefined, name: string) => `${plural}/${ns}/${name}`;
  // The apiserver defaults what it stores, so the stored object never equals the applied one.
  const client = createFakeKubeClient(
    objects.map((object) => [refOf[object.kind] as ResourceRef, object]),
    {
      defaults: (ref, object) =>
        ref === DEPLOYMENTS
          ? { ...object, spec: { ...(object.spec as object), progressDeadlineSeconds: 600 } }
          : object,
    },
  );
  const store = client.objects;
  const writes = client.writes;
  const caches: Caches = client.caches;
  let now = T0;
  const deps = {
    client,
    caches,
    logger: pino({ level: 'silent' }),
    now: () => new Date(now).toISOString(),
    written: new WrittenStatuses(),
    events: { record: async () => undefined },
    fleet: {
      settings,
      routes,
      clockMs: () => now,
      idleSince: new Map<string, string>(),
      analysing: new Set<string>(),
      baselines: new Map(),
    },
  };
  const reconcile = async () => {
    writes.length = 0;
    const result = await reconcileNamespace('logs', deps);
    return { result, writes: [...writes].sort() };
  };
  const get = (ref: ResourceRef | string, name: string) =>
    store.get(key(typeof ref === 'string' ? ref : ref.plural, 'logs', name));
  const patchRepo = (name: string, spec: Record<string, unknown>) => {
    const stored = get(LOG_REPOS, name) as KubeObject;
    store.set(key('logrepos', 'logs', name), {
      ...stored,
      metadata: { ...stored.metadata, generation: (stored.metadata.generation ?? 1) + 1 },
      spec: { ...(stored.spec as object), ...spec },
    });
  };
  return {
    store,
    reconcile,
    get,
    patchRepo,
    advance: (ms: number) => {
      now += ms;
    },
    /** Restarts the operator with or without --gateway-tls-secret. */
    setListenerTls: (secretName: string | undefined) => {
      const { listenerTls: _, ...rest } = deps.fleet.settings;
      deps.fleet = {
        ...deps.fleet,
        settings: secretName === undefined ? rest : { ...rest, listenerTls: { secretName } },
      };
    },
    setDeploymentReady: (name: string, readyReplicas: number) => {
      const stored = get(DEPLOYMENTS, name) as KubeObject;
      store.set(key('deployments', 'logs', name), {
        ...stored,
        status: { readyReplicas, availableReplicas: readyReplicas },
      });
    },
  };
}

const producer: KubeObject = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'KafkaProducer',
  metadata: { name: 'main', namespace: 'logs', generation: 1 },
  spec: {
    brokers: ['kafka:9092'],
    sasl: { mechanism: 'plain', secretRef: { name: 'kafka-user', usernameKey: 'u', passwordKey: 'p' } },
  },
};
const repo = (name: string, extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'LogRepo',
  metadata: { name, namespace: 'logs', generation: 1 },
  spec: { kafka: { producer: 'main', topic: `logs.${name}`, mode: 'sync' }, ...extra },
});
const backends = (route: KubeObject | undefined) =>
  (
    route?.spec as { http: Array<{ backends: Array<{ serviceName: string; weight: number }> }> } | undefined
  )?.http[0]?.backends.map((b) => `${b.serviceName}=${b.weight}`);
const statusOf = (world: ReturnType<typeof fakeWorld>, name: string) =>
  world.get(LOG_REPOS, name)?.status as {
    route?: { kind: string; name: string };
    weights?: { stable: number; canary: number };
    tracks?: Record<string, { replicas: number; readyReplicas: number }>;
    conditions: Array<{ type: string; status: string; reason: string; message: string }>;
  };
const configOf = (world: ReturnType<typeof fakeWorld>, name: string) => {
  const text = (world.get(CONFIG_MAPS, name)?.data as Record<string, string> | undefined)?.['gateway.yaml'];
  return text === undefined
    ? undefined
    : (JSON.parse(text) as { repos: Record<string, Record<string, unknown>> });
};

describe('reconcileNamespace with a gateway fleet', () => {
  it('runs the canary practice: stable only → A at 10 → A at 100 → A at 0, drained after the grace period', async () => {
    const world = fakeWorld([producer, repo('a'), repo('b')]);

    // Two repos, no canary: the stable track and three routes, all to stable.
    const first = await world.reconcile();
    expect(first.writes).toEqual([
      'apply apisixroutes/sluice-repo-a',
      'apply apisixroutes/sluice-repo-b',
      'apply apisixroutes/sluice-repos',
      'apply configmaps/sluice-gateway-config',
      'apply deployments/sluice-gateway',
      'apply poddisruptionbudgets/sluice-gateway',
      'apply services/sluice-gateway',
      'status kafkaproducers/main',
      'status logrepos/a',
      'status logrepos/b',
    ]);
    expect(backends(world.get(APISIX_ROUTES, 'sluice-repo-a'))).toEqual(['sluice-gateway=100']);
    expect(world.get(APISIX_ROUTES, 'sluice-repo-a')?.metadata.ownerReferences?.[0]).toMatchObject({
      kind: 'LogRepo',
      name: 'a',
      uid: world.get(LOG_REPOS, 'a')?.metadata.uid,
    });
    expect(statusOf(world, 'a')).toMatchObject({
      route: { kind: 'ApisixRoute', name: 'sluice-repo-a' },
      weights: { stable: 100, canary: 0 },
      tracks: { stable: { replicas: 2, readyReplicas: 0 } },
    });
    expect(statusOf(world, 'a').tracks?.canary).toBeUndefined();
    // An unchanged world writes nothing, although the stored objects carry defaults.
    expect((await world.reconcile()).writes).toEqual([]);

    // A to 10: the canary track appears (config first); the share waits on stable until the
    // track has an available pod, so no request goes to a Service without endpoints.
    world.patchRepo('a', { canary: { weight: 10 } });
    const on = await world.reconcile();
    // (The weight is not part of any gateway config: the stable ConfigMap stays as it is.)
    expect(on.writes).toEqual([
      'apply configmaps/sluice-gateway-config-canary',
      'apply deployments/sluice-gateway-canary',
      'apply poddisruptionbudgets/sluice-gateway-canary',
      'apply services/sluice-gateway-canary',
      'status logrepos/a',
      'status logrepos/b',
    ]);
    expect(backends(world.get(APISIX_ROUTES, 'sluice-repo-a'))).toEqual(['sluice-gateway=100']);
    expect(
      (
        world.get(DEPLOYMENTS, 'sluice-gateway-canary')?.spec as
          | { template: { spec: { containers: Array<{ image: string }> } } }
          | undefined
      )?.template.spec.containers[0]?.image,
    ).toBe('sluice/gateway:1.1');
    expect(statusOf(world, 'a')).toMatchObject({
      weights: { stable: 100, canary: 0 },
      tracks: { stable: { readyReplicas: 0 }, canary: { replicas: 1, readyReplicas: 0 } },
    });
    expect(statusOf(world, 'a').conditions).toContainEqual(
      expect.objectContaining({ type: 'Canary', status: 'False', reason: 'CanaryNotAvailable' }),
    );
    expect((await world.reconcile()).writes).toEqual([]);

    // A canary pod is available: A splits 90/10, B's route is untouched; ready pods show in
    // every repo's status.
    world.setDeploymentReady('sluice-gateway-canary', 1);
    expect((await world.reconcile()).writes).toEqual([
      'apply apisixroutes/sluice-repo-a',
      'status logrepos/a',
      'status logrepos/b',
    ]);
    expect(backends(world.get(APISIX_ROUTES, 'sluice-repo-a'))).toEqual([
      'sluice-gateway=90',
      'sluice-gateway-canary=10',
    ]);
    expect(backends(world.get(APISIX_ROUTES, 'sluice-repo-b'))).toEqual(['sluice-gateway=100']);
    expect(statusOf(world, 'a')).toMatchObject({ weights: { stable: 90, canary: 10 } });
    expect(statusOf(world, 'a').conditions).toContainEqual(
      expect.objectContaining({ type: 'Canary', status: 'True', reason: 'Routed' }),
    );
    expect(statusOf(world, 'b').weights).toEqual({ stable: 100, canary: 0 });
    expect(statusOf(world, 'b').tracks?.canary?.readyReplicas).toBe(1);
    expect((await world.reconcile()).writes).toEqual([]);

    // A to 100.
    world.patchRepo('a', { canary: { weight: 100 } });
    expect((await world.reconcile()).writes).toEqual([
      'apply apisixroutes/sluice-repo-a',
      'status logrepos/a',
    ]);
    expect(backends(world.get(APISIX_ROUTES, 'sluice-repo-a'))).toEqual([
      'sluice-gateway=0',
      'sluice-gateway-canary=100',
    ]);

    // A back to 0: traffic back to stable at once; the canary track drains for the grace period.
    world.patchRepo('a', { canary: { weight: 0 } });
    const off = await world.reconcile();
    expect(off.result.requeueAfterMs).toBe(300_000);
    expect(off.writes).toContain('apply deployments/sluice-gateway-canary');
    expect(off.writes).not.toContain('delete deployments/sluice-gateway-canary');
    expect(backends(world.get(APISIX_ROUTES, 'sluice-repo-a'))).toEqual(['sluice-gateway=100']);
    expect(
      world.get(DEPLOYMENTS, 'sluice-gateway-canary')?.metadata.annotations?.['sluice.dev/canary-idle-since'],
    ).toBe('2026-01-01T00:00:00.000Z');
    expect(statusOf(world, 'a').conditions.map((c) => c.type)).toEqual(['Ready']);

    world.advance(120_000);
    const draining = await world.reconcile();
    expect(draining.writes).toEqual([]);
    expect(draining.result.requeueAfterMs).toBe(180_000);

    world.advance(180_000);
    const gone = await world.reconcile();
    expect(gone.result.requeueAfterMs).toBeUndefined();
    expect(gone.writes).toEqual([
      'delete configmaps/sluice-gateway-config-canary',
      'delete deployments/sluice-gateway-canary',
      'delete poddisruptionbudgets/sluice-gateway-canary',
      'delete services/sluice-gateway-canary',
      'status logrepos/a',
      'status logrepos/b',
    ]);
    expect(statusOf(world, 'a').tracks).toEqual({ stable: { replicas: 2, readyReplicas: 0 } });
    expect((await world.reconcile()).writes).toEqual([]);
  });

  it("routes B's canary share through B's overridden pipeline; the stable config keeps the original", async () => {
    const world = fakeWorld([
      producer,
      repo('a'),
      repo('b', {
        constraint: { field: 'status', exists: true },
        canary: { weight: 10, constraint: { field: 'level', equals: 'error' }, topic: 'logs.b.canary' },
      }),
    ]);
    await world.reconcile();
    expect(configOf(world, 'sluice-gateway-config')?.repos.b).toMatchObject({
      topic: 'logs.b',
      constraint: { field: 'status', exists: true },
    });
    expect(configOf(world, 'sluice-gateway-config-canary')?.repos.b).toMatchObject({
      topic: 'logs.b.canary',
      constraint: { field: 'level', equals: 'error' },
    });
    expect(configOf(world, 'sluice-gateway-config-canary')?.repos.a).toEqual(
      configOf(world, 'sluice-gateway-config')?.repos.a,
    );
    world.setDeploymentReady('sluice-gateway-canary', 1);
    await world.reconcile();
    expect(backends(world.get(APISIX_ROUTES, 'sluice-repo-b'))).toEqual([
      'sluice-gateway=90',
      'sluice-gateway-canary=10',
    ]);
  });

  it('keeps a canary share on stable, and says why, when the canary pipeline is invalid', async () => {
    const world = fakeWorld([
      producer,
      repo('a', { canary: { weight: 20, executers: [{ type: 'timestamp', field: 'time', format: '%Q' }] } }),
    ]);
    await world.reconcile();
    expect(backends(world.get(APISIX_ROUTES, 'sluice-repo-a'))).toEqual(['sluice-gateway=100']);
    const status = statusOf(world, 'a');
    expect(status.weights).toEqual({ stable: 100, canary: 0 });
    expect(status.conditions).toContainEqual(expect.objectContaining({ type: 'Ready', status: 'True' }));
    expect(status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Canary', status: 'False', reason: 'InvalidPipeline' }),
    );
  });

  it('hot-reloads config changes: a pipeline edit rewrites the ConfigMap, never the Deployments', async () => {
    const world = fakeWorld([producer, repo('a', { canary: { weight: 5 } })]);
    await world.reconcile();
    world.patchRepo('a', { constraint: { field: 'host', exists: true } });
    const edit = await world.reconcile();
    expect(edit.writes.filter((w) => w.startsWith('apply deployments'))).toEqual([]);
    expect(edit.writes).toContain('apply configmaps/sluice-gateway-config');
    expect(edit.writes).toContain('apply configmaps/sluice-gateway-config-canary');
  });

  it('removes the route of a deleted repo, and the whole fleet with the last one', async () => {
    const world = fakeWorld([producer, repo('a', { canary: { weight: 5 } }), repo('b')]);
    await world.reconcile();
    world.store.delete('logrepos/logs/b');
    expect((await world.reconcile()).writes).toContain('delete apisixroutes/sluice-repo-b');
    world.store.delete('logrepos/logs/a');
    const last = await world.reconcile();
    expect(last.writes).toEqual([
      'delete apisixroutes/sluice-repo-a',
      'delete apisixroutes/sluice-repos',
      'delete configmaps/sluice-gateway-config',
      'delete configmaps/sluice-gateway-config-canary',
      'delete deployments/sluice-gateway',
      'delete deployments/sluice-gateway-canary',
      'delete poddisruptionbudgets/sluice-gateway',
      'delete poddisruptionbudgets/sluice-gateway-canary',
      'delete services/sluice-gateway',
      'delete services/sluice-gateway-canary',
      'status kafkaproducers/main',
    ]);
    expect([...world.store.keys()]).toEqual(['kafkaproducers/logs/main']);
  });

  it('writes HTTPRoutes for provider gateway-api', async () => {
    const world = fakeWorld([producer, repo('a', { canary: { weight: 25 } })], {
      ...apisix,
      provider: 'gateway-api',
      parentRefs: [{ name: 'edge' }],
    });
    const first = await world.reconcile();
    expect(first.writes.filter((w) => w.includes('routes/'))).toEqual([
      'apply httproutes/sluice-repo-a',
      'apply httproutes/sluice-repos',
    ]);
    world.setDeploymentReady('sluice-gateway-canary', 1);
    await world.reconcile();
    expect(
      (
        world.get(HTTP_ROUTES, 'sluice-repo-a')?.spec as
          | { rules: Array<{ backendRefs: unknown }> }
          | undefined
      )?.rules[0]?.backendRefs,
    ).toEqual([
      { name: 'sluice-gateway', port: 80, weight: 75 },
      { name: 'sluice-gateway-canary', port: 80, weight: 25 },
    ]);
    expect(statusOf(world, 'a').route).toEqual({ kind: 'HTTPRoute', name: 'sluice-repo-a' });
  });

  it('reads what the Gateway controller wrote in the HTTPRoute’s status.parents into RouteAccepted', async () => {
    const world = fakeWorld([producer, repo('a')], {
      ...apisix,
      provider: 'gateway-api',
      parentRefs: [{ name: 'edge' }],
    });
    await world.reconcile();
    const routeAccepted = () => statusOf(world, 'a').conditions.find((c) => c.type === 'RouteAccepted');
    expect(routeAccepted()).toMatchObject({ status: 'Unknown', reason: 'RouteNotReported' });
    const key = 'httproutes/logs/sluice-repo-a';
    const stored = world.store.get(key) as KubeObject;
    world.store.set(key, {
      ...stored,
      status: {
        parents: [
          {
            parentRef: { name: 'edge' },
            controllerName: 'traefik.io/gateway-controller',
            conditions: [
              {
                type: 'Accepted',
                status: 'True',
                reason: 'Accepted',
                observedGeneration: stored.metadata.generation,
              },
              {
                type: 'ResolvedRefs',
                status: 'True',
                reason: 'ResolvedRefs',
                observedGeneration: stored.metadata.generation,
              },
            ],
          },
        ],
      },
    });
    expect((await world.reconcile()).writes).toEqual(['status logrepos/a']);
    expect(routeAccepted()).toMatchObject({ status: 'True', reason: 'Accepted' });
    // A route status that does not change writes nothing.
    expect((await world.reconcile()).writes).toEqual([]);
  });

  it('says RouteAccepted=False / NoParentRefs when the HTTPRoutes attach to no Gateway', async () => {
    const world = fakeWorld([producer, repo('a')], { ...apisix, provider: 'gateway-api', parentRefs: [] });
    await world.reconcile();
    expect(statusOf(world, 'a').conditions.find((c) => c.type === 'RouteAccepted')).toMatchObject({
      status: 'False',
      reason: 'NoParentRefs',
    });
  });

  it('with listener TLS and APISIX: an https ApisixUpstream per track Service, pruned with the track and when TLS goes off', async () => {
    const world = fakeWorld([producer, repo('a')], apisix, {
      ...fleetSettings,
      listenerTls: { secretName: 'gateway-tls' },
    });
    const upstreams = () =>
      [...world.store.keys()].filter((k) => k.startsWith('apisixupstreams/')).map((k) => k.split('/')[2]);
    const servicePort = (name: string) =>
      (world.get(SERVICES, name)?.spec as { ports: Array<{ appProtocol?: string }> } | undefined)?.ports[0];

    const first = await world.reconcile();
    expect(first.writes).toContain('apply apisixupstreams/sluice-gateway');
    expect(upstreams()).toEqual(['sluice-gateway']);
    expect(world.get(APISIX_UPSTREAMS, 'sluice-gateway')?.spec).toEqual({ scheme: 'https' });
    expect(servicePort('sluice-gateway')?.appProtocol).toBe('https');
    // Nothing tells a Gateway API user anything here: APISIX is handled.
    expect(statusOf(world, 'a').conditions.map((c) => c.type)).toEqual(['Ready']);
    expect((await world.reconcile()).writes).toEqual([]);

    // The canary track comes with its upstream, and goes with it after the grace period.
    world.patchRepo('a', { canary: { weight: 10 } });
    expect((await world.reconcile()).writes).toContain('apply apisixupstreams/sluice-gateway-canary');
    expect(upstreams()).toEqual(['sluice-gateway', 'sluice-gateway-canary']);
    expect((await world.reconcile()).writes).toEqual([]);
    world.patchRepo('a', { canary: { weight: 0 } });
    await world.reconcile();
    expect(upstreams()).toEqual(['sluice-gateway', 'sluice-gateway-canary']);
    world.advance(300_000);
    const gone = await world.reconcile();
    expect(gone.writes).toContain('delete apisixupstreams/sluice-gateway-canary');
    expect(gone.writes).toContain('delete services/sluice-gateway-canary');
    expect(upstreams()).toEqual(['sluice-gateway']);

    // TLS off: the upstream goes (APISIX back to its http default), the Service loses the hint.
    world.setListenerTls(undefined);
    const off = await world.reconcile();
    expect(off.writes).toContain('delete apisixupstreams/sluice-gateway');
    expect(off.writes).toContain('apply services/sluice-gateway');
    expect(upstreams()).toEqual([]);
    expect(servicePort('sluice-gateway')?.appProtocol).toBeUndefined();
    expect((await world.reconcile()).writes).toEqual([]);

    // TLS on again, then the last repo goes: the upstream goes with the fleet.
    world.setListenerTls('gateway-tls');
    expect((await world.reconcile()).writes).toContain('apply apisixupstreams/sluice-gateway');
    world.store.delete('logrepos/logs/a');
    const last = await world.reconcile();
    expect(last.writes).toContain('delete apisixupstreams/sluice-gateway');
    expect([...world.store.keys()]).toEqual(['kafkaproducers/logs/main']);
  });

  it('leaves upstreams it does not manage alone', async () => {
    const world = fakeWorld([producer, repo('a')]);
    world.store.set('apisixupstreams/logs/sluice-gateway', {
      apiVersion: 'apisix.apache.org/v2',
      kind: 'ApisixUpstream',
      metadata: { name: 'sluice-gateway', namespace: 'logs', labels: { team: 'edge' } },
      spec: { scheme: 'https' },
    });
    expect((await world.reconcile()).writes).not.toContain('delete apisixupstreams/sluice-gateway');
    expect(world.get(APISIX_UPSTREAMS, 'sluice-gateway')).toBeDefined();
  });

  it('with listener TLS and Gateway API: no upstream object, and every repo says a BackendTLSPolicy is needed', async () => {
    const world = fakeWorld(
      [producer, repo('a'), repo('b', { canary: { weight: 10 } })],
      { ...apisix, provider: 'gateway-api', parentRefs: [{ name: 'edge' }] },
      { ...fleetSettings, listenerTls: { secretName: 'gateway-tls' } },
    );
    const first = await world.reconcile();
    expect(first.writes.filter((w) => w.includes('upstream'))).toEqual([]);
    expect(
      (
        world.get(SERVICES, 'sluice-gateway-canary')?.spec as
          | { ports: Array<{ appProtocol?: string }> }
          | undefined
      )?.ports[0]?.appProtocol,
    ).toBe('https');
    for (const name of ['a', 'b']) {
      expect(statusOf(world, name).conditions).toContainEqual(
        expect.objectContaining({
          type: 'BackendTLS',
          status: 'Unknown',
          reason: 'BackendTLSPolicyRequired',
          message: expect.stringContaining('BackendTLSPolicy'),
        }),
      );
    }
    expect(statusOf(world, 'b').conditions.map((c) => c.type)).toEqual([
      'Ready',
      'Canary',
      'BackendTLS',
      'RouteAccepted',
    ]);
    expect((await world.reconcile()).writes).toEqual([]);

    world.setListenerTls(undefined);
    await world.reconcile();
    expect(statusOf(world, 'a').conditions.map((c) => c.type)).toEqual(['Ready', 'RouteAccepted']);
    expect((await world.reconcile()).writes).toEqual([]);
  });
});
