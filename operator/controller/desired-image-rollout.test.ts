import { describe, expect, it } from 'vitest';
import type { FleetSettings } from '../operator-config.ts';
import { canaryReplicasFor, desiredFleetView } from './desired-image-rollout.ts';

const base: FleetSettings = {
  stable: { image: 'gw:1', replicas: 4, resources: { requests: { cpu: '100m' } } },
  canary: { image: 'gw:1', replicas: 1, resources: { requests: { cpu: '100m' } } },
  canaryGraceSeconds: 60,
};
const fleet = (spec: Record<string, unknown>, annotations?: Record<string, string>) => ({
  metadata: { name: 'fleet', generation: 2, ...(annotations ? { annotations } : {}) },
  spec: spec as never,
});
const world = {
  repos: () => ['a', 'b'],
  stableImage: 'gw:1',
  stableRolled: true,
  canaryServing: () => false,
  windows: () => undefined,
  nowMs: 0,
};

describe('desiredFleetView', () => {
  it('without imageRollout a new image applies at once', () => {
    const view = desiredFleetView(base, fleet({ stable: { image: 'gw:2' } }), world);
    expect(view.settings.stable.image).toBe('gw:2');
    expect(view.decision).toBeUndefined();
  });

  it('keeps the autoscaled tracks', () => {
    const auto = { minReplicas: 2, maxReplicas: 8, targetCPUUtilizationPercentage: 70 };
    expect(desiredFleetView(base, fleet({ stable: { autoscaling: auto } }), world).autoscaling).toEqual({
      stable: auto,
    });
  });

  it('with imageRollout stable keeps the image it runs and the canary track gets the new one', () => {
    const view = desiredFleetView(
      base,
      fleet({ stable: { image: 'gw:2' }, imageRollout: { steps: [{ weight: 10, pauseSeconds: 60 }] } }),
      world,
    );
    expect(view.settings.stable.image).toBe('gw:1');
    expect(view.settings.canary.image).toBe('gw:2');
    expect(view.decision?.status).toMatchObject({
      state: 'Progressing',
      repo: 'a',
      image: 'gw:2',
      from: 'gw:1',
    });
    expect(view.condition).toMatchObject({
      type: 'ImageRollout',
      status: 'Unknown',
      reason: 'RolloutProgressing',
      observedGeneration: 2,
    });
  });

  it('moves the repos the plan names first, in its order, then the others by name', () => {
    const view = desiredFleetView(
      base,
      fleet({
        stable: { image: 'gw:2' },
        imageRollout: { repos: ['b', 'gone'], steps: [{ weight: 10, pauseSeconds: 60 }] },
      }),
      world,
    );
    expect(view.decision?.status).toMatchObject({ repo: 'b', pending: 2, movedSummary: '0/2' });
  });
});

describe('canaryReplicasFor', () => {
  it.each([
    ['nothing on canary', new Map(), undefined, 1],
    ['one of two repos wholly, equal traffic', new Map([['a', 100]]), undefined, 2],
    ['a at 10 %', new Map([['a', 10]]), undefined, 1],
    ['the busy repo wholly', new Map([['a', 100]]), { a: 900, b: 100 }, 4],
    ['the quiet repo wholly', new Map([['b', 100]]), { a: 900, b: 100 }, 1],
    [
      'every repo wholly',
      new Map([
        ['a', 100],
        ['b', 100],
      ]),
      { a: 1, b: 1 },
      4,
    ],
  ])('%s', (_name, weights, counts, expected) => {
    expect(
      canaryReplicasFor(4, weights, (repo) => (counts as Record<string, number> | undefined)?.[repo], [
        'a',
        'b',
      ]),
    ).toBe(expected);
  });
});
