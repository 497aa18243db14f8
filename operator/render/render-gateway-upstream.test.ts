import { describe, expect, it } from 'vitest';
import type { RouteSettings } from '../operator-config.ts';
import { renderGatewayUpstream } from './render-gateway-upstream.ts';

const routes = (provider: RouteSettings['provider'], extra: Partial<RouteSettings> = {}): RouteSettings => ({
  provider,
  hosts: [],
  priorities: { exact: 100, prefix: 0 },
  parentRefs: [],
  ...extra,
});

describe('renderGatewayUpstream', () => {
  it.each([
    { provider: 'apisix' as const, listenerTls: true, rendered: true },
    { provider: 'apisix' as const, listenerTls: false, rendered: false },
    { provider: 'gateway-api' as const, listenerTls: true, rendered: false },
    { provider: 'gateway-api' as const, listenerTls: false, rendered: false },
    { provider: 'none' as const, listenerTls: true, rendered: false },
  ])(
    '$provider with listener TLS $listenerTls: rendered $rendered',
    ({ provider, listenerTls, rendered }) => {
      const upstream = renderGatewayUpstream({
        namespace: 'logs',
        track: 'stable',
        routes: routes(provider),
        listenerTls,
      });
      expect(upstream !== undefined).toBe(rendered);
    },
  );

  it.each([
    { track: 'stable' as const, name: 'sluice-gateway' },
    { track: 'canary' as const, name: 'sluice-gateway-canary' },
  ])('names the $track upstream like its Service and sends HTTPS', ({ track, name }) => {
    const upstream = renderGatewayUpstream({
      namespace: 'logs',
      track,
      routes: routes('apisix'),
      listenerTls: true,
    });
    expect(upstream).toMatchObject({
      apiVersion: 'apisix.apache.org/v2',
      kind: 'ApisixUpstream',
      metadata: {
        name,
        namespace: 'logs',
        labels: {
          'app.kubernetes.io/managed-by': 'sluice-operator',
          'app.kubernetes.io/component': 'gateway',
          'sluice.dev/track': track,
        },
      },
    });
    expect(upstream?.spec).toEqual({ scheme: 'https' });
    expect(upstream?.metadata.annotations?.['sluice.dev/applied-digest']).toMatch(/^[0-9a-f]{16}$/);
  });

  it('carries the routes’ ingressClassName, so the same controller picks it up', () => {
    const upstream = renderGatewayUpstream({
      namespace: 'logs',
      track: 'canary',
      routes: routes('apisix', { ingressClassName: 'apisix-internal' }),
      listenerTls: true,
    });
    expect(upstream?.spec).toEqual({ ingressClassName: 'apisix-internal', scheme: 'https' });
  });

  it('is deterministic', () => {
    const inputs = {
      namespace: 'logs',
      track: 'stable' as const,
      routes: routes('apisix'),
      listenerTls: true,
    };
    expect(renderGatewayUpstream(inputs)).toEqual(renderGatewayUpstream(inputs));
  });
});
