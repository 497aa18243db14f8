import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../kube/kube-client.ts';
import { lostOwnership } from './field-ownership.ts';

// Field sets shaped as the apiserver reports them for the operator's Deployments and routes.
const desired: KubeObject = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'sluice-gateway',
    namespace: 'logs',
    labels: { 'app.kubernetes.io/managed-by': 'sluice-operator', 'app.kubernetes.io/name': 'sluice' },
    annotations: { 'sluice.dev/applied-digest': 'abc' },
    ownerReferences: [{ apiVersion: 'sluice.dev/v1alpha1', kind: 'LogRepo', name: 'a', uid: 'u1' }],
  },
  spec: {
    replicas: 2,
    selector: { matchLabels: { 'app.kubernetes.io/name': 'sluice' } },
    template: {
      spec: {
        containers: [
          { name: 'gateway', image: 'img', ports: [{ containerPort: 8080, name: 'http' }], args: ['x'] },
        ],
      },
    },
    unset: null,
  },
};

const operatorFields = {
  'f:metadata': {
    'f:labels': { 'f:app.kubernetes.io/managed-by': {}, 'f:app.kubernetes.io/name': {} },
    'f:annotations': { 'f:sluice.dev/applied-digest': {} },
    'f:ownerReferences': { 'k:{"uid":"u1"}': {} },
  },
  'f:spec': {
    'f:replicas': {},
    'f:selector': {},
    'f:template': {
      'f:spec': {
        'f:containers': {
          'k:{"name":"gateway"}': {
            '.': {},
            'f:name': {},
            'f:image': {},
            'f:args': {},
            'f:ports': {
              'k:{"containerPort":8080,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {}, 'f:name': {} },
            },
          },
        },
      },
    },
  },
};

/** `operatorFields` with the part at `path` removed, as another manager taking it leaves them. */
function without(path: readonly string[]): Record<string, unknown> {
  const copy = structuredClone(operatorFields) as Record<string, Record<string, unknown>>;
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  delete node[path.at(-1) as string];
  return copy;
}

const stored = (entries: unknown[]): KubeObject => ({
  ...desired,
  metadata: { ...desired.metadata, managedFields: entries },
});
const entry = (fieldsV1: unknown, extra: Record<string, unknown> = {}) => ({
  manager: 'sluice-operator',
  operation: 'Apply',
  fieldsType: 'FieldsV1',
  fieldsV1,
  ...extra,
});

describe('lostOwnership', () => {
  it.each([
    ['the operator owns everything it applies', [entry(operatorFields)], false],
    [
      'other managers own other fields (the deployment controller, a status writer)',
      [
        entry(operatorFields),
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          fieldsV1: { 'f:metadata': { 'f:annotations': { 'f:deployment.kubernetes.io/revision': {} } } },
        },
      ],
      false,
    ],
    ['a forced apply took spec.replicas', [entry(without(['f:spec', 'f:replicas']))], true],
    [
      'an update took a label',
      [entry(without(['f:metadata', 'f:labels', 'f:app.kubernetes.io/managed-by']))],
      true,
    ],
    [
      'an update took a field inside a keyed list item',
      [entry(without(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"gateway"}', 'f:image']))],
      true,
    ],
    [
      'a list owned as a whole (an empty set) is not looked into',
      [entry(without(['f:spec', 'f:template', 'f:spec', 'f:containers', 'k:{"name":"gateway"}']))],
      false,
    ],
    ['no Apply entry of the operator at all', [entry(operatorFields, { operation: 'Update' })], true],
    ['only a status entry of the operator', [entry(operatorFields, { subresource: 'status' })], true],
  ])('%s', (_case, entries, expected) => {
    expect(lostOwnership(desired, stored(entries), 'sluice-operator')).toBe(expected);
  });

  it('reports no loss when the stored object shows no managedFields (nothing to go by)', () => {
    expect(lostOwnership(desired, desired, 'sluice-operator')).toBe(false);
  });
});
