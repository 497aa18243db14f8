import { describe, expect, it } from 'vitest';
import type { GatewayFleetSpec } from '../api/gateway-fleet-spec.ts';
import type { FleetSettings } from '../operator-config.ts';
import { fleetSettingsFor } from './fleet-overrides.ts';

const base: FleetSettings = {
  stable: { image: 'sluice/gateway:1.0', replicas: 2, resources: { requests: { cpu: '100m' } } },
  canary: { image: 'sluice/gateway:1.0', replicas: 1, resources: { requests: { cpu: '50m' } }, workers: 2 },
  canaryGraceSeconds: 300,
  listenerTls: { secretName: 'gateway-tls' },
};
const cpu = { minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 70 };

describe('fleetSettingsFor', () => {
  it('returns the flags as they are without a GatewayFleet', () => {
    expect(fleetSettingsFor(base, undefined)).toBe(base);
  });

  it.each<{ name: string; fleet: GatewayFleetSpec; expected: Partial<ReturnType<typeof fleetSettingsFor>> }>([
    {
      name: 'an empty spec changes nothing',
      fleet: {},
      expected: { stable: base.stable, canary: base.canary },
    },
    {
      name: 'a stable image moves the canary with it (config-only canary)',
      fleet: { stable: { image: 'sluice/gateway:2.0' } },
      expected: {
        stable: { ...base.stable, image: 'sluice/gateway:2.0' },
        canary: { ...base.canary, image: 'sluice/gateway:2.0' },
      },
    },
    {
      name: 'a canary image of its own wins over the stable one',
      fleet: { stable: { image: 'sluice/gateway:2.0' }, canary: { image: 'sluice/gateway:3.0-rc1' } },
      expected: {
        stable: { ...base.stable, image: 'sluice/gateway:2.0' },
        canary: { ...base.canary, image: 'sluice/gateway:3.0-rc1' },
      },
    },
    {
      name: 'a canary image alone leaves stable to the flags',
      fleet: { canary: { image: 'sluice/gateway:3.0-rc1' } },
      expected: { stable: base.stable, canary: { ...base.canary, image: 'sluice/gateway:3.0-rc1' } },
    },
    {
      name: 'replicas, resources and workers replace the flags per track',
      fleet: {
        stable: { replicas: 6, resources: { limits: { memory: '1Gi' } }, workers: 4 },
        canary: { replicas: 3 },
      },
      expected: {
        stable: {
          image: 'sluice/gateway:1.0',
          replicas: 6,
          resources: { limits: { memory: '1Gi' } },
          workers: 4,
        },
        canary: { ...base.canary, replicas: 3 },
      },
    },
    {
      name: 'an autoscaled track starts from the flags’ size clamped to its bounds, and is listed',
      fleet: { stable: { autoscaling: cpu } },
      expected: {
        stable: { ...base.stable, replicas: 2 },
        canary: base.canary,
        autoscaling: { stable: cpu },
      },
    },
    {
      name: 'the clamp raises a size below minReplicas',
      fleet: { canary: { autoscaling: { minReplicas: 3, maxReplicas: 5, targetRequestsPerSecond: 200 } } },
      expected: {
        stable: base.stable,
        canary: { ...base.canary, replicas: 3 },
        autoscaling: { canary: { minReplicas: 3, maxReplicas: 5, targetRequestsPerSecond: 200 } },
      },
    },
  ])('$name', ({ fleet, expected }) => {
    const settings = fleetSettingsFor(base, fleet);
    expect(settings).toEqual({
      ...base,
      ...expected,
    });
    // The operator-wide settings are never the fleet's.
    expect(settings.canaryGraceSeconds).toBe(300);
    expect(settings.listenerTls).toEqual({ secretName: 'gateway-tls' });
  });

  it('never mutates the flags', () => {
    const before = structuredClone(base);
    fleetSettingsFor(base, { stable: { image: 'x', replicas: 9, autoscaling: undefined } });
    expect(base).toEqual(before);
  });
});
