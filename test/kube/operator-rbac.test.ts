import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { stringify } from 'yaml';
import {
  GATEWAY_CANARY_CONFIG_MAP,
  GATEWAY_CONFIG_MAP,
  GATEWAY_NAMES,
} from '../../operator/api/constants.ts';
import { configuredOperatorOptions } from '../../operator/configured-operator.ts';
import {
  APISIX_UPSTREAMS,
  DEPLOYMENTS,
  POD_DISRUPTION_BUDGETS,
  routeResource,
  SERVICES,
} from '../../operator/controller/fleet-resources.ts';
import { startOperator } from '../../operator/controller/operator-controller.ts';
import { CONFIG_MAPS, KAFKA_PRODUCERS, LOG_REPOS } from '../../operator/controller/resources.ts';
import { routeApiServed } from '../../operator/controller/route-api.ts';
import {
  createKubeClient,
  type KubeClient,
  loadKubeConfig,
  type ResourceRef,
} from '../../operator/kube/kube-client.ts';
import { type OperatorConfig, operatorConfig } from '../../operator/operator-config.ts';
import { kubectl, kubectlOk } from '../infra/kubectl.ts';
import { installChartIdentity } from '../support/chart-identity.ts';
import { eventually } from '../support/eventually.ts';
import { applyQuickstart, patchLogRepo } from './kubectl-steps.ts';
import { installUpstreamCrds } from './upstream-crds.ts';

// Least-privilege proof (issue 8): the chart's ServiceAccount and RBAC, rendered by the real
// helm and applied to the real apiserver; a token for that ServiceAccount from the
// TokenRequest API; the operator running in-process on that token alone, configured from the
// environment the chart's Deployment gives it. It must converge LogRepos and KafkaProducers
// into ConfigMaps, Deployments, Services, PodDisruptionBudgets and routes (with listener TLS
// on, APISIX's ApisixUpstreams too, or Gateway API's BackendTLS condition), write statuses and
// Events, hold its Lease, and remove what it no longer wants, without one forbidden request;
// and the ServiceAccount must not be able to do what the operator never needs (read Secrets,
// get LogRepos by name, touch pods, other Leases, other namespaces).

const id = Date.now().toString(36);

interface Variant {
  readonly scope: 'cluster' | 'namespaced';
  readonly provider: 'apisix' | 'gateway-api';
}

beforeAll(async () => {
  await installUpstreamCrds();
});

describe.each<Variant>([
  { scope: 'cluster', provider: 'apisix' },
  { scope: 'namespaced', provider: 'gateway-api' },
])('operator with the chart RBAC ($scope scope, $provider routes)', ({ scope, provider }) => {
  const release = `rbac-${id}-${scope === 'cluster' ? 'c' : 'n'}`;
  const releaseNs = release;
  const logsNs = `${release}-logs`;
  const serviceAccount = `${release}-sluice`;
  const routes = routeResource(provider) as ResourceRef;
  const admin = createKubeClient(loadKubeConfig(inject('kubeconfig')));
  const logLines: string[] = [];
  const logger = pino({ level: 'debug' }, { write: (line: string) => logLines.push(line) });
  let dir: string;
  let saKubeconfig: string;
  let config: OperatorConfig;
  let operator: ReturnType<typeof startOperator> | undefined;
  let client: KubeClient;

  const canI = async (...args: string[]) => {
    const result = await kubectl(['auth', 'can-i', ...args], { kubeconfig: saKubeconfig });
    return result.stdout.trim();
  };
  const exists = async (ref: ResourceRef, name: string) => (await admin.get(ref, logsNs, name)) !== undefined;
  const readyOf = async (ref: ResourceRef, name: string, type = 'Ready') =>
    (
      (await admin.get(ref, logsNs, name))?.status as
        | { conditions?: Array<{ type: string; status: string }> }
        | undefined
    )?.conditions?.find((c) => c.type === type)?.status;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-rbac-'));
    for (const ns of [releaseNs, logsNs]) await kubectlOk(['create', 'namespace', ns]);
    const identity = await installChartIdentity({
      release,
      releaseNs,
      adminKubeconfig: inject('kubeconfig'),
      dir,
      helmArgs: [
        '--set',
        `rbac.scope=${scope}`,
        '--set',
        `operator.watchNamespaces={${logsNs}}`,
        '--set',
        `routes.provider=${provider}`,
        ...(provider === 'gateway-api' ? ['--set', 'routes.parentRefs[0].name=edge'] : []),
        '--set',
        'rbac.aggregateToDefaultRoles=false',
        // A short grace, so the canary track's removal is seen within the test.
        '--set',
        'gateway.canaryGraceSeconds=1',
        // Listener TLS: with apisix the operator also writes an ApisixUpstream per track.
        '--set',
        'gateway.listenerTls.secretName=gateway-tls',
      ],
    });
    saKubeconfig = identity.kubeconfig;
    // The operator's configuration as the chart's Deployment sets it (the downward API gives
    // POD_NAMESPACE the release namespace).
    const configured = operatorConfig({}, { ...identity.env, POD_NAMESPACE: releaseNs });
    if (!configured.ok) throw new Error(`chart env rejected: ${JSON.stringify(configured.issues)}`);
    config = configured.value;
    client = createKubeClient(loadKubeConfig(saKubeconfig));
  });

  afterAll(async () => {
    await operator?.stop();
    if (scope === 'cluster') {
      await kubectl([
        'delete',
        'clusterrole,clusterrolebinding',
        '-l',
        `app.kubernetes.io/instance=${release}`,
        '--wait=false',
      ]);
    }
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('authenticates as the ServiceAccount and passes the start-up discovery check', async () => {
    const whoami = JSON.parse(
      await kubectlOk(['auth', 'whoami', '-o', 'json'], { kubeconfig: saKubeconfig }),
    );
    expect(whoami.status.userInfo.username).toBe(`system:serviceaccount:${releaseNs}:${serviceAccount}`);
    expect(config).toMatchObject({
      namespaces: [logsNs],
      leaseNamespace: releaseNs,
      routes: { provider },
    });
    expect(await routeApiServed(client, config.routes.provider)).toBe(true);
  });

  it('converges LogRepos and KafkaProducers into the fleet, statuses and Events, holding its Lease', async () => {
    // Wired as operator/main.ts wires it; the chart turns leader election on.
    operator = startOperator(configuredOperatorOptions(config, client, logger, `rbac-${scope}`));
    await operator.leading;
    await applyQuickstart(logsNs);
    // A producer whose credentials are a Secret: mounted into the gateway pods by name, never read.
    await kubectlOk(['apply', '-f', '-'], {
      input: stringify({
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'KafkaProducer',
        metadata: { name: 'secure', namespace: logsNs },
        spec: {
          brokers: ['kafka:9093'],
          sasl: { mechanism: 'scram-sha-512', secretRef: { name: 'kafka-credentials' } },
        },
      }),
    });

    const stable = GATEWAY_NAMES.stable.workload;
    const converged = async () => ({
      configMap: await exists(CONFIG_MAPS, GATEWAY_CONFIG_MAP),
      deployment: await exists(DEPLOYMENTS, stable),
      service: await exists(SERVICES, stable),
      pdb: await exists(POD_DISRUPTION_BUDGETS, stable),
      repoRoutes:
        (await exists(routes, 'sluice-repo-access')) && (await exists(routes, 'sluice-repo-errors')),
      prefixRoute: await exists(routes, 'sluice-repos'),
      // Rendered into the config; Ready waits for a pod to serve it (there is no kubelet here).
      access: await readyOf(LOG_REPOS, 'access', 'Configured'),
      producer: await readyOf(KAFKA_PRODUCERS, 'main'),
      secure: await readyOf(KAFKA_PRODUCERS, 'secure'),
    });
    expect(
      await eventually(converged, (c) => Object.values(c).every((v) => v === true || v === 'True'), 30_000),
    ).toEqual({
      configMap: true,
      deployment: true,
      service: true,
      pdb: true,
      repoRoutes: true,
      prefixRoute: true,
      access: 'True',
      producer: 'True',
      secure: 'True',
    });
    // No kubelet runs the pods: the stable Deployment is 0/2, so the repo is not Ready, and says why.
    const table = await kubectlOk(['get', 'logrepos', 'access', '-n', logsNs, '-o', 'wide']);
    expect(table).toMatch(
      /^NAME\s+PRODUCER\s+TOPIC\s+MODE\s+CANARY\s+READY\s+AGE\s+SUSPENDED\s+APPLIED\s+ROLLOUT\s+ROUTED\s+ROUTE\s+STABLE-READY/m,
    );
    expect(table).toMatch(
      /^access\s+main\s+\S+\s+sync\s+False\s+\S+\s+false\s+stable 0\/0\s+0\s+sluice-repo-access\s+0\b/m,
    );
    const accessStatus = (await admin.get(LOG_REPOS, logsNs, 'access'))?.status as
      | { conditions?: Array<{ type: string; reason: string }> }
      | undefined;
    expect(accessStatus?.conditions?.find((c) => c.type === 'Ready')).toMatchObject({
      status: 'False',
      reason: 'NoReadyPods',
    });
    const pod = (await admin.get(DEPLOYMENTS, logsNs, stable))?.spec as {
      template: { spec: { volumes: Array<{ secret?: { secretName: string } }> } };
    };
    expect(pod.template.spec.volumes.map((v) => v.secret?.secretName)).toContain('kafka-credentials');
    if (provider === 'apisix') {
      expect(await eventually(() => exists(APISIX_UPSTREAMS, stable), Boolean, 30_000)).toBe(true);
    } else {
      const backendTls = async () =>
        (
          (await admin.get(LOG_REPOS, logsNs, 'access'))?.status as
            | { conditions?: Array<{ type: string; reason: string }> }
            | undefined
        )?.conditions?.find((c) => c.type === 'BackendTLS')?.reason;
      expect(await eventually(backendTls, (reason) => reason !== undefined, 30_000)).toBe(
        'BackendTLSPolicyRequired',
      );
    }

    const events = JSON.parse(await kubectlOk(['get', 'events', '-n', logsNs, '-o', 'json'])) as {
      items: Array<{ source?: { component?: string }; reason: string }>;
    };
    expect(
      events.items.filter((e) => e.source?.component === 'sluice-operator').map((e) => e.reason),
    ).toContain('Applied');
    const lease = JSON.parse(
      await kubectlOk(['get', 'lease', config.leaseName, '-n', releaseNs, '-o', 'json']),
    ) as { spec: { holderIdentity: string } };
    expect(lease.spec.holderIdentity).toBe(`rbac-${scope}`);
  });

  it('adds and removes the canary track, and removes the fleet with the last LogRepo', async () => {
    const canary = GATEWAY_NAMES.canary.workload;
    const canaryObjects = async () => [
      await exists(DEPLOYMENTS, canary),
      await exists(SERVICES, canary),
      await exists(POD_DISRUPTION_BUDGETS, canary),
      await exists(CONFIG_MAPS, GATEWAY_CANARY_CONFIG_MAP),
      ...(provider === 'apisix' ? [await exists(APISIX_UPSTREAMS, canary)] : []),
    ];
    await patchLogRepo(logsNs, 'access', { spec: { canary: { weight: 10 } } });
    await eventually(canaryObjects, (present) => present.every(Boolean), 30_000);
    await patchLogRepo(logsNs, 'access', { spec: { canary: { weight: 0 } } });
    // Gone after the one-second grace period.
    await eventually(canaryObjects, (present) => present.every((p) => !p), 30_000);

    await kubectlOk(['delete', 'logrepos', '--all', '-n', logsNs]);
    const fleet = async () => [
      await exists(DEPLOYMENTS, GATEWAY_NAMES.stable.workload),
      await exists(SERVICES, GATEWAY_NAMES.stable.workload),
      await exists(POD_DISRUPTION_BUDGETS, GATEWAY_NAMES.stable.workload),
      await exists(routes, 'sluice-repos'),
      await exists(routes, 'sluice-repo-access'),
      ...(provider === 'apisix' ? [await exists(APISIX_UPSTREAMS, GATEWAY_NAMES.stable.workload)] : []),
    ];
    const gone = await eventually(fleet, (present) => present.every((p) => !p), 30_000);
    expect(gone).toEqual(gone.map(() => false));
    expect(gone.length).toBe(provider === 'apisix' ? 6 : 5);
  });

  it('never met a forbidden answer on the way', () => {
    const denied = logLines
      .filter((line) => /forbidden|"status":403|event not recorded/i.test(line))
      .map((line) => {
        const entry = JSON.parse(line) as { msg: string; err?: { message?: string } };
        return `${entry.msg}: ${entry.err?.message ?? ''}`;
      });
    expect(denied).toEqual([]);
  });

  it('may do what the operator does and nothing it never needs', async () => {
    const allowed: Array<[string, ...string[]]> = [
      ['yes', 'list', 'logrepos.sluice.dev', '-n', logsNs],
      ['yes', 'patch', 'logrepos.sluice.dev', '--subresource=status', '-n', logsNs],
      ['yes', 'patch', 'deployments.apps', '-n', logsNs],
      ['yes', 'watch', 'gatewayfleets.sluice.dev', '-n', logsNs],
      ['yes', 'patch', 'gatewayfleets.sluice.dev', '--subresource=status', '-n', logsNs],
      ['yes', 'patch', 'horizontalpodautoscalers.autoscaling', '-n', logsNs],
      ['yes', 'delete', 'horizontalpodautoscalers.autoscaling', '-n', logsNs],
      ['yes', 'create', 'events', '-n', logsNs],
      ['yes', 'update', `leases.coordination.k8s.io/${config.leaseName}`, '-n', releaseNs],
      // Secrets: gateway pods mount them by name; the operator never reads one.
      ['no', 'get', 'secrets', '-n', logsNs],
      ['no', 'list', 'secrets', '-n', logsNs],
      ['no', 'watch', 'secrets', '-n', logsNs],
      ['no', 'list', 'secrets', '-n', releaseNs],
      // Only list and watch on the custom resources, and only their status is written.
      ['no', 'get', 'logrepos.sluice.dev', '-n', logsNs],
      ['no', 'update', 'logrepos.sluice.dev', '-n', logsNs],
      ['no', 'patch', 'kafkaproducers.sluice.dev', '-n', logsNs],
      ['no', 'patch', 'gatewayfleets.sluice.dev', '-n', logsNs],
      ['no', 'update', 'horizontalpodautoscalers.autoscaling', '-n', logsNs],
      // Owned kinds are applied (patch), never updated; no pods, no other kinds.
      ['no', 'update', 'deployments.apps', '-n', logsNs],
      ['no', 'create', 'pods', '-n', logsNs],
      ['no', 'get', 'events', '-n', logsNs],
      ['no', 'create', 'rolebindings.rbac.authorization.k8s.io', '-n', logsNs],
      // Its own Lease only, and only in the release namespace.
      ['no', 'update', 'leases.coordination.k8s.io/another-lease', '-n', releaseNs],
      ['no', 'delete', `leases.coordination.k8s.io/${config.leaseName}`, '-n', releaseNs],
      ['no', 'create', 'leases.coordination.k8s.io', '-n', logsNs],
      // The other route kind is not granted; APISIX's upstreams only with the apisix provider.
      [
        'no',
        'create',
        provider === 'apisix' ? 'httproutes.gateway.networking.k8s.io' : 'apisixroutes.apisix.apache.org',
        '-n',
        logsNs,
      ],
      [provider === 'apisix' ? 'yes' : 'no', 'delete', 'apisixupstreams.apisix.apache.org', '-n', logsNs],
      ...(scope === 'namespaced'
        ? ([
            // Nothing outside the watched namespaces.
            ['no', 'list', 'configmaps', '-n', 'default'],
            ['no', 'list', 'logrepos.sluice.dev', '--all-namespaces'],
          ] as Array<[string, ...string[]]>)
        : []),
    ];
    const answers = [];
    for (const [, ...args] of allowed) answers.push(await canI(...args));
    expect(answers.map((answer, index) => `${answer}: ${allowed[index]?.slice(1).join(' ')}`)).toEqual(
      allowed.map(([expected, ...args]) => `${expected}: ${args.join(' ')}`),
    );
  });
});
