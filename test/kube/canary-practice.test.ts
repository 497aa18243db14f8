import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  APISIX_ROUTES,
  DEPLOYMENTS,
  POD_DISRUPTION_BUDGETS,
  SERVICES,
} from '../../operator/controller/fleet-resources.ts';
import { startOperator } from '../../operator/controller/operator-controller.ts';
import { CONFIG_MAPS, LOG_REPOS } from '../../operator/controller/resources.ts';
import { createEventRecorder } from '../../operator/kube/event-recorder.ts';
import { createKubeClient, type KubeObject, loadKubeConfig } from '../../operator/kube/kube-client.ts';
import type { FleetSettings, RouteSettings } from '../../operator/operator-config.ts';
import { kubectlOk } from '../infra/kubectl.ts';
import { eventually } from '../support/eventually.ts';
import { applyQuickstart, markDeploymentAvailable } from './kubectl-steps.ts';
import { reconcileAgain } from './reconcile-again.ts';
import { installUpstreamCrds } from './upstream-crds.ts';

// The canary practice end to end on the real apiserver, with the real APISIX CRD installed:
// the operator runs in-process, a platform engineer drives it with kubectl. Two repos (access
// = A, errors = B) → all traffic stable; a canary image and A at 10 → the canary track appears
// and A's route splits 90/10 while B's is untouched; A at 100; A back to 0 → the route returns
// to stable at once and the canary track goes after the grace period; a config canary on B
// sends B's canary share through B's overridden pipeline. SLUICE_SHOW_KUBECTL=1 prints what
// kubectl shows at each step (the README's walkthrough comes from there).

const ns = `canary-${Date.now().toString(36)}`;
const GRACE_SECONDS = 3;
const logger = pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' });
const client = createKubeClient(loadKubeConfig(inject('kubeconfig')));
const resources = { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } };
const fleetSettings = (canaryImage?: string): FleetSettings => ({
  stable: { image: 'sluice/gateway:0.1.0', replicas: 2, resources },
  canary: { image: canaryImage ?? 'sluice/gateway:0.1.0', replicas: 1, resources },
  canaryGraceSeconds: GRACE_SECONDS,
});
const routes: RouteSettings = {
  provider: 'apisix',
  ingressClassName: 'apisix',
  hosts: [],
  priorities: { exact: 100, prefix: 0 },
  parentRefs: [],
};
type Operator = ReturnType<typeof startOperator>;
const start = (canaryImage?: string) => {
  const operatorClient = createKubeClient(loadKubeConfig(inject('kubeconfig')));
  return {
    client: operatorClient,
    operator: startOperator({
      client: operatorClient,
      logger,
      events: createEventRecorder(operatorClient, logger),
      namespaces: [ns],
      workers: 2,
      fleet: { settings: fleetSettings(canaryImage), routes },
    }),
  };
};

const show = async (args: string[]) => {
  const out = await kubectlOk(args);
  if (process.env.SLUICE_SHOW_KUBECTL) console.log(`$ kubectl ${args.join(' ')}\n${out}`);
  return out;
};
const patchCanary = (repo: string, canary: unknown) =>
  show(['patch', 'logrepo', repo, '-n', ns, '--type', 'merge', '-p', JSON.stringify({ spec: { canary } })]);
/** The route's backends as `service=weight`. */
const backendsOf = async (repo: string) => {
  const route = await client.get(APISIX_ROUTES, ns, `sluice-repo-${repo}`);
  const http = (
    route?.spec as { http?: Array<{ backends: Array<{ serviceName: string; weight?: number }> }> }
  )?.http;
  return http?.[0]?.backends.map((backend) => `${backend.serviceName}=${backend.weight}`).join(',');
};
/** The route's backends once `ready` holds for them. */
const backendsWhen = (repo: string, ready: (backends: string) => boolean) =>
  eventually(
    () => backendsOf(repo),
    (backends) => backends !== undefined && ready(backends),
  );
const configOf = async (name: string) => {
  const map = await client.get(CONFIG_MAPS, ns, name);
  const text = (map?.data as Record<string, string> | undefined)?.['gateway.yaml'];
  return text === undefined
    ? undefined
    : (JSON.parse(text) as { repos: Record<string, Record<string, unknown>> });
};
type RepoStatus = {
  route?: { kind: string; name: string };
  weights?: { stable: number; canary: number };
  tracks?: Record<string, { replicas: number; readyReplicas: number }>;
  conditions?: Array<{ type: string; status: string; reason: string }>;
};
const statusOf = async (repo: string) => (await client.get(LOG_REPOS, ns, repo))?.status as RepoStatus;
/** The repo's status once `ready` holds for it. */
const statusWhen = (repo: string, ready: (status: RepoStatus) => boolean) =>
  eventually(
    () => statusOf(repo),
    (status) => status !== undefined && ready(status),
  );
const imageOf = (deployment: KubeObject | undefined) =>
  (deployment?.spec as { template: { spec: { containers: Array<{ image: string }> } } } | undefined)?.template
    .spec.containers[0]?.image;
const canaryObjects = async () =>
  Promise.all([
    client.get(DEPLOYMENTS, ns, 'sluice-gateway-canary'),
    client.get(SERVICES, ns, 'sluice-gateway-canary'),
    client.get(POD_DISRUPTION_BUDGETS, ns, 'sluice-gateway-canary'),
    client.get(CONFIG_MAPS, ns, 'sluice-gateway-config-canary'),
  ]);

describe('the canary practice on the real apiserver', () => {
  let running: { client: ReturnType<typeof createKubeClient>; operator: Operator };
  beforeAll(async () => {
    await installUpstreamCrds();
    await kubectlOk(['create', 'namespace', ns]);
    running = start();
    await running.operator.leading;
  });
  afterAll(async () => {
    await running?.operator.stop();
  });

  it('two repos: a stable track, and every route to stable', async () => {
    await applyQuickstart(ns);
    expect(await backendsWhen('access', () => true)).toBe('sluice-gateway=100');
    expect(await backendsWhen('errors', () => true)).toBe('sluice-gateway=100');
    const prefix = await client.get(APISIX_ROUTES, ns, 'sluice-repos');
    expect(prefix?.spec).toMatchObject({
      ingressClassName: 'apisix',
      http: [
        { match: { paths: ['/log/repo/*'] }, backends: [{ serviceName: 'sluice-gateway', servicePort: 80 }] },
      ],
    });
    const stable = await client.get(DEPLOYMENTS, ns, 'sluice-gateway');
    expect(imageOf(stable)).toBe('sluice/gateway:0.1.0');
    expect((await canaryObjects()).every((object) => object === undefined)).toBe(true);
    const status = await statusWhen('access', (s) => s.weights !== undefined);
    expect(status).toMatchObject({
      route: { kind: 'ApisixRoute', name: 'sluice-repo-access' },
      weights: { stable: 100, canary: 0 },
      tracks: { stable: { replicas: 2, readyReplicas: 0 } },
    });
    await statusWhen('errors', (s) => s.weights !== undefined);
    const table = await show(['get', 'logrepos', '-n', ns, '-o', 'wide']);
    expect(table).toMatch(/ROUTED\s+ROUTE\s+STABLE-READY\s+CANARY-READY/);
    expect(table).toMatch(
      // No kubelet runs the pods here: not served (NoReadyPods); the e2e tests show READY True.
      /access\s+main\s+cdn\.access\s+sync\s+False\s+\S+\s+false\s+stable 0\/0\s+0\s+sluice-repo-access\s+0\s*\n/,
    );
    // The routes are the LogRepos' own: deleting a repo lets the garbage collector remove its route.
    const route = await client.get(APISIX_ROUTES, ns, 'sluice-repo-access');
    const repo = await client.get(LOG_REPOS, ns, 'access');
    expect(route?.metadata.ownerReferences).toEqual([
      {
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'LogRepo',
        name: 'access',
        uid: repo?.metadata.uid,
        controller: true,
      },
    ]);
  });

  it('a canary image and A at 10: the canary track appears, A splits 90/10, B is untouched', async () => {
    // The platform engineer sets the canary image in the operator's configuration (a restart).
    await running.operator.stop();
    running = start('sluice/gateway:0.2.0');
    await running.operator.leading;
    const errorsRouteBefore = await client.get(APISIX_ROUTES, ns, 'sluice-repo-errors');
    await patchCanary('access', { weight: 10 });
    // The share waits on stable until the canary track has an available pod.
    const held = await statusWhen('access', (s) =>
      Boolean(s.conditions?.some((c) => c.type === 'Canary' && c.reason === 'CanaryNotAvailable')),
    );
    expect(held.weights).toEqual({ stable: 100, canary: 0 });
    expect(await backendsOf('access')).toBe('sluice-gateway=100');
    await markDeploymentAvailable(ns, 'sluice-gateway-canary');
    expect(await backendsWhen('access', (b) => b.includes('canary'))).toBe(
      'sluice-gateway=90,sluice-gateway-canary=10',
    );
    const [deployment, service, pdb, configMap] = await canaryObjects();
    expect(imageOf(deployment)).toBe('sluice/gateway:0.2.0');
    expect(imageOf(await client.get(DEPLOYMENTS, ns, 'sluice-gateway'))).toBe('sluice/gateway:0.1.0');
    expect(service?.spec).toMatchObject({ selector: { 'sluice.dev/track': 'canary' } });
    expect(pdb).toBeDefined();
    expect(configMap).toBeDefined();
    // B's route was not written at all (it exists, so equal versions are not two undefineds).
    expect(errorsRouteBefore?.metadata.resourceVersion).toEqual(expect.any(String));
    const errorsRouteAfter = await client.get(APISIX_ROUTES, ns, 'sluice-repo-errors');
    expect(errorsRouteAfter?.metadata.resourceVersion).toBe(errorsRouteBefore?.metadata.resourceVersion);
    expect(await backendsOf('errors')).toBe('sluice-gateway=100');
    const status = await statusWhen('access', (s) => s.weights?.canary === 10);
    expect(status).toMatchObject({
      weights: { stable: 90, canary: 10 },
      tracks: { stable: { replicas: 2, readyReplicas: 0 }, canary: { replicas: 1, readyReplicas: 1 } },
    });
    expect(status.conditions).toContainEqual(
      expect.objectContaining({ type: 'Canary', status: 'True', reason: 'Routed' }),
    );
    await statusWhen('errors', (s) => s.tracks?.canary !== undefined);
    expect(await show(['get', 'logrepos', '-n', ns])).toMatch(
      /access\s+main\s+cdn\.access\s+sync\s+10\s+False/,
    );
    expect(await show(['get', 'logrepos', '-n', ns, '-o', 'wide'])).toMatch(
      /access\s+main\s+cdn\.access\s+sync\s+10\s+False\s+\S+\s+false\s+stable 0\/0, canary 0\/0\s+10\s+sluice-repo-access\s+0\s+1/,
    );
  });

  it('A at 100: every request of A to the canary track', async () => {
    await patchCanary('access', { weight: 100 });
    expect(await backendsWhen('access', (b) => b.endsWith('canary=100'))).toBe(
      'sluice-gateway=0,sluice-gateway-canary=100',
    );
    await statusWhen('access', (s) => s.weights?.canary === 100);
    expect(await show(['get', 'logrepos', '-n', ns, '-o', 'wide'])).toMatch(
      /access\s+\S+\s+\S+\s+sync\s+100\s+False\s+\S+\s+false\s+canary 0\/0\s+100\s/,
    );
  });

  it('A back to 0: the route returns to stable at once, the canary track goes after the grace period', async () => {
    await patchCanary('access', { weight: 0 });
    await backendsWhen('access', (b) => b === 'sluice-gateway=100');
    const flipped = Date.now();
    // Draining: still there, marked with the time the last weight returned to 0.
    const [draining] = await canaryObjects();
    expect(draining).toBeDefined();
    const idleSince = await eventually(
      async () =>
        (await client.get(DEPLOYMENTS, ns, 'sluice-gateway-canary'))?.metadata.annotations?.[
          'sluice.dev/canary-idle-since'
        ],
      (value) => value !== undefined,
    );
    expect(Date.parse(idleSince as string)).toBeGreaterThan(flipped - 5_000);
    await statusWhen('access', (s) => s.weights?.canary === 0);
    await show(['get', 'logrepos', '-n', ns, '-o', 'wide']);
    // Nobody touches anything: the operator comes back by itself when the grace period ends.
    await eventually(
      canaryObjects,
      (objects) => objects.every((object) => object === undefined),
      (GRACE_SECONDS + 15) * 1000,
    );
    expect(Date.now() - flipped).toBeGreaterThanOrEqual(GRACE_SECONDS * 1000 - 1_000);
    await statusWhen('access', (s) => s.tracks?.canary === undefined);
    expect(await show(['get', 'logrepos', '-n', ns, '-o', 'wide'])).toMatch(
      /access\s+\S+\s+\S+\s+sync\s+0\s+False\s+\S+\s+false\s+stable 0\/0\s+0\s/,
    );
  });

  it("a config canary on B: B's canary share goes through B's overridden pipeline", async () => {
    await patchCanary('errors', {
      weight: 50,
      constraint: { field: 'level', equals: 'error' },
      executers: [{ type: 'set', field: 'track', value: 'canary' }],
    });
    await markDeploymentAvailable(ns, 'sluice-gateway-canary');
    expect(await backendsWhen('errors', (b) => b.includes('canary'))).toBe(
      'sluice-gateway=50,sluice-gateway-canary=50',
    );
    const canary = await eventually(
      () => configOf('sluice-gateway-config-canary'),
      (c) => c !== undefined,
    );
    expect(canary?.repos.errors).toMatchObject({
      topic: 'app.errors',
      constraint: { field: 'level', equals: 'error' },
      executers: [{ type: 'set', field: 'track', value: 'canary' }],
    });
    const stable = await configOf('sluice-gateway-config');
    expect(stable?.repos.errors).not.toHaveProperty('constraint');
    expect(stable?.repos.errors).not.toHaveProperty('executers');
    // A config-only canary runs the same image on both tracks... here the canary image is still 0.2.0.
    expect(await backendsOf('access')).toBe('sluice-gateway=100');
    await statusWhen('errors', (s) => s.weights?.canary === 50);
    await show(['get', 'logrepos', '-n', ns, '-o', 'wide']);
  });

  it('writes nothing when reconciling the converged fleet again', async () => {
    // A quiet second for the reconciles the previous test set off to finish.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    const before = { ...running.client.requests.byVerb };
    await reconcileAgain(running.operator, ns);
    expect(running.client.requests.byVerb.PATCH ?? 0).toBe(before.PATCH ?? 0);
    expect(running.client.requests.byVerb.DELETE ?? 0).toBe(before.DELETE ?? 0);
    expect(running.client.requests.byVerb.POST ?? 0).toBe(before.POST ?? 0);
  });

  it('removes the route of a deleted repo, and the whole fleet with the last repo', async () => {
    await kubectlOk(['delete', 'logrepo', 'access', '-n', ns]);
    await eventually(
      () => client.get(APISIX_ROUTES, ns, 'sluice-repo-access'),
      (route) => route === undefined,
    );
    await kubectlOk(['delete', 'logrepo', 'errors', '-n', ns]);
    const left = async () =>
      (
        await Promise.all(
          [APISIX_ROUTES, DEPLOYMENTS, SERVICES, POD_DISRUPTION_BUDGETS].map(async (ref) =>
            (await client.list(ref, ns)).items.map((item) => `${ref.plural}/${item.metadata.name}`),
          ),
        )
      ).flat();
    expect(await eventually(left, (names) => names.length === 0)).toEqual([]);
    expect(await configOf('sluice-gateway-config')).toBeUndefined();
  });
});
