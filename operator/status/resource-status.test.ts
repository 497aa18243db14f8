import { describe, expect, it } from 'vitest';
import { desiredStatus, statusUnchanged } from './resource-status.ts';

const applied = {
  included: true,
  reason: 'Applied',
  message: 'part of the gateway config',
  digest: 'd1',
} as const;
const missing = {
  included: false,
  reason: 'ProducerNotFound',
  message: 'KafkaProducer x does not exist',
} as const;

describe('desiredStatus', () => {
  it.each([
    { verdict: applied, ready: 'True', revision: 'sha256-1' },
    { verdict: missing, ready: 'False', revision: '' },
  ])('$verdict.reason → Ready=$ready', ({ verdict, ready, revision }) => {
    const status = desiredStatus(undefined, 3, verdict, 'sha256-1', () => 'T1');
    expect(status).toMatchObject({ observedGeneration: 3, configRevision: revision });
    expect(status.conditions?.[0]).toMatchObject({
      type: 'Ready',
      status: ready,
      reason: verdict.reason,
      observedGeneration: 3,
    });
  });

  it('is unchanged for an unchanged world, so a second reconcile writes nothing', () => {
    const first = desiredStatus(undefined, 1, applied, 'sha256-1', () => 'T1');
    const second = desiredStatus(first, 1, applied, 'sha256-1', () => 'T2');
    expect(statusUnchanged(first, second)).toBe(true);
    // Another object's edit moved the namespace revision: this status stays as it is.
    const elsewhere = desiredStatus(first, 1, applied, 'sha256-2', () => 'T2');
    expect(statusUnchanged(first, elsewhere)).toBe(true);
    // This object's own part changed: it records the new revision.
    const moved = desiredStatus(first, 2, { ...applied, digest: 'd2' }, 'sha256-2', () => 'T2');
    expect(moved).toMatchObject({ configRevision: 'sha256-2', configDigest: 'd2', observedGeneration: 2 });
    expect(moved.conditions?.[0]?.lastTransitionTime).toBe('T1');
  });
});
