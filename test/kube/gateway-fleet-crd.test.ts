import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { renderAutoscaler } from '../../operator/render/render-autoscaler.ts';
import { kubectl, kubectlOk } from '../infra/kubectl.ts';
import { REPO_ROOT } from '../support/example-files.ts';

// Real kube-apiserver with the generated CRDs (the kube global setup installs crds/): the
// GatewayFleet CRD is served, its example and valid objects are admitted, the CEL rules
// reject what they should with their messages, `kubectl get` shows the printer columns and
// `kubectl explain` the descriptions; and the HorizontalPodAutoscalers renderAutoscaler
// writes pass the apiserver's own validation (a server-side dry run).

const ns = `gateway-fleet-${Date.now().toString(36)}`;
const fleet = (name: string, spec: string) => `apiVersion: sluice.dev/v1alpha1
kind: GatewayFleet
metadata: { name: ${name}, namespace: ${ns} }
spec:
${spec}`;
const apply = (yaml: string) => kubectl(['apply', '--server-side', '-f', '-'], { input: yaml });

beforeAll(async () => {
  await kubectlOk(['create', 'namespace', ns]);
});
afterAll(async () => {
  await kubectl(['delete', 'namespace', ns, '--wait=false']);
});

describe('GatewayFleet CRD on the real apiserver', () => {
  it('accepts the example and fills the defaults in', async () => {
    const example = await readFile(join(REPO_ROOT, 'examples/gateway-fleet/gateway-fleet.yaml'), 'utf8');
    await kubectlOk(['apply', '--server-side', '-n', ns, '-f', '-'], {
      input: example.replace('namespace: logs', `namespace: ${ns}`),
    });
    const stored = JSON.parse(await kubectlOk(['get', 'gatewayfleet', 'gateways', '-n', ns, '-o', 'json']));
    expect(stored.spec.stable.autoscaling).toEqual({
      minReplicas: 3,
      maxReplicas: 12,
      targetCPUUtilizationPercentage: 70,
    });
    expect(stored.spec.imageRollout).toMatchObject({
      repos: ['app-errors', 'cdn-access', 'billing'],
      pauseBetweenReposSeconds: 120,
      onFailure: 'Rollback',
      // The analysis defaults of a LogRepo rollout, where the example leaves them out.
      analysis: { minRequests: 200, minLines: 500, onLowTraffic: 'Pause', maxWaitSeconds: 900 },
    });
  });

  it.each([
    { name: 'an empty spec (every setting from the flags)', spec: '  {}' },
    { name: 'a canary image alone', spec: '  canary: { image: sluice/gateway:0.3.0-rc1 }' },
    {
      name: 'a requests-per-second target and a rollout with default pause and onFailure',
      spec: [
        '  canary:',
        '    autoscaling: { minReplicas: 1, maxReplicas: 4, targetRequestsPerSecond: 250 }',
        '  imageRollout:',
        '    steps: [{ weight: 100 }]',
      ].join('\n'),
      defaults: {
        imageRollout: {
          pauseBetweenReposSeconds: 60,
          onFailure: 'Rollback',
          steps: [{ weight: 100, pauseSeconds: 60 }],
        },
      },
    },
  ])('accepts $name', async ({ spec, defaults }) => {
    const name = `valid-${Math.random().toString(36).slice(2, 8)}`;
    const result = await apply(fleet(name, spec));
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    if (defaults) {
      const stored = JSON.parse(await kubectlOk(['get', 'gf', name, '-n', ns, '-o', 'json']));
      expect(stored.spec).toMatchObject(defaults);
    }
  });

  it.each([
    {
      name: 'minReplicas above maxReplicas',
      spec: '  stable:\n    autoscaling: { minReplicas: 5, maxReplicas: 3, targetCPUUtilizationPercentage: 70 }',
      message:
        /spec\.stable\.autoscaling: Invalid value: .*autoscaling\.minReplicas must not exceed autoscaling\.maxReplicas/,
    },
    {
      name: 'replicas with autoscaling',
      spec: '  canary:\n    replicas: 2\n    autoscaling: { minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 70 }',
      message: /spec\.canary: Invalid value: .*replicas and autoscaling exclude each other/,
    },
    {
      name: 'both targets',
      spec: '  stable:\n    autoscaling: { minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 70, targetRequestsPerSecond: 100 }',
      message:
        /autoscaling needs exactly one target: targetCPUUtilizationPercentage or targetRequestsPerSecond/,
    },
    {
      name: 'no target',
      spec: '  stable:\n    autoscaling: { minReplicas: 1, maxReplicas: 3 }',
      message: /autoscaling needs exactly one target/,
    },
    {
      name: 'a repo named twice in the order',
      spec: '  imageRollout:\n    repos: [access, errors, access]\n    steps: [{ weight: 100 }]',
      message: /imageRollout\.repos must not repeat a name/,
    },
    {
      name: 'a rollout without steps',
      spec: '  imageRollout:\n    steps: []',
      message:
        /spec\.imageRollout\.steps: Invalid value: 0: spec\.imageRollout\.steps in body should have at least 1 items/,
    },
    {
      name: 'an unknown onFailure',
      spec: '  imageRollout:\n    steps: [{ weight: 100 }]\n    onFailure: Retry',
      message: /Unsupported value: "Retry"/,
    },
  ])('rejects $name', async ({ spec, message }) => {
    const result = await apply(fleet('invalid', spec));
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });

  it('shows the printer columns, from the status the operator writes', async () => {
    const status = {
      status: {
        observedGeneration: 1,
        images: { stable: 'sluice/gateway:0.1.0', canary: 'sluice/gateway:0.2.0' },
        rollout: {
          state: 'Progressing',
          image: 'sluice/gateway:0.2.0',
          from: 'sluice/gateway:0.1.0',
          repo: 'cdn-access',
          moved: ['app-errors'],
          movedSummary: '1/3',
          pending: 2,
          message: 'cdn-access at step 1 of 3',
        },
      },
    };
    await kubectlOk([
      'patch',
      'gatewayfleet',
      'gateways',
      '-n',
      ns,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify(status),
    ]);
    const table = await kubectlOk(['get', 'gatewayfleets', '-n', ns]);
    expect(table).toMatch(/NAME\s+STABLE-IMAGE\s+CANARY-IMAGE\s+MOVED\s+ROLLOUT\s+READY\s+AGE/);
    expect(table).toMatch(
      /gateways\s+sluice\/gateway:0\.1\.0\s+sluice\/gateway:0\.2\.0\s+1\/3\s+Progressing/,
    );
    expect(await kubectlOk(['get', 'gf', 'gateways', '-n', ns, '-o', 'wide'])).toMatch(
      /REPO[\s\S]*cdn-access/,
    );
    expect(await kubectlOk(['get', 'sluice', '-n', ns, '-o', 'name'])).toContain(
      'gatewayfleet.sluice.dev/gateways',
    );
  });

  it('explains the image rollout and autoscaling with their descriptions', async () => {
    const rollout = await kubectlOk(['explain', 'gatewayfleet.spec.imageRollout']);
    expect(rollout).toContain('Progressive rollout of a new gateway image');
    for (const field of ['repos', 'steps', 'analysis', 'pauseBetweenReposSeconds', 'onFailure'])
      expect(rollout).toContain(field);
    expect(await kubectlOk(['explain', 'gatewayfleet.spec.imageRollout.repos'])).toContain(
      'LogRepos not listed follow, by name',
    );
    expect(
      await kubectlOk(['explain', 'gatewayfleet.spec.stable.autoscaling.targetRequestsPerSecond']),
    ).toContain('sluice_requests_per_second');
    expect(await kubectlOk(['explain', 'gatewayfleet.status.rollout.failed'])).toContain('threshold');
  });

  it.each([
    {
      track: 'stable' as const,
      autoscaling: { minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 70 },
    },
    {
      track: 'canary' as const,
      autoscaling: { minReplicas: 1, maxReplicas: 4, targetRequestsPerSecond: 250 },
    },
  ])(
    'admits the $track HorizontalPodAutoscaler renderAutoscaler writes (server-side dry run)',
    async ({ track, autoscaling }) => {
      const hpa = renderAutoscaler(ns, track, autoscaling);
      const result = await kubectl(
        [
          'apply',
          '--server-side',
          '--dry-run=server',
          '--field-manager=sluice-operator',
          '-o',
          'json',
          '-f',
          '-',
        ],
        {
          input: stringify(hpa),
        },
      );
      expect(result.stderr).toBe('');
      expect(result.code).toBe(0);
      const admitted = JSON.parse(result.stdout);
      expect(admitted.spec).toMatchObject(hpa.spec as object);
    },
  );
});
