import { describe, expect, it } from 'vitest';
import { pipelineOf, runLine } from '../../../test/support/pipeline-kit.ts';
import { hashSeed, SAMPLE_SLOTS, sampleSlots } from './sample.ts';

describe('sample', () => {
  it.each([0, 1, 10, 33, 50, 99, 100])('keeps exactly %i of every 100 consecutive lines', (percent) => {
    const pipeline = pipelineOf({ executers: [{ type: 'sample', percent }] });
    for (let round = 0; round < 3; round++) {
      let kept = 0;
      for (let index = 0; index < SAMPLE_SLOTS; index++) {
        const outcome = runLine(pipeline, '{"a":1}');
        if (outcome.kind === 'accepted') kept++;
        else expect(outcome).toEqual({ kind: 'dropped', reason: 'sample' });
      }
      expect(kept).toBe(percent);
    }
  });

  it('is deterministic per repo and spreads the kept slots', () => {
    expect(sampleSlots(10, 'access#0')).toEqual(sampleSlots(10, 'access#0'));
    expect(sampleSlots(10, 'access#0')).not.toEqual(sampleSlots(10, 'billing#0'));
    const slots = [...sampleSlots(50, 'access#0')];
    // Not one contiguous run: a shuffled pattern keeps both halves of the window.
    expect(slots.slice(0, 50).some((slot) => slot === 0)).toBe(true);
    expect(slots.slice(50).some((slot) => slot === 1)).toBe(true);
  });

  it('hashes names stably', () => {
    expect(hashSeed('')).toBe(0x811c9dc5);
    // The FNV-1a test vector: a changed hash would move every sampler's kept slots.
    expect(hashSeed('a')).toBe(0xe40c292c);
    expect(hashSeed('access')).not.toBe(hashSeed('accesS'));
  });
});
