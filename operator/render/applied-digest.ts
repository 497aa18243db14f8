import { digestOf } from '../../kernel/canonical-json.ts';
import { ANNOTATIONS } from '../api/constants.ts';
import type { KubeObject } from '../kube/kube-client.ts';

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
