import { describe, expect, it } from 'vitest';
import type { FleetSettings, RouteSettings } from '../operator-config.ts';
import {
  type DesiredNamespace,
  type DesiredNamespaceInputs,
  desiredNamespace,
  type ObservedFleet,
  type ProducerInput,
  type RepoInput,
} from './desired-namespace.ts';

// The desired state of one namespace, as a table: what the reconcile would apply, prune and
// remove, and the statuses it would write, for each shape of namespace and fleet.

const T0 = Date.parse('2026-01-01T00:00:00.000Z');
const settings: FleetSettings = {
  stable: { image: 'sluice/gateway:1.0', replicas: 2, resources: { requests: { cpu: '100m' } } },
  canary: { image: 'sluice/gateway:1.1', replicas: 1, resources: { requests: { cpu: '100m' } } },
  canaryGraceSeconds: 300,
};
const withTls: FleetSettings = { ...settings, listenerTls: { secretName: 'gateway-tls' } };
const routes = (provider: RouteSettings['provider']): RouteSettings => ({
  provider,
  hosts: [],
  priorities: { exact: 100, prefix: 0 },
  parentRefs: provider === 'gateway-api' ? [{ name: 'edge' }] : [],
});

const producer: ProducerInput = {
  metadata: { name: 'main', generation: 1 },
  spec: { brokers: ['kafka:9092'] } as ProducerInput['spec'],
};
const repo = (name: string, canaryWeight?: number): RepoInput => ({
  metadata: { name, uid: `uid-${name}`, generation: 1 },
  spec: {
    kafka: { producer: 'main', topic: `logs.${name}`, mode: 'sync' },
    ...(canaryWeight === undefined ? {} : { canary: { weight: canaryWeight } }),
  } as RepoInput['spec'],
});
const observed = (canary?: { idleSecondsAgo?: number; available?: number }): ObservedFleet => ({
  canaryDeployed: canary !== undefined,
  canaryIdleSince:
    canary?.idleSecondsAgo === undefined
      ? undefined
      : new Date(T0 - canary.idleSecondsAgo * 1000).toISOString(),
  canaryAvailableReplicas: canary?.available ?? 0,
  readyReplicas: {},
  routes: new Map(),
});

/** The desired state in a form a table row can state: kinds and names, in order. */
function outline(desired: DesiredNamespace) {
  return {
    phase: desired.phase.state,
    objects: desired.objects.map(({ object }) => `${object.kind}/${object.metadata.name}`),
    prune: desired.prune.map(({ ref, keep }) => `${ref.plural}: ${[...keep].join(',')}`),
    remove: desired.remove.map(({ ref, name }) => `${ref.plural}/${name}`),
    requeueAfterMs: desired.requeueAfterMs,
    repos: Object.fromEntries(
      [...desired.statuses.repos].map(([name, status]) => [
        name,
        (status.conditions ?? []).map((c) => `${c.type}=${c.status}:${c.reason}`),
      ]),
    ),
    weights: Object.fromEntries([...desired.repoFleet].map(([name, fleet]) => [name, fleet.weights.canary])),
    producers: Object.fromEntries(
      [...desired.statuses.producers].map(([name, status]) => [name, status.conditions?.[0]?.reason]),
    ),
  };
}

type Row = {
  name: string;
  inputs: Partial<DesiredNamespaceInputs>;
  expected: Partial<ReturnType<typeof outline>>;
};

const WORKLOADS = (track: '' | '-canary') => [
  `Deployment/sluice-gateway${track}`,
  `Service/sluice-gateway${track}`,
  `PodDisruptionBudget/sluice-gateway${track}`,
];
const REMOVE_WORKLOADS = (track: '' | '-canary') => [
  `deployments/sluice-gateway${track}`,
  `services/sluice-gateway${track}`,
  `poddisruptionbudgets/sluice-gateway${track}`,
  `horizontalpodautoscalers/sluice-gateway${track}`,
];
const apisix = { settings, routes: routes('apisix') };
/** A repo whose canary weight went back to 0 this long ago, the canary track still deployed. */
const idleCanary = (seconds: number): Partial<DesiredNamespaceInputs> => ({
  repos: [repo('a', 0)],
  fleet: apisix,
  observed: observed({ idleSecondsAgo: seconds, available: 1 }),
});
/** With a canary track (active or draining), in apply order: configs, workloads, routes. */
const BOTH_TRACKS = [
  'ConfigMap/sluice-gateway-config',
  'ConfigMap/sluice-gateway-config-canary',
  ...WORKLOADS(''),
  ...WORKLOADS('-canary'),
  'ApisixRoute/sluice-repo-a',
  'ApisixRoute/sluice-repos',
];

const rows: Row[] = [
  {
    name: 'empty namespace, no fleet: only the stable ConfigMap goes',
    inputs: { repos: [] },
    expected: {
      phase: 'absent',
      objects: [],
      prune: [],
      remove: ['configmaps/sluice-gateway-config'],
      repos: {},
      producers: { main: 'Applied' },
    },
  },
  {
    name: 'empty namespace with a fleet: routes, upstreams, both tracks, then the configs go',
    inputs: { repos: [], fleet: apisix },
    expected: {
      objects: [],
      prune: ['apisixroutes: ', 'apisixupstreams: '],
      remove: [
        ...REMOVE_WORKLOADS('-canary'),
        ...REMOVE_WORKLOADS(''),
        'configmaps/sluice-gateway-config-canary',
        'configmaps/sluice-gateway-config',
      ],
    },
  },
  {
    name: 'one repo, no fleet: the ConfigMap and Ready statuses',
    inputs: {},
    expected: {
      objects: ['ConfigMap/sluice-gateway-config'],
      prune: [],
      remove: [],
      repos: { a: ['Ready=True:Applied'] },
      producers: { main: 'Applied' },
    },
  },
  {
    name: 'one repo, apisix, canary absent: stable track and its route; leftovers of a canary go',
    inputs: { fleet: apisix },
    expected: {
      phase: 'absent',
      objects: [
        'ConfigMap/sluice-gateway-config',
        ...WORKLOADS(''),
        'ApisixRoute/sluice-repo-a',
        'ApisixRoute/sluice-repos',
      ],
      prune: ['horizontalpodautoscalers: ', 'apisixroutes: sluice-repo-a,sluice-repos', 'apisixupstreams: '],
      remove: [...REMOVE_WORKLOADS('-canary'), 'configmaps/sluice-gateway-config-canary'],
      repos: { a: ['Ready=True:Applied'] },
      weights: { a: 0 },
    },
  },
  {
    name: 'canary active with an available pod: both tracks, the share routed',
    inputs: { repos: [repo('a', 25)], fleet: apisix, observed: observed({ available: 1 }) },
    expected: {
      phase: 'active',
      objects: BOTH_TRACKS,
      remove: [],
      repos: { a: ['Ready=True:Applied', 'Canary=True:Routed'] },
      weights: { a: 25 },
    },
  },
  {
    name: 'canary active, not available yet: the share waits on stable',
    inputs: { repos: [repo('a', 25)], fleet: apisix, observed: observed({ available: 0 }) },
    expected: {
      phase: 'active',
      repos: { a: ['Ready=True:Applied', 'Canary=False:CanaryNotAvailable'] },
      weights: { a: 0 },
    },
  },
  {
    name: 'canary draining: the track keeps running, routes send it nothing, requeued at the end of the grace',
    inputs: idleCanary(60),
    expected: {
      phase: 'draining',
      objects: BOTH_TRACKS,
      remove: [],
      requeueAfterMs: 240_000,
      weights: { a: 0 },
    },
  },
  {
    name: 'canary past its grace period: the track is removed',
    inputs: idleCanary(400),
    expected: {
      phase: 'absent',
      objects: [
        'ConfigMap/sluice-gateway-config',
        ...WORKLOADS(''),
        'ApisixRoute/sluice-repo-a',
        'ApisixRoute/sluice-repos',
      ],
      remove: [...REMOVE_WORKLOADS('-canary'), 'configmaps/sluice-gateway-config-canary'],
    },
  },
  {
    name: 'provider none: workloads only, nothing routed; only autoscalers no track wants are pruned',
    inputs: { fleet: { settings, routes: routes('none') } },
    expected: {
      objects: ['ConfigMap/sluice-gateway-config', ...WORKLOADS('')],
      prune: ['horizontalpodautoscalers: '],
      repos: { a: ['Ready=True:Applied'] },
    },
  },
  {
    name: 'gateway-api: an HTTPRoute per repo, RouteAccepted unknown until it is written',
    inputs: { fleet: { settings, routes: routes('gateway-api') } },
    expected: {
      objects: [
        'ConfigMap/sluice-gateway-config',
        ...WORKLOADS(''),
        'HTTPRoute/sluice-repo-a',
        'HTTPRoute/sluice-repos',
      ],
      prune: ['horizontalpodautoscalers: ', 'httproutes: sluice-repo-a,sluice-repos'],
      repos: { a: ['Ready=True:Applied', 'RouteAccepted=Unknown:Reconciling'] },
    },
  },
  {
    name: 'listener TLS with apisix: an upstream per track, kept by the prune',
    inputs: { fleet: { settings: withTls, routes: routes('apisix') } },
    expected: {
      objects: [
        'ConfigMap/sluice-gateway-config',
        ...WORKLOADS(''),
        'ApisixUpstream/sluice-gateway',
        'ApisixRoute/sluice-repo-a',
        'ApisixRoute/sluice-repos',
      ],
      prune: [
        'horizontalpodautoscalers: ',
        'apisixroutes: sluice-repo-a,sluice-repos',
        'apisixupstreams: sluice-gateway',
      ],
    },
  },
  {
    name: 'listener TLS with gateway-api: every repo says a BackendTLSPolicy is needed',
    inputs: { fleet: { settings: withTls, routes: routes('gateway-api') } },
    expected: {
      objects: [
        'ConfigMap/sluice-gateway-config',
        ...WORKLOADS(''),
        'HTTPRoute/sluice-repo-a',
        'HTTPRoute/sluice-repos',
      ],
      repos: {
        a: [
          'Ready=True:Applied',
          'BackendTLS=Unknown:BackendTLSPolicyRequired',
          'RouteAccepted=Unknown:Reconciling',
        ],
      },
    },
  },
];

/** The digest the stable render gives repo `a` (what a pod running it reports). */
const digestOfA = (spec?: RepoInput['spec']) =>
  desiredNamespace({
    namespace: 'logs',
    repos: [spec ? { ...repo('a'), spec } : repo('a')],
    producers: [producer],
    nowMs: T0,
    now: () => new Date(T0).toISOString(),
  }).stable?.repos.get('a')?.digest as string;
const pod = (name: string, digest: string | null, rejected?: { revision: string; message: string }) => ({
  pod: name,
  state: 'reported' as const,
  report: {
    revision: 'x',
    draining: false,
    repos: new Map([['a', digest]]),
    ...(rejected ? { rejected } : {}),
  },
});
const withPods = (stable: ReturnType<typeof pod>[]): ObservedFleet => ({
  ...observed(),
  pods: { stable, canary: [] },
});
const rolloutSpec = (executers: unknown[]): RepoInput['spec'] =>
  ({
    kafka: { producer: 'main', topic: 'logs.a', mode: 'sync' },
    executers,
    rollout: { steps: [{ weight: 10, pauseSeconds: 60 }] },
  }) as unknown as RepoInput['spec'];
const rolloutRepo = (executers: unknown[]): RepoInput => ({ ...repo('a'), spec: rolloutSpec(executers) });
const V1 = [{ type: 'set', field: 'v', value: 1 }];
const V2 = [{ type: 'set', field: 'v', value: 2 }];
const pipelineOfSpec = (spec: RepoInput['spec']) => {
  const { rollout: _rollout, ...pipeline } = spec as unknown as Record<string, unknown>;
  return pipeline as never;
};

const observedRows: Row[] = [
  {
    name: 'observed pods, none ready: rendered (Configured) but not Ready',
    inputs: { fleet: apisix, observed: withPods([]) },
    expected: {
      repos: { a: ['Ready=False:NoReadyPods', 'Configured=True:Applied', 'ConfigApplied=False:NoReadyPods'] },
    },
  },
  {
    name: 'observed pods running the current config: Ready and ConfigApplied',
    inputs: { fleet: apisix, observed: withPods([pod('p1', digestOfA()), pod('p2', digestOfA())]) },
    expected: {
      repos: { a: ['Ready=True:Applied', 'Configured=True:Applied', 'ConfigApplied=True:Applied'] },
    },
  },
  {
    name: 'a pod refused the revision carrying the repo: not Ready, ReloadRejected',
    inputs: {
      fleet: apisix,
      observed: withPods([
        pod('p1', digestOfA()),
        pod('p2', 'older', {
          revision: desiredNamespace({
            namespace: 'logs',
            repos: [repo('a')],
            producers: [producer],
            fleet: apisix,
            nowMs: T0,
            now: () => '',
          }).stable?.revision as string,
          message: '/repos/a/executers/0/type: unknown',
        }),
      ]),
    },
    expected: {
      repos: {
        a: ['Ready=False:ReloadRejected', 'Configured=True:Applied', 'ConfigApplied=False:ReloadRejected'],
      },
    },
  },
  {
    name: 'a repo seen with spec.rollout for the first time: its pipeline is promoted as it is',
    inputs: { repos: [rolloutRepo(V1)], fleet: apisix, observed: observed() },
    expected: {
      phase: 'absent',
      objects: [
        'ConfigMap/sluice-gateway-config',
        'ConfigMap/sluice-rollout-a',
        ...WORKLOADS(''),
        'ApisixRoute/sluice-repo-a',
        'ApisixRoute/sluice-repos',
      ],
      repos: { a: ['Ready=True:Applied', 'Rollout=True:Promoted'] },
      weights: { a: 0 },
    },
  },
  {
    name: 'a pipeline change under spec.rollout: stable keeps the promoted one, the canary track gets the change',
    inputs: {
      repos: [rolloutRepo(V2)],
      fleet: apisix,
      observed: {
        ...observed({ available: 1 }),
        promoted: new Map([['a', pipelineOfSpec(rolloutSpec(V1))]]),
      },
    },
    expected: {
      phase: 'active',
      objects: [
        'ConfigMap/sluice-gateway-config',
        'ConfigMap/sluice-rollout-a',
        'ConfigMap/sluice-gateway-config-canary',
        ...WORKLOADS(''),
        ...WORKLOADS('-canary'),
        'ApisixRoute/sluice-repo-a',
        'ApisixRoute/sluice-repos',
      ],
      repos: { a: ['Ready=True:Applied', 'Rollout=Unknown:RolloutProgressing', 'Canary=True:Routed'] },
      weights: { a: 10 },
    },
  },
  {
    name: 'a promoted pipeline of a repo without spec.rollout any more is removed',
    inputs: {
      fleet: apisix,
      observed: { ...observed(), promoted: new Map([['a', pipelineOfSpec(rolloutSpec(V1))]]) },
    },
    expected: {
      remove: [
        ...REMOVE_WORKLOADS('-canary'),
        'configmaps/sluice-gateway-config-canary',
        'configmaps/sluice-rollout-a',
      ],
    },
  },
];

describe('desiredNamespace', () => {
  it.each(observedRows)('$name', ({ inputs, expected }) => {
    const desired = desiredNamespace({
      namespace: 'logs',
      repos: [repo('a')],
      producers: [producer],
      observed: observed(),
      nowMs: T0,
      now: () => new Date(T0).toISOString(),
      ...inputs,
    });
    expect(outline(desired)).toMatchObject(expected);
  });

  it('autoscales a track the GatewayFleet asks to: an HPA, and the replicas handed over without a fall to 1', () => {
    const autoscaling = { minReplicas: 3, maxReplicas: 9, targetCPUUtilizationPercentage: 70 };
    const gatewayFleet = {
      metadata: { name: 'fleet', generation: 1 },
      spec: { stable: { autoscaling } } as never,
    };
    const render = (deployments?: ObservedFleet['deployments']) =>
      desiredNamespace({
        namespace: 'logs',
        repos: [repo('a')],
        producers: [producer],
        fleet: apisix,
        gatewayFleet,
        observed: { ...observed(), ...(deployments ? { deployments } : {}) },
        nowMs: T0,
        now: () => new Date(T0).toISOString(),
      });
    const first = render();
    expect(outline(first).objects).toContain('HorizontalPodAutoscaler/sluice-gateway');
    const replicasOf = (desired: ReturnType<typeof render>) =>
      (
        desired.objects.find((o) => o.object.kind === 'Deployment')?.object.spec as
          | { replicas?: number }
          | undefined
      )?.replicas;
    // Not created yet: the flags' 2 replicas, clamped to the autoscaler's minimum.
    expect(replicasOf(first)).toBe(3);
    // Once the HPA controller owns spec.replicas, the operator leaves the field out.
    const owned = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: {
        name: 'sluice-gateway',
        managedFields: [
          {
            manager: 'kube-controller-manager',
            operation: 'Update',
            fieldsV1: { 'f:spec': { 'f:replicas': {} } },
          },
        ],
      },
      spec: { replicas: 7 },
    };
    expect(replicasOf(render({ stable: owned as never }))).toBeUndefined();
    expect(first.gatewayFleet?.status.conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'True' }),
    ]);
  });

  it('renders the promoted pipeline on stable and the change on the canary track', () => {
    const desired = desiredNamespace({
      namespace: 'logs',
      repos: [rolloutRepo(V2)],
      producers: [producer],
      fleet: apisix,
      observed: {
        ...observed({ available: 1 }),
        promoted: new Map([['a', pipelineOfSpec(rolloutSpec(V1))]]),
      },
      nowMs: T0,
      now: () => new Date(T0).toISOString(),
    });
    const repoOf = (text: string | undefined) =>
      (JSON.parse(text ?? '{}') as { repos: Record<string, unknown> }).repos.a;
    expect(repoOf(desired.stable?.text)).toMatchObject({ executers: V1 });
    expect(repoOf(desired.canary?.text)).toMatchObject({ executers: V2 });
    expect(desired.rollouts.get('a')?.decision.status).toMatchObject({
      state: 'Progressing',
      step: 0,
      weight: 10,
    });
    expect(desired.requeueAfterMs).toBeGreaterThan(0);
  });

  it.each([...rows, ...observedRows])('$name', ({ inputs, expected }) => {
    const desired = desiredNamespace({
      namespace: 'logs',
      repos: [repo('a')],
      producers: [producer],
      observed: observed(),
      nowMs: T0,
      now: () => new Date(T0).toISOString(),
      ...inputs,
    });
    expect(outline(desired)).toMatchObject(expected);
  });

  it('is deterministic: the order of the inputs does not change the output', () => {
    const inputs = (repos: RepoInput[]) =>
      desiredNamespace({
        namespace: 'logs',
        repos,
        producers: [producer],
        fleet: apisix,
        observed: observed({ available: 1 }),
        nowMs: T0,
        now: () => new Date(T0).toISOString(),
      });
    const forward = inputs([repo('a', 10), repo('b')]);
    const backward = inputs([repo('b'), repo('a', 10)]);
    expect(JSON.stringify(backward.objects)).toEqual(JSON.stringify(forward.objects));
  });
});
