import { describe, expect, it } from 'vitest';
import { DEFAULT_GATEWAY_IMAGE, DEFAULT_RESOURCES, operatorConfig } from './operator-config.ts';

describe('operatorConfig', () => {
  it('defaults: a stable and canary track of the same image, APISIX routes, a 5-minute canary grace period', () => {
    const config = operatorConfig({}, {});
    expect(config.ok).toBe(true);
    if (!config.ok) return;
    expect(config.value.fleet).toEqual({
      stable: { image: DEFAULT_GATEWAY_IMAGE, replicas: 2, resources: DEFAULT_RESOURCES },
      canary: { image: DEFAULT_GATEWAY_IMAGE, replicas: 1, resources: DEFAULT_RESOURCES },
      canaryGraceSeconds: 300,
    });
    expect(config.value.routes).toEqual({
      provider: 'apisix',
      hosts: [],
      priorities: { exact: 100, prefix: 0 },
      parentRefs: [],
    });
  });

  it.each([
    {
      name: 'a canary image from the environment',
      flags: {},
      env: { SLUICE_STABLE_IMAGE: 'sluice/gateway:1.0', SLUICE_CANARY_IMAGE: 'sluice/gateway:1.1' },
      pick: (c: ReturnType<typeof read>) => [c.fleet.stable.image, c.fleet.canary.image],
      want: ['sluice/gateway:1.0', 'sluice/gateway:1.1'],
    },
    {
      name: 'a listener TLS Secret for the fleet',
      flags: {},
      env: { SLUICE_GATEWAY_TLS_SECRET: 'gateway-tls' },
      pick: (c: ReturnType<typeof read>) => c.fleet.listenerTls,
      want: { secretName: 'gateway-tls' },
    },
    {
      name: 'trusted proxies for the fleet',
      flags: { 'gateway-trusted-proxies': '10.0.0.0/8, fd00::/8' },
      env: {},
      pick: (c: ReturnType<typeof read>) => c.fleet.trustedProxies,
      want: ['10.0.0.0/8', 'fd00::/8'],
    },
    {
      name: 'no trusted proxies by default',
      flags: {},
      env: {},
      pick: (c: ReturnType<typeof read>) => c.fleet.trustedProxies,
      want: undefined,
    },
    {
      name: 'gateway workers per pod, per track (absent: one process)',
      flags: { 'stable-workers': '2' },
      env: { SLUICE_CANARY_WORKERS: '' },
      pick: (c: ReturnType<typeof read>) => [c.fleet.stable.workers, c.fleet.canary.workers],
      want: [2, undefined],
    },
    {
      name: 'flags over environment',
      flags: { 'canary-replicas': '3' },
      env: { SLUICE_CANARY_REPLICAS: '2' },
      pick: (c: ReturnType<typeof read>) => c.fleet.canary.replicas,
      want: 3,
    },
    {
      name: 'resources as JSON; the canary inherits the stable ones',
      flags: { 'stable-resources': '{"requests":{"cpu":"250m"}}' },
      env: {},
      pick: (c: ReturnType<typeof read>) => [c.fleet.stable.resources, c.fleet.canary.resources],
      want: [{ requests: { cpu: '250m' } }, { requests: { cpu: '250m' } }],
    },
    {
      name: 'Gateway API routes with parentRefs and hosts',
      flags: {
        'route-provider': 'gateway-api',
        'parent-refs': '[{"name":"edge","namespace":"gateways"}]',
        'route-hosts': 'logs.example.com, logs2.example.com',
      },
      env: {},
      pick: (c: ReturnType<typeof read>) => c.routes,
      want: {
        provider: 'gateway-api',
        hosts: ['logs.example.com', 'logs2.example.com'],
        priorities: { exact: 100, prefix: 0 },
        parentRefs: [{ name: 'edge', namespace: 'gateways' }],
      },
    },
    {
      name: 'APISIX class and priorities',
      flags: { 'ingress-class': 'apisix', 'exact-route-priority': '20', 'prefix-route-priority': '1' },
      env: {},
      pick: (c: ReturnType<typeof read>) => c.routes,
      want: {
        provider: 'apisix',
        ingressClassName: 'apisix',
        hosts: [],
        priorities: { exact: 20, prefix: 1 },
        parentRefs: [],
      },
    },
  ])('$name', ({ flags, env, pick, want }) => {
    expect(pick(read(flags, env))).toEqual(want);
  });

  it.each([
    {
      flags: { 'route-provider': 'nginx' },
      path: '/routes/provider',
      message: /expected one of apisix, gateway-api, none/,
    },
    { flags: { 'canary-grace-seconds': 'soon' }, path: '/fleet/canaryGraceSeconds', message: /integer/ },
    { flags: { 'stable-workers': '0' }, path: '/fleet/stable/workers', message: /1/ },
    { flags: { 'stable-resources': '{cpu: 1}' }, path: '/fleet/stable/resources', message: /must be JSON/ },
    {
      flags: { 'canary-resources': '{"requests":{"cpu":"lots"}}' },
      path: '/fleet/canary/resources/requests/cpu',
      message: /Kubernetes quantity/,
    },
    {
      flags: { 'gateway-trusted-proxies': '10.0.0.0/8,apisix' },
      path: '/fleet/trustedProxies/1',
      message: /not an IP address or CIDR/,
    },
    {
      flags: { 'parent-refs': '[{"namespace":"x"}]' },
      path: '/routes/parentRefs/0/name',
      message: /required/,
    },
  ])('rejects $flags with a message naming $path', ({ flags, path, message }) => {
    const config = operatorConfig(flags, {});
    expect(config.ok).toBe(false);
    if (config.ok) return;
    expect(config.issues).toContainEqual({ path, message: expect.stringMatching(message) });
  });
});

function read(flags: Record<string, string | undefined>, env: Record<string, string | undefined>) {
  const config = operatorConfig(flags, env);
  if (!config.ok) throw new Error(JSON.stringify(config.issues));
  return config.value;
}
