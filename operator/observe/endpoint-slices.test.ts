import { describe, expect, it } from 'vitest';
import { type EndpointSliceObject, readyEndpoints } from './endpoint-slices.ts';

const slice = (
  service: string,
  endpoints: NonNullable<EndpointSliceObject['endpoints']>,
  addressType = 'IPv4',
): EndpointSliceObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: `${service}-x`, namespace: 'ns', labels: { 'kubernetes.io/service-name': service } },
  addressType,
  endpoints,
});
const pod = (name: string, address: string, conditions?: { ready?: boolean; terminating?: boolean }) => ({
  addresses: [address],
  targetRef: { kind: 'Pod', name },
  ...(conditions ? { conditions } : {}),
});

describe('readyEndpoints', () => {
  it.each([
    ['no slices', [], []],
    ['a ready pod', [slice('sluice-gateway', [pod('a', '10.0.0.1', { ready: true })])], [['a', '10.0.0.1']]],
    ['ready unset counts as ready', [slice('sluice-gateway', [pod('a', '10.0.0.1')])], [['a', '10.0.0.1']]],
    ['not ready is left out', [slice('sluice-gateway', [pod('a', '10.0.0.1', { ready: false })])], []],
    [
      'terminating (ready false) is left out',
      [slice('sluice-gateway', [pod('a', '10.0.0.1', { ready: false, terminating: true })])],
      [],
    ],
    ['another Service is left out', [slice('sluice-gateway-canary', [pod('a', '10.0.0.1')])], []],
    ['FQDN slices are left out', [slice('sluice-gateway', [pod('a', 'a.example')], 'FQDN')], []],
    [
      'pods across slices, sorted and once each',
      [
        slice('sluice-gateway', [pod('b', '10.0.0.2'), pod('a', '10.0.0.1')]),
        slice('sluice-gateway', [pod('a', '10.0.0.1')]),
      ],
      [
        ['a', '10.0.0.1'],
        ['b', '10.0.0.2'],
      ],
    ],
    [
      'an endpoint without a pod is named by its address',
      [slice('sluice-gateway', [{ addresses: ['10.0.0.9'] }])],
      [['10.0.0.9', '10.0.0.9']],
    ],
  ])('%s', (_name, slices, expected) => {
    expect(
      readyEndpoints(slices as EndpointSliceObject[], 'sluice-gateway').map((e) => [e.pod, e.address]),
    ).toEqual(expected);
  });
});
