import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/kube-client.ts';
import { routeAcceptedCondition } from './route-acceptance.ts';

const gateway = { name: 'edge' };
const route = (generation: number, parents: unknown[] | undefined): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'sluice-repo-access', namespace: 'logs', generation },
  ...(parents === undefined ? {} : { status: { parents } }),
});
const parent = (
  ref: Record<string, unknown>,
  conditions: Array<[type: string, status: string, reason: string, generation?: number]>,
) => ({
  parentRef: { group: 'gateway.networking.k8s.io', kind: 'Gateway', ...ref },
  controllerName: 'traefik.io/gateway-controller',
  conditions: conditions.map(([type, status, reason, observedGeneration = 3]) => ({
    type,
    status,
    reason,
    message: `${type} says ${reason}`,
    observedGeneration,
  })),
});

describe('routeAcceptedCondition', () => {
  it.each([
    {
      name: 'no parentRefs: the route attaches to nothing',
      route: route(3, undefined),
      refs: [],
      want: { status: 'False', reason: 'NoParentRefs' },
    },
    {
      name: 'not written yet',
      route: undefined,
      refs: [gateway],
      want: { status: 'Unknown', reason: 'Reconciling' },
    },
    {
      name: 'no controller wrote status.parents',
      route: route(3, undefined),
      refs: [gateway],
      want: { status: 'Unknown', reason: 'RouteNotReported' },
    },
    {
      name: 'accepted and resolved at the current generation',
      route: route(3, [
        parent({ name: 'edge', namespace: 'logs' }, [
          ['Accepted', 'True', 'Accepted'],
          ['ResolvedRefs', 'True', 'ResolvedRefs'],
        ]),
      ]),
      refs: [gateway],
      want: {
        status: 'True',
        reason: 'Accepted',
        message: 'accepted by Gateway logs/edge (traefik.io/gateway-controller)',
      },
    },
    {
      name: 'accepted only for an older generation: not reported yet',
      route: route(4, [parent({ name: 'edge' }, [['Accepted', 'True', 'Accepted']])]),
      refs: [gateway],
      want: { status: 'Unknown', reason: 'RouteNotReported' },
    },
    {
      name: 'refused by its parent, with the controller’s reason',
      route: route(3, [parent({ name: 'edge' }, [['Accepted', 'False', 'NotAllowedByListeners']])]),
      refs: [gateway],
      want: {
        status: 'False',
        reason: 'RouteNotAccepted',
        message: expect.stringContaining('NotAllowedByListeners'),
      },
    },
    {
      name: 'accepted, but a backend Service is missing',
      route: route(3, [
        parent({ name: 'edge' }, [
          ['Accepted', 'True', 'Accepted'],
          ['ResolvedRefs', 'False', 'BackendNotFound'],
        ]),
      ]),
      refs: [gateway],
      want: {
        status: 'False',
        reason: 'RouteRefsNotResolved',
        message: expect.stringContaining('BackendNotFound'),
      },
    },
    {
      name: 'a status entry for another Gateway does not count',
      route: route(3, [parent({ name: 'other' }, [['Accepted', 'True', 'Accepted']])]),
      refs: [gateway],
      want: {
        status: 'Unknown',
        reason: 'RouteNotReported',
        message: expect.stringContaining('Gateway logs/edge'),
      },
    },
    {
      name: 'two parents: one accepted, one silent',
      route: route(3, [parent({ name: 'edge' }, [['Accepted', 'True', 'Accepted']])]),
      refs: [gateway, { name: 'internal', namespace: 'infra', sectionName: 'http' }],
      want: {
        status: 'Unknown',
        reason: 'RouteNotReported',
        message: expect.stringContaining('infra/internal:http'),
      },
    },
    {
      name: 'sectionName must match',
      route: route(3, [parent({ name: 'edge', sectionName: 'https' }, [['Accepted', 'True', 'Accepted']])]),
      refs: [{ name: 'edge', sectionName: 'web' }],
      want: { status: 'Unknown', reason: 'RouteNotReported' },
    },
  ])('$name', ({ route, refs, want }) => {
    expect(routeAcceptedCondition(route, refs, 7)).toEqual({
      type: 'RouteAccepted',
      message: expect.any(String),
      observedGeneration: 7,
      ...want,
    });
  });
});
