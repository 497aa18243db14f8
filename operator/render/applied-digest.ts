import { createHash } from 'node:crypto';
import { canonicalJson } from '../../gateway/runtime/plan-producers.ts';
import { ANNOTATIONS } from '../api/constants.ts';
import type { KubeObject } from '../kube/kube-client.ts';

/** A short, stable digest of any JSON value (key order does not matter). */
export function digestOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}

/**
 * Stamps a desired object with the digest of itself (`sluice.dev/applied-digest`). The
 * apiserver adds defaults and status to what it stores, so a stored object never equals the
 * desired one; the stamp, which it keeps as written, says what was last applied. Pure.
 */
export function withAppliedDigest(object: KubeObject): KubeObject {
  const { [ANNOTATIONS.appliedDigest]: _previous, ...annotations } = object.metadata.annotations ?? {};
  const unstamped = { ...object, metadata: { ...object.metadata, annotations } };
  return {
    ...object,
    metadata: {
      ...object.metadata,
      annotations: { ...annotations, [ANNOTATIONS.appliedDigest]: digestOf(unstamped) },
    },
  };
}

/**
 * True when `desired` (stamped by withAppliedDigest) must be applied: nothing is stored, or
 * the stored object carries another digest. An object being deleted is left alone: applying
 * to it would not stop the deletion, and its removal re-enqueues the namespace.
 */
export function needsApply(desired: KubeObject, stored: KubeObject | undefined): boolean {
  if (stored === undefined) return true;
  if (stored.metadata.deletionTimestamp !== undefined) return false;
  return (
    stored.metadata.annotations?.[ANNOTATIONS.appliedDigest] !==
    desired.metadata.annotations?.[ANNOTATIONS.appliedDigest]
  );
}
