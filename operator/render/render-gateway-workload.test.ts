import { describe, expect, it } from 'vitest';
import type { TrackSettings } from '../operator-config.ts';
import { renderGatewayWorkload, type WorkloadInputs } from './render-gateway-workload.ts';

const settings: TrackSettings = {
  image: 'sluice/gateway:1.0.0',
  replicas: 2,
  resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '256Mi' } },
};
const inputs = (overrides: Partial<WorkloadInputs> = {}): WorkloadInputs => ({
  namespace: 'logs',
  track: 'stable',
  settings,
  secrets: [],
  ...overrides,
});
type Pod = {
  metadata: { labels: Record<string, string>; annotations: Record<string, string> };
  spec: {
    securityContext: Record<string, unknown>;
    containers: Array<Record<string, unknown> & { volumeMounts: Array<Record<string, unknown>> }>;
    volumes: Array<Record<string, unknown>>;
    topologySpreadConstraints: Array<Record<string, unknown>>;
  };
};
const podOf = (rendered: ReturnType<typeof renderGatewayWorkload>) =>
  (rendered.deployment.spec as { template: Pod }).template;
const podDigest = (rendered: ReturnType<typeof renderGatewayWorkload>) =>
  podOf(rendered).metadata.annotations['sluice.dev/pod-spec-digest'];

describe('renderGatewayWorkload', () => {
  it.each([
    { track: 'stable' as const, name: 'sluice-gateway', configMap: 'sluice-gateway-config' },
    { track: 'canary' as const, name: 'sluice-gateway-canary', configMap: 'sluice-gateway-config-canary' },
  ])('names, labels and selects the $track track and mounts its ConfigMap', ({ track, name, configMap }) => {
    const rendered = renderGatewayWorkload(inputs({ track }));
    const selector = {
      'app.kubernetes.io/name': 'sluice',
      'app.kubernetes.io/component': 'gateway',
      'sluice.dev/track': track,
    };
    for (const object of [rendered.deployment, rendered.service, rendered.podDisruptionBudget]) {
      expect(object.metadata).toMatchObject({
        name,
        namespace: 'logs',
        labels: { ...selector, 'app.kubernetes.io/managed-by': 'sluice-operator' },
      });
      expect(object.metadata.annotations?.['sluice.dev/applied-digest']).toMatch(/^[0-9a-f]{16}$/);
    }
    expect(rendered.deployment.spec).toMatchObject({ replicas: 2, selector: { matchLabels: selector } });
    expect(rendered.service.spec).toMatchObject({ selector, ports: [{ port: 80, targetPort: 'http' }] });
    expect(rendered.podDisruptionBudget.spec).toEqual({
      maxUnavailable: 1,
      selector: { matchLabels: selector },
    });
    const pod = podOf(rendered);
    expect(pod.metadata.labels).toMatchObject(selector);
    expect(pod.spec.volumes).toContainEqual({ name: 'config', configMap: { name: configMap } });
  });

  it('mounts the config as a directory (no subPath), read-only, and points SLUICE_CONFIG inside it', () => {
    const container = podOf(renderGatewayWorkload(inputs())).spec.containers[0];
    const mount = container?.volumeMounts.find((m) => m.name === 'config');
    expect(mount).toEqual({ name: 'config', mountPath: '/etc/sluice/config', readOnly: true });
    expect(container?.volumeMounts.every((m) => !('subPath' in m))).toBe(true);
    expect(container?.env).toContainEqual({
      name: 'SLUICE_CONFIG',
      value: '/etc/sluice/config/gateway.yaml',
    });
  });

  it.each([
    { workers: undefined, env: [] },
    { workers: 1, env: [] },
    { workers: 4, env: [{ name: 'SLUICE_GATEWAY_WORKERS', value: '4' }] },
  ])('runs $workers gateway process(es) per pod', ({ workers, env }) => {
    const container = podOf(
      renderGatewayWorkload(
        inputs({ settings: { ...settings, ...(workers === undefined ? {} : { workers }) } }),
      ),
    ).spec.containers[0];
    expect(
      ((container?.env ?? []) as Array<{ name: string }>).filter((e) => e.name === 'SLUICE_GATEWAY_WORKERS'),
    ).toEqual(env);
  });

  it.each([
    { secrets: [], volumes: [] },
    {
      secrets: ['kafka-ca', 'kafka-sasl'],
      volumes: [
        { name: 'secret-kafka-ca', path: '/etc/sluice/secrets/kafka-ca', secret: 'kafka-ca' },
        { name: 'secret-kafka-sasl', path: '/etc/sluice/secrets/kafka-sasl', secret: 'kafka-sasl' },
      ],
    },
    {
      secrets: ['tls.client.cert'],
      volumes: [
        {
          name: 'secret-d7d2e5bda8f6e985',
          path: '/etc/sluice/secrets/tls.client.cert',
          secret: 'tls.client.cert',
        },
      ],
    },
  ])('mounts every referenced Secret at /etc/sluice/secrets/<name>: $secrets', ({ secrets, volumes }) => {
    const pod = podOf(renderGatewayWorkload(inputs({ secrets })));
    const secretVolumes = pod.spec.volumes.filter((volume) => 'secret' in volume);
    const secretMounts = pod.spec.containers[0]?.volumeMounts.filter((m) =>
      String(m.mountPath).startsWith('/etc/sluice/secrets/'),
    );
    expect(secretVolumes.map((v) => v.name)).toEqual(volumes.map((v) => v.name));
    expect(secretVolumes).toHaveLength(volumes.length);
    for (const [index, want] of volumes.entries()) {
      expect(secretVolumes[index]).toMatchObject({ secret: { secretName: want.secret, optional: true } });
      expect(secretMounts?.[index]).toMatchObject({ mountPath: want.path, readOnly: true });
      expect(String(secretVolumes[index]?.name)).toMatch(/^secret-[a-z0-9-]{1,56}$/);
    }
  });

  it('runs hardened: non-root, read-only root filesystem, no privilege escalation, all capabilities dropped', () => {
    const pod = podOf(renderGatewayWorkload(inputs()));
    expect(pod.spec.securityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: 'RuntimeDefault' },
    });
    expect(pod.spec.containers[0]?.securityContext).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
    });
  });

  it.each([
    { listenerTls: false, scheme: undefined, appProtocol: undefined },
    { listenerTls: true, scheme: 'HTTPS', appProtocol: 'https' },
  ])(
    'probes over TLS and marks the Service port when the fleet serves HTTPS: $listenerTls',
    ({ listenerTls, scheme, appProtocol }) => {
      const rendered = renderGatewayWorkload(inputs({ listenerTls }));
      const container = podOf(rendered).spec.containers[0] as Record<
        string,
        { httpGet: { scheme?: string } }
      >;
      for (const probe of ['startupProbe', 'livenessProbe', 'readinessProbe']) {
        expect(container[probe]?.httpGet.scheme).toBe(scheme);
      }
      const ports = (rendered.service.spec as { ports: Array<{ appProtocol?: string }> }).ports;
      expect(ports.map((port) => port.appProtocol)).toEqual([appProtocol]);
    },
  );

  it('probes /healthz and /readyz and spreads pods over zones and nodes', () => {
    const pod = podOf(renderGatewayWorkload(inputs({ track: 'canary' })));
    const container = pod.spec.containers[0] as Record<string, { httpGet: { path: string } }>;
    expect(container.livenessProbe?.httpGet.path).toBe('/healthz');
    expect(container.readinessProbe?.httpGet.path).toBe('/readyz');
    expect(container.startupProbe?.httpGet.path).toBe('/healthz');
    expect(pod.spec.topologySpreadConstraints.map((c) => c.topologyKey)).toEqual([
      'topology.kubernetes.io/zone',
      'kubernetes.io/hostname',
    ]);
    expect(pod.spec.topologySpreadConstraints[0]).toMatchObject({
      maxSkew: 1,
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: { 'sluice.dev/track': 'canary' } },
    });
  });

  it.each([
    {
      change: 'the image',
      with: inputs({ settings: { ...settings, image: 'sluice/gateway:1.1.0' } }),
      rolls: true,
    },
    {
      change: 'the resources',
      with: inputs({ settings: { ...settings, resources: { requests: { cpu: '200m' } } } }),
      rolls: true,
    },
    { change: 'a new Secret', with: inputs({ secrets: ['kafka-sasl'] }), rolls: true },
    { change: 'the replicas', with: inputs({ settings: { ...settings, replicas: 5 } }), rolls: false },
    { change: 'the canary idle time', with: inputs({ idleSince: '2026-01-01T00:00:00.000Z' }), rolls: false },
  ])('the pod-spec digest moves with $change: $rolls', ({ with: changed, rolls }) => {
    const before = renderGatewayWorkload(inputs());
    const after = renderGatewayWorkload(changed);
    expect(podDigest(after) !== podDigest(before)).toBe(rolls);
    // Whatever changed, the Deployment's applied digest says it must be applied.
    expect(after.deployment.metadata.annotations?.['sluice.dev/applied-digest']).not.toBe(
      before.deployment.metadata.annotations?.['sluice.dev/applied-digest'],
    );
  });

  it('is deterministic', () => {
    expect(renderGatewayWorkload(inputs({ secrets: ['a', 'b'] }))).toEqual(
      renderGatewayWorkload(inputs({ secrets: ['a', 'b'] })),
    );
  });
});

describe('renderGatewayWorkload replicas override', () => {
  it.each([
    { name: 'absent: the settings', overrides: {}, expected: 2 },
    { name: 'a number: that number', overrides: { replicas: 5 }, expected: 5 },
    {
      name: 'present and undefined: left out (an autoscaler owns it)',
      overrides: { replicas: undefined },
      expected: undefined,
    },
  ])('$name', ({ overrides, expected }) => {
    const { deployment } = renderGatewayWorkload(inputs(overrides));
    const spec = deployment.spec as Record<string, unknown>;
    expect(spec.replicas).toBe(expected);
    expect('replicas' in spec).toBe(expected !== undefined);
  });

  it('moves the applied digest, never the pod template, with the replicas', () => {
    const [absent, none, five] = [{}, { replicas: undefined }, { replicas: 5 }].map((o) =>
      renderGatewayWorkload(inputs(o)),
    );
    const digests = [absent, none, five].map(
      (r) => r?.deployment.metadata.annotations?.['sluice.dev/applied-digest'],
    );
    expect(new Set(digests).size).toBe(3);
    expect(podDigest(none as ReturnType<typeof renderGatewayWorkload>)).toBe(
      podDigest(absent as ReturnType<typeof renderGatewayWorkload>),
    );
  });
});
