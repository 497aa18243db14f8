import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pino from 'pino';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { createGatewayMetrics } from '../../gateway/observability/metrics.ts';
import { fleetResources, HORIZONTAL_POD_AUTOSCALERS } from '../../operator/controller/fleet-resources.ts';
import { startOperator } from '../../operator/controller/operator-controller.ts';
import {
  CONFIG_MAPS,
  GATEWAY_FLEETS,
  KAFKA_PRODUCERS,
  LOG_REPOS,
} from '../../operator/controller/resources.ts';
import { operatorConfig } from '../../operator/operator-config.ts';
import type { RouteProvider } from '../../operator/render/render-routes.ts';
import {
  CHART_DIR,
  ensureHelm,
  helm,
  helmOk,
  type Manifest,
  prometheusOperatorCrdDir,
  renderChart,
} from '../infra/helm.ts';
import { applyManifests, kubectl, kubectlOk, waitForCrds } from '../infra/kubectl.ts';
import { createFakeKubeClient } from '../support/fake-kube-client.ts';

// The Helm chart (charts/sluice) with the real, pinned helm (built by test/infra/helm.ts):
// lint, render, the schema's rejections, and the rendered objects accepted by the real
// apiserver in a server-side dry run. ServiceMonitor and PrometheusRule are dry-run too: the
// prometheus-operator CRDs are fetched at test time as a Go module (never copied into the
// project) and installed first.

const id = Date.now().toString(36);
const release = `chart-${id}`;
// The objects' names: "<release>-<chart>" (the release name does not hold the chart's).
const fullname = `${release}-sluice`;
const releaseNs = `chart-${id}`;
const watched = [`chart-${id}-a`, `chart-${id}-b`];
const CI_VALUES = join(CHART_DIR, 'ci', 'namespaced-gateway-api-values.yaml');
// The non-default install, watching this file's own namespaces.
const networkPolicyArgs = [
  '--set',
  'gateway.networkPolicy.enabled=true',
  '--set-json',
  'gateway.networkPolicy.from=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"apisix"}}}]',
];
const namespacedArgs = ['-f', CI_VALUES, '--set', `operator.watchNamespaces={${watched.join(',')}}`];

// Only the kinds the chart renders.
const MONITORING_CRDS = ['servicemonitors', 'prometheusrules'];

const ofKind = (manifests: Manifest[], kind: string) => manifests.filter((m) => m.kind === kind);
const one = (manifests: Manifest[], kind: string) => {
  const found = ofKind(manifests, kind);
  expect(found, kind).toHaveLength(1);
  return found[0] as Manifest;
};
type Container = {
  args: string[];
  env: Array<{ name: string; value?: string }>;
  securityContext: Record<string, unknown>;
  livenessProbe: { httpGet: { path: string; port: string } };
  readinessProbe: { httpGet: { path: string; port: string } };
  ports: Array<{ name: string; containerPort: number }>;
};
const operatorContainer = (manifests: Manifest[]) => {
  const deployment = one(manifests, 'Deployment') as Manifest & {
    spec: { replicas: number; template: { spec: { containers: Container[]; securityContext: object } } };
  };
  return { deployment, container: deployment.spec.template.spec.containers[0] as Container };
};
/** The operator's environment as the pod gets it (POD_NAMESPACE comes from the downward API). */
const envOf = (container: Container, namespace: string) => ({
  ...Object.fromEntries(container.env.map((e) => [e.name, e.value])),
  POD_NAMESPACE: namespace,
});

type Rule = { apiGroups: string[]; resources: string[]; verbs: string[]; resourceNames?: string[] };
const rulesOf = (role: Manifest) => role.rules as Rule[];
/** Verbs the rules grant on `group`/`resource` (without resourceNames restrictions). */
const verbsOn = (rules: Rule[], group: string, resource: string) =>
  rules
    .filter((r) => r.apiGroups.includes(group) && r.resources.includes(resource) && !r.resourceNames)
    .flatMap((r) => r.verbs)
    .sort();
const groupOf = (groupVersionPath: string) =>
  groupVersionPath.startsWith('/api/') ? '' : (groupVersionPath.split('/')[2] ?? '');

/** Every metric name the gateway and the operator export, as Prometheus stores them. */
async function exportedSeriesNames(): Promise<Set<string>> {
  const names = new Set<string>();
  const add = (name: string, type: string) => {
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    else names.add(name);
  };
  for (const metric of await createGatewayMetrics({ defaultMetrics: false }).registry.getMetricsAsJSON())
    add(metric.name, String(metric.type));
  // The operator's registry, from an operator on an empty in-memory API.
  const silent = createFakeKubeClient();
  const operator = startOperator({
    client: silent,
    logger: pino({ level: 'silent' }),
    events: { record: async () => undefined },
    namespaces: ['none'],
  });
  for (const metric of await operator.metrics.registry.getMetricsAsJSON())
    add(metric.name, String(metric.type));
  await operator.stop();
  return names;
}
const seriesNamesIn = (text: string) => new Set(text.match(/\bsluice_[a-z_]+\b/g) ?? []);

describe('helm chart charts/sluice', () => {
  beforeAll(async () => {
    // A cold build of helm takes minutes: in the hook, not in the first test.
    await ensureHelm();
    for (const ns of [releaseNs, ...watched]) await kubectlOk(['create', 'namespace', ns]);
  });

  it.each([
    ['default values', [] as string[]],
    ['namespaced RBAC, gateway-api, monitoring', namespacedArgs],
  ])('passes helm lint --strict with %s', async (_name, args) => {
    const out = await helmOk(['lint', CHART_DIR, '--strict', '--namespace', releaseNs, ...args]);
    expect(out).toContain('1 chart(s) linted, 0 chart(s) failed');
  });

  it.each([
    {
      name: 'gateway-api without parentRefs warns',
      args: ['--set', 'routes.provider=gateway-api'],
      warns: true,
    },
    {
      name: 'gateway-api with a parentRef does not',
      args: ['--set', 'routes.provider=gateway-api', '--set', 'routes.parentRefs[0].name=edge'],
      warns: false,
    },
    { name: 'apisix does not', args: [] as string[], warns: false },
  ])('NOTES: $name that the HTTPRoutes attach to no Gateway', async ({ args, warns }) => {
    const out = await helmOk(
      ['install', `notes-${id}`, CHART_DIR, '--dry-run=client', '--namespace', releaseNs, ...args],
      { kubeconfig: inject('kubeconfig') },
    );
    expect(out).toContain('NOTES:');
    expect(out.includes('WARNING: routes.parentRefs is empty')).toBe(warns);
  });

  it('renders the defaults: CRDs, a two-replica hardened operator, cluster RBAC, no monitoring', async () => {
    const { manifests } = await renderChart(release, releaseNs, ['--include-crds']);
    expect(
      ofKind(manifests, 'CustomResourceDefinition')
        .map((m) => m.metadata.name)
        .sort(),
    ).toEqual(['gatewayfleets.sluice.dev', 'kafkaproducers.sluice.dev', 'logrepos.sluice.dev']);
    const { deployment, container } = operatorContainer(manifests);
    expect(deployment.spec.replicas).toBe(2);
    expect(deployment.spec.template.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(container.securityContext).toMatchObject({
      runAsNonRoot: true,
      readOnlyRootFilesystem: true,
      allowPrivilegeEscalation: false,
      capabilities: { drop: ['ALL'] },
    });
    expect(container.args).toEqual(['operator']);
    expect(container.ports).toEqual([{ name: 'http-metrics', containerPort: 8081, protocol: 'TCP' }]);
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http-metrics' });
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http-metrics' });
    expect(ofKind(manifests, 'ClusterRole').map((m) => m.metadata.name)).toContain(fullname);
    expect(one(manifests, 'ClusterRoleBinding').metadata.name).toBe(fullname);
    // Leases only in the release namespace, whatever the scope.
    const leaseRole = ofKind(manifests, 'Role');
    expect(leaseRole.map((m) => [m.metadata.name, m.metadata.namespace])).toEqual([
      [`${fullname}-leader-election`, releaseNs],
    ]);
    for (const kind of ['ServiceMonitor', 'PrometheusRule', 'ConfigMap'])
      expect(ofKind(manifests, kind)).toEqual([]);
  });

  it('passes a configuration the operator accepts, and it is what the values say', async () => {
    const defaults = operatorConfig(
      {},
      envOf(operatorContainer((await renderChart(release, releaseNs)).manifests).container, releaseNs),
    );
    expect(defaults.ok && defaults.value).toMatchObject({
      namespaces: 'all',
      healthPort: 8081,
      leaderElection: true,
      leaseNamespace: releaseNs,
      leaseName: 'sluice-operator',
      fleet: {
        stable: { image: 'sluice/gateway:0.1.0', replicas: 2, workers: 1 },
        canary: { image: 'sluice/gateway:0.1.0', replicas: 1, workers: 1 },
        canaryGraceSeconds: 300,
      },
      routes: { provider: 'apisix', hosts: [], priorities: { exact: 100, prefix: 0 }, parentRefs: [] },
    });
    const custom = operatorConfig(
      {},
      envOf(
        operatorContainer((await renderChart(release, releaseNs, namespacedArgs)).manifests).container,
        releaseNs,
      ),
    );
    expect(custom.ok ? custom.value : custom.issues).toMatchObject({
      namespaces: watched,
      fleet: {
        stable: {
          image: 'sluice/gateway:0.1.0',
          replicas: 3,
          workers: 2,
          resources: { requests: { cpu: '200m', memory: '256Mi' }, limits: { memory: '512Mi' } },
        },
        // Canary resources and workers left empty: the stable track's.
        canary: {
          image: 'sluice/gateway:0.2.0',
          replicas: 1,
          workers: 2,
          resources: { limits: { memory: '512Mi' } },
        },
        canaryGraceSeconds: 120,
        listenerTls: { secretName: 'gateway-tls' },
        trustedProxies: ['10.0.0.0/8', 'fd00::/8'],
      },
      routes: {
        provider: 'gateway-api',
        hosts: ['logs.example.com'],
        parentRefs: [{ name: 'edge', namespace: 'gateways', sectionName: 'https' }],
      },
    });
  });

  it('passes the NetworkPolicy peers with the operator itself first', async () => {
    const { manifests } = await renderChart(release, releaseNs, networkPolicyArgs);
    const config = operatorConfig({}, envOf(operatorContainer(manifests).container, releaseNs));
    expect(config.ok ? config.value.fleet.networkPolicy : config.issues).toEqual({
      from: [
        {
          namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': releaseNs } },
          podSelector: { matchLabels: expect.objectContaining({ 'app.kubernetes.io/name': 'sluice' }) },
        },
        { namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'apisix' } } },
      ],
    });
  });

  it.each([
    ['cluster', 'apisix', []],
    ['namespaced', 'gateway-api', namespacedArgs],
    ['cluster', 'none', ['--set', 'routes.provider=none']],
    ['cluster', 'apisix', networkPolicyArgs],
  ] as Array<[string, RouteProvider, string[]]>)(
    'grants with %s scope and %s routes exactly the resources the operator watches and writes (%j)',
    async (scope, provider, args) => {
      const { manifests } = await renderChart(release, releaseNs, args);
      const roles =
        scope === 'cluster'
          ? ofKind(manifests, 'ClusterRole').filter((m) => m.metadata.name === fullname)
          : ofKind(manifests, 'Role').filter((m) => m.metadata.name === fullname);
      expect(roles.map((m) => m.metadata.namespace ?? 'cluster')).toEqual(
        scope === 'cluster' ? ['cluster'] : watched,
      );
      if (scope === 'namespaced') {
        expect(ofKind(manifests, 'ClusterRole')).toEqual([]);
        expect(ofKind(manifests, 'ClusterRoleBinding')).toEqual([]);
      }
      for (const role of roles) {
        const rules = rulesOf(role);
        const read = [LOG_REPOS, KAFKA_PRODUCERS, GATEWAY_FLEETS];
        for (const ref of read) {
          expect(verbsOn(rules, groupOf(ref.groupVersionPath), ref.plural)).toEqual(['list', 'watch']);
          expect(verbsOn(rules, groupOf(ref.groupVersionPath), `${ref.plural}/status`)).toEqual(['patch']);
        }
        // The autoscalers of GatewayFleets, whatever else the fleet writes (once).
        const owned = [
          ...new Set([
            CONFIG_MAPS,
            ...fleetResources(provider, args === networkPolicyArgs),
            HORIZONTAL_POD_AUTOSCALERS,
          ]),
        ];
        for (const ref of owned) {
          expect(verbsOn(rules, groupOf(ref.groupVersionPath), ref.plural), ref.plural).toEqual([
            'create',
            'delete',
            'list',
            'patch',
            'watch',
          ]);
        }
        expect(verbsOn(rules, '', 'events')).toEqual(['create']);
        // Read only: the gateway pods' addresses, which the operator polls.
        expect(verbsOn(rules, 'discovery.k8s.io', 'endpointslices')).toEqual(['list', 'watch']);
        // Nothing else: as many resources as the operator's kinds, plus the statuses, events and EndpointSlices.
        const granted = rules.flatMap((r) => r.resources.map((resource) => `${r.apiGroups[0]}/${resource}`));
        expect(granted).toHaveLength(read.length * 2 + owned.length + 1 + 1);
        expect(granted.some((resource) => resource.includes('secrets'))).toBe(false);
        expect(rules.flatMap((r) => r.verbs)).not.toContain('*');
      }
      const lease = ofKind(manifests, 'Role').find((m) => m.metadata.name === `${fullname}-leader-election`);
      expect(rulesOf(lease as Manifest)).toEqual([
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['create'] },
        {
          apiGroups: ['coordination.k8s.io'],
          resources: ['leases'],
          resourceNames: ['sluice-operator'],
          verbs: ['get', 'update'],
        },
      ]);
    },
  );

  it('lets the built-in admin and edit roles manage, and view read, every Sluice kind', async () => {
    const { manifests } = await renderChart(release, releaseNs, []);
    const role = (suffix: string) =>
      ofKind(manifests, 'ClusterRole').find((m) => m.metadata.name === `${fullname}-${suffix}`) as Manifest;
    const kinds = [LOG_REPOS, KAFKA_PRODUCERS, GATEWAY_FLEETS].map((ref) => ref.plural);
    for (const plural of kinds) {
      expect(verbsOn(rulesOf(role('edit')), 'sluice.dev', plural), plural).toEqual([
        'create',
        'delete',
        'deletecollection',
        'get',
        'list',
        'patch',
        'update',
        'watch',
      ]);
      expect(verbsOn(rulesOf(role('view')), 'sluice.dev', plural), plural).toEqual(['get', 'list', 'watch']);
    }
    expect(role('edit').metadata.labels).toMatchObject({
      'rbac.authorization.k8s.io/aggregate-to-admin': 'true',
      'rbac.authorization.k8s.io/aggregate-to-edit': 'true',
    });
    expect(role('view').metadata.labels).toMatchObject({
      'rbac.authorization.k8s.io/aggregate-to-view': 'true',
    });
  });

  it('renders monitoring: ServiceMonitors with a track label, alerts and dashboard on real metric names', async () => {
    const { manifests } = await renderChart(release, releaseNs, namespacedArgs);
    const monitors = ofKind(manifests, 'ServiceMonitor');
    expect(monitors.map((m) => m.metadata.name)).toEqual([fullname, `${fullname}-gateways`]);
    expect(monitors.every((m) => m.metadata.labels?.release === 'prometheus')).toBe(true);
    const gateways = monitors[1] as Manifest & {
      spec: { namespaceSelector: unknown; endpoints: Array<{ relabelings: unknown[] }> };
    };
    expect(gateways.spec.namespaceSelector).toEqual({ matchNames: watched });
    expect(gateways.spec.endpoints[0]).toMatchObject({
      port: 'http',
      scheme: 'https',
      tlsConfig: { serverName: 'sluice-gateway' },
    });
    expect(gateways.spec.endpoints[0]?.relabelings).toEqual([
      { sourceLabels: ['__meta_kubernetes_service_label_sluice_dev_track'], targetLabel: 'track' },
    ]);

    const exported = await exportedSeriesNames();
    const rule = one(manifests, 'PrometheusRule') as Manifest & {
      spec: { groups: Array<{ rules: Array<{ alert: string; expr: string }> }> };
    };
    const alerts = rule.spec.groups.flatMap((group) => group.rules);
    expect(alerts.map((a) => a.alert)).toEqual([
      'SluiceAsyncLinesLost',
      'SluiceKafkaProducerErrors',
      'SluiceLinesDroppedHigh',
      'SluiceLinesInvalid',
      'SluiceConfigReloadFailed',
      'SluiceCanaryErrorRateAboveStable',
      'SluiceOperatorReconcileErrors',
    ]);
    const used = seriesNamesIn(alerts.map((a) => a.expr).join('\n'));
    expect([...used].filter((name) => !exported.has(name))).toEqual([]);
    expect(alerts.find((a) => a.alert === 'SluiceCanaryErrorRateAboveStable')?.expr).toMatch(
      /track="canary"[\s\S]*track="stable"[\s\S]*> 0\.02/,
    );

    const dashboards = one(manifests, 'ConfigMap') as Manifest & { data: Record<string, string> };
    expect(dashboards.metadata.labels?.grafana_dashboard).toBe('1');
    const json = dashboards.data['sluice.json'] as string;
    // The file as it is (a block scalar keeps all but the final newline).
    expect(json).toBe((await readFile(join(CHART_DIR, 'dashboards', 'sluice.json'), 'utf8')).trimEnd());
    const dashboard = JSON.parse(json) as {
      uid: string;
      panels: Array<{ targets?: Array<{ expr: string }> }>;
    };
    expect(dashboard.uid).toBe('sluice-overview');
    const exprs = dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((t) => t.expr)).join('\n');
    const dashboardNames = seriesNamesIn(exprs);
    expect([...dashboardNames].filter((name) => !exported.has(name))).toEqual([]);
    for (const name of [
      'sluice_lines_received_total',
      'sluice_lines_accepted_total',
      'sluice_lines_dropped_total',
      'sluice_produce_latency_seconds_bucket',
      'sluice_requests_total',
    ])
      expect(dashboardNames).toContain(name);
    expect(exprs).toMatch(/sum by \(track/);
  });

  it('is accepted by the real apiserver (server-side dry run), monitoring kinds included', async () => {
    const crdDir = await prometheusOperatorCrdDir();
    const crds = await applyManifests(
      { files: MONITORING_CRDS.map((name) => join(crdDir, `monitoring.coreos.com_${name}.yaml`)) },
      { fieldManager: 'sluice-tests' },
    );
    await waitForCrds(crds, { timeoutMs: 90_000 });
    for (const args of [['--include-crds'], ['--include-crds', ...namespacedArgs]]) {
      const { yaml, manifests } = await renderChart(release, releaseNs, args);
      const out = await kubectlOk(
        [
          'apply',
          '--server-side',
          '--dry-run=server',
          '--field-manager=sluice-chart-test',
          '-o',
          'name',
          '-f',
          '-',
        ],
        { input: yaml },
      );
      expect(out.trim().split('\n')).toHaveLength(manifests.length);
    }
  });

  it('installs, upgrades to namespaced RBAC and uninstalls with the real helm, printing its notes', async () => {
    const kubeconfig = inject('kubeconfig');
    const exists = async (kind: string, name: string, namespace?: string) =>
      (await kubectl(['get', kind, name, ...(namespace ? ['-n', namespace] : [])])).code === 0;
    const installed = await helmOk(['install', release, CHART_DIR, '--namespace', releaseNs], { kubeconfig });
    expect(installed).toContain('STATUS: deployed');
    expect(installed).toContain('watches every namespace');
    expect(installed).toContain(`kubectl -n ${releaseNs} rollout status deployment/${fullname}`);
    expect(await exists('deployment', fullname, releaseNs)).toBe(true);
    expect(await exists('clusterrole', fullname)).toBe(true);

    const upgraded = await helmOk(
      ['upgrade', release, CHART_DIR, '--namespace', releaseNs, ...namespacedArgs],
      {
        kubeconfig,
      },
    );
    expect(upgraded).toContain(`watches the namespaces ${watched.join(', ')}`);
    expect(await exists('clusterrole', fullname)).toBe(false);
    expect(await exists('role', fullname, watched[1])).toBe(true);
    expect(await exists('prometheusrule', fullname, releaseNs)).toBe(true);

    await helmOk(['uninstall', release, '--namespace', releaseNs], { kubeconfig });
    expect(await exists('deployment', fullname, releaseNs)).toBe(false);
    expect(await exists('role', fullname, watched[0])).toBe(false);
  });

  // values.schema.json: helm template, install and lint all stop, naming the value.
  it.each([
    [
      'an unknown rbac scope',
      ['--set', 'rbac.scope=namespace'],
      "at '/rbac/scope': value must be one of 'cluster', 'namespaced'",
    ],
    [
      'a misspelt key',
      ['--set', 'operator.replica=3'],
      "at '/operator': additional properties 'replica' not allowed",
    ],
    [
      'a resource quantity that is not one',
      ['--set', 'gateway.stable.resources.requests.cpu=lots'],
      "at '/gateway/stable/resources/requests/cpu': 'lots' does not match pattern",
    ],
    [
      'an unknown route provider',
      ['--set', 'routes.provider=nginx'],
      "at '/routes/provider': value must be one of",
    ],
    [
      'a malformed digest',
      ['--set', 'image.digest=sha256:abc'],
      "at '/image/digest': 'sha256:abc' does not match pattern",
    ],
    [
      'namespaced RBAC without namespaces',
      ['--set', 'rbac.scope=namespaced'],
      "at '/operator/watchNamespaces': minItems: got 0, want 1",
    ],
  ])('rejects %s in the schema, in template and lint alike', async (_name, args, message) => {
    const template = await helm(['template', release, CHART_DIR, '--namespace', releaseNs, ...args]);
    expect(template.code).not.toBe(0);
    expect(template.stderr).toContain(message);
    const lint = await helm(['lint', CHART_DIR, '--strict', '--namespace', releaseNs, ...args]);
    expect(lint.code).not.toBe(0);
    expect(lint.stdout).toContain(message);
  });

  // Cross-field checks in the templates (`fail`), with the reason in the message. Helm's lint
  // mode only logs a template's `fail`, so these stop template and install, not lint.
  it.each([
    [
      'two replicas without leader election',
      ['--set', 'operator.leaderElection.enabled=false'],
      'operator.replicas above 1 requires operator.leaderElection.enabled',
    ],
    [
      'parentRefs with APISIX routes',
      ['--set', 'routes.parentRefs[0].name=edge'],
      'routes.parentRefs applies to routes.provider gateway-api only',
    ],
    [
      'an ingress class with Gateway API routes',
      ['--set', 'routes.provider=gateway-api', '--set', 'routes.ingressClassName=apisix'],
      'routes.ingressClassName applies to routes.provider apisix only',
    ],
  ])('rejects %s when rendering, saying why', async (_name, args, message) => {
    const template = await helm(['template', release, CHART_DIR, '--namespace', releaseNs, ...args]);
    expect(template.code).not.toBe(0);
    expect(template.stderr).toContain(message);
  });
});
