import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { kubeVersions } from '../infra/kube-binaries.ts';
import { connectKubeControl } from '../infra/kube-control.ts';
import { applyManifests, kubectl, kubectlOk, waitForCrds } from '../infra/kubectl.ts';
import { eventually } from '../support/eventually.ts';

// Smoke test of the kube test infrastructure, through kubectl as a user would drive it: the
// API server answers, stores objects, serves a CRD with a structural schema, CEL validation
// and printer columns, tracks server-side-apply field ownership, and keeps everything across
// an apiserver restart.

const kubeconfig = inject('kubeconfig');
const source = inject('kubeSource');
const namespace = `kube-infra-${randomBytes(3).toString('hex')}`;
const CRD = 'widgets.test.sluice.dev';

const crdYaml = `
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: ${CRD}
spec:
  group: test.sluice.dev
  scope: Namespaced
  names: { plural: widgets, singular: widget, kind: Widget, listKind: WidgetList }
  versions:
    - name: v1alpha1
      served: true
      storage: true
      additionalPrinterColumns:
        - { name: Size, type: integer, jsonPath: .spec.size }
        - { name: Color, type: string, jsonPath: .spec.color }
      # With printer columns of its own a CRD gets no AGE column unless it asks for one.
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              description: Desired shape of the widget.
              required: [size]
              x-kubernetes-validations:
                - rule: '!has(self.maxSize) || self.size <= self.maxSize'
                  message: size must not exceed maxSize
              properties:
                size:
                  type: integer
                  minimum: 1
                  description: Number of sprockets the widget holds.
                maxSize: { type: integer, description: Upper bound for size. }
                color: { type: string, enum: [red, green, blue], description: Paint of the widget. }
`;

const widget = (name: string, spec: Record<string, unknown>) =>
  JSON.stringify({
    apiVersion: 'test.sluice.dev/v1alpha1',
    kind: 'Widget',
    metadata: { name, namespace },
    spec,
  });

const k = (args: string[], input?: string) =>
  kubectl(args, { kubeconfig, ...(input === undefined ? {} : { input }) });
const ok = (args: string[], input?: string) =>
  kubectlOk(args, { kubeconfig, ...(input === undefined ? {} : { input }) });

afterAll(async () => {
  // The local cluster goes away with the run; an existing one keeps nothing of this test.
  if (source !== 'local') {
    await k(['delete', 'namespace', namespace, '--wait=false', '--ignore-not-found']);
    await k(['delete', 'crd', CRD, '--wait=false', '--ignore-not-found']);
  }
});

describe('kube test infrastructure', () => {
  it('serves the pinned Kubernetes release to the provisioned kubectl', async () => {
    const version = JSON.parse(await ok(['version', '-o', 'json'])) as {
      clientVersion: { gitVersion: string };
      serverVersion: { gitVersion: string };
    };
    const pinned = (await kubeVersions()).kubernetes;
    expect(version.clientVersion.gitVersion).toBe(pinned);
    if (source === 'local') expect(version.serverVersion.gitVersion).toBe(pinned);
    else expect(version.serverVersion.gitVersion).toMatch(/^v1\.\d+/);
  });

  it('creates a namespace and a ConfigMap with kubectl apply -f -', async () => {
    const manifests = `
apiVersion: v1
kind: Namespace
metadata: { name: ${namespace} }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: greeting, namespace: ${namespace} }
data: { text: hello }
`;
    const applied = await applyManifests({ yaml: manifests }, { kubeconfig });
    expect(applied).toEqual([`namespace/${namespace}`, 'configmap/greeting']);
    expect(await ok(['get', 'configmap', 'greeting', '-n', namespace, '-o', 'jsonpath={.data.text}'])).toBe(
      'hello',
    );
  });

  it('serves a CRD: explain, CEL validation, printer columns', async () => {
    await applyManifests({ yaml: crdYaml }, { kubeconfig });
    await waitForCrds([CRD], { kubeconfig });

    // The CRD's schema reaches the published OpenAPI a moment after it is Established.
    const { explain } = await eventually(
      async () => {
        const result = await k(['explain', 'widget.spec']);
        return { code: result.code, explain: result.stdout + result.stderr };
      },
      (result) => result.code === 0 && result.explain.includes('Number of sprockets'),
      30_000,
      500,
    );
    expect(explain).toContain('Desired shape of the widget.');
    expect(explain).toMatch(/size\s+<integer> -required-/);
    expect(explain).toContain('Number of sprockets the widget holds.');

    const rejected = await k(['apply', '-f', '-'], widget('too-big', { size: 5, maxSize: 3 }));
    expect(rejected.code).not.toBe(0);
    expect(rejected.stderr).toContain('size must not exceed maxSize');

    const invalidEnum = await k(['apply', '-f', '-'], widget('purple', { size: 1, color: 'purple' }));
    expect(invalidEnum.code).not.toBe(0);
    expect(invalidEnum.stderr).toContain('Unsupported value: "purple"');

    await ok(['apply', '-f', '-'], widget('small', { size: 2, maxSize: 3, color: 'green' }));
    const table = (await ok(['get', 'widgets', '-n', namespace])).trim().split('\n');
    expect(table[0]?.split(/\s+/)).toEqual(['NAME', 'SIZE', 'COLOR']);
    expect(table[1]?.split(/\s+/).slice(0, 3)).toEqual(['small', '2', 'green']);
  });

  it('admits a Pod in a namespace no controller has given a ServiceAccount', async () => {
    // Nothing runs it here (no kubelet, no node); it is stored and stays Pending.
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'idle', namespace },
      spec: { containers: [{ name: 'idle', image: 'registry.invalid/idle:0' }] },
    };
    await ok(['apply', '-f', '-'], JSON.stringify(pod));
    expect(await ok(['get', 'pod', 'idle', '-n', namespace, '-o', 'jsonpath={.status.phase}'])).toBe(
      'Pending',
    );
  });

  it('tracks field ownership with server-side apply', async () => {
    const config = (value: string) =>
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'owned', namespace },
        data: { key: value },
      });
    await ok(['apply', '--server-side', '--field-manager=sluice-a', '-f', '-'], config('a'));
    const managers = async () =>
      (
        JSON.parse(
          await ok(['get', 'configmap', 'owned', '-n', namespace, '-o', 'json', '--show-managed-fields']),
        ) as {
          metadata: { managedFields: Array<{ manager: string; operation: string }> };
        }
      ).metadata.managedFields.map((entry) => `${entry.manager}/${entry.operation}`);
    expect(await managers()).toEqual(['sluice-a/Apply']);

    const conflict = await k(['apply', '--server-side', '--field-manager=sluice-b', '-f', '-'], config('b'));
    expect(conflict.code).not.toBe(0);
    expect(conflict.stderr).toMatch(/conflict with "sluice-a"/);

    await ok(
      ['apply', '--server-side', '--field-manager=sluice-b', '--force-conflicts', '-f', '-'],
      config('b'),
    );
    expect(await managers()).toEqual(['sluice-b/Apply']);
    expect(await ok(['get', 'configmap', 'owned', '-n', namespace, '-o', 'jsonpath={.data.key}'])).toBe('b');
  });

  it('keeps every object across an apiserver restart', async () => {
    const control = connectKubeControl(inject('kubeControl'));
    const before = await control.status();
    const after = await control.restartApiserver();
    expect(after.apiserverRunning).toBe(true);
    expect(after.apiserverPid).not.toBe(before.apiserverPid);

    expect(await ok(['get', 'configmap', 'greeting', '-n', namespace, '-o', 'jsonpath={.data.text}'])).toBe(
      'hello',
    );
    expect(await ok(['get', 'widget', 'small', '-n', namespace, '-o', 'jsonpath={.spec.size}'])).toBe('2');
    // The CRD is served again, with its validation, right after the restart.
    const rejected = await k(['apply', '-f', '-'], widget('too-big', { size: 9, maxSize: 1 }));
    expect(rejected.stderr).toContain('size must not exceed maxSize');
  });
});
