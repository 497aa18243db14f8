import type { KubeObject } from '../kube/kube-client.ts';

/** One entry of `metadata.managedFields`, as the apiserver reports field ownership. */
interface ManagedFieldsEntry {
  readonly manager?: string;
  readonly operation?: string;
  readonly subresource?: string;
  readonly fieldsV1?: FieldSet;
}
type FieldSet = { readonly [key: string]: FieldSet };

const isMap = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * True when `stored` shows that `manager` no longer owns a field of `desired` it applies.
 * Server-side apply moves a field to whoever changes it (a forced apply or an update by
 * another manager) and drops it from every set once it is removed, so a desired field
 * missing from the manager's own Apply entry is drift the applied digest cannot show: the
 * digest annotation stays as it was. Identity fields (apiVersion, kind, metadata.name and
 * namespace), which the apiserver never tracks, and nulls are skipped; a field owned as a
 * whole (an empty set: atomic structs and lists) is not looked into. In lists only items
 * whose key (`k:{...}`) can be matched are descended into; the others count as owned, so an
 * unknown list shape never makes the operator apply on every reconcile. A stored object
 * without managedFields (a server or client that strips them) gives nothing to go by: false.
 * Pure.
 */
export function lostOwnership(desired: KubeObject, stored: KubeObject, manager: string): boolean {
  const entries = stored.metadata.managedFields as ManagedFieldsEntry[] | undefined;
  if (entries === undefined) return false;
  const entry = entries.find(
    (field) => field.manager === manager && field.operation === 'Apply' && !field.subresource,
  );
  if (entry?.fieldsV1 === undefined) return true;
  const { apiVersion: _apiVersion, kind: _kind, metadata, ...rest } = desired;
  const { name: _name, namespace: _namespace, ...tracked } = metadata;
  return missingFrom({ ...rest, metadata: tracked }, entry.fieldsV1);
}

function missingFrom(desired: Record<string, unknown>, owned: FieldSet): boolean {
  // An empty set owns the value as a whole (an atomic struct, list item or list, or a leaf).
  if (Object.keys(owned).length === 0) return false;
  for (const [key, value] of Object.entries(desired)) {
    if (value === null || value === undefined) continue;
    const field = owned[`f:${key}`];
    if (field === undefined) return true;
    if (isMap(value)) {
      if (missingFrom(value, field)) return true;
    } else if (Array.isArray(value)) {
      for (const item of value) {
        if (!isMap(item)) continue;
        const itemField = listItemField(item, field);
        if (itemField !== undefined && missingFrom(item, itemField)) return true;
      }
    }
  }
  return false;
}

/** The set of a list item, found by the key fields its `k:{...}` names (ones it leaves out are defaults). */
function listItemField(item: Record<string, unknown>, list: FieldSet): FieldSet | undefined {
  for (const [key, field] of Object.entries(list)) {
    if (!key.startsWith('k:')) continue;
    let keyFields: unknown;
    try {
      keyFields = JSON.parse(key.slice(2));
    } catch {
      continue;
    }
    if (!isMap(keyFields)) continue;
    const shared = Object.entries(keyFields).filter(([name]) => name in item);
    if (shared.length > 0 && shared.every(([name, value]) => item[name] === value)) return field;
  }
  return undefined;
}
