import type { ExecuterOf } from '../../../kernel/pipeline-schema.ts';
import type { LineOutcome } from '../line-outcome.ts';
import type { CompiledExecuter, ExecuterSite } from './compiled-executer.ts';

export const SAMPLE_SLOTS = 100;
const DROPPED: LineOutcome = Object.freeze({ kind: 'dropped', reason: 'sample' });

/** FNV-1a, 32 bits: a stable seed from a name. */
export function hashSeed(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** mulberry32: a tiny seeded PRNG, used only at compile time to shuffle the slots. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The keep/drop pattern of a sampler: `percent` of the 100 slots set, spread
 * by a Fisher-Yates shuffle seeded from `seedText`, so the kept lines are not
 * one contiguous run and the same config always keeps the same positions.
 */
export function sampleSlots(percent: number, seedText: string): Uint8Array {
  const order = Array.from({ length: SAMPLE_SLOTS }, (_, index) => index);
  const random = seededRandom(hashSeed(seedText));
  for (let index = SAMPLE_SLOTS - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [order[index], order[other]] = [order[other] as number, order[index] as number];
  }
  const keep = new Uint8Array(SAMPLE_SLOTS);
  for (let index = 0; index < percent; index++) keep[order[index] as number] = 1;
  return keep;
}

/**
 * Keeps exactly `percent` of every 100 consecutive lines that reach it: a
 * counter walks the shuffled slots. No random number per line; the counter
 * lives as long as the compiled pipeline (one config revision).
 */
export function compileSample(config: ExecuterOf<'sample'>, site: ExecuterSite): CompiledExecuter {
  const keep = sampleSlots(config.percent, `${site.scope.repo}#${site.index}`);
  let counter = 0;
  return {
    mutates: false,
    step: () => {
      const kept = keep[counter] === 1;
      counter = counter === SAMPLE_SLOTS - 1 ? 0 : counter + 1;
      return kept ? undefined : DROPPED;
    },
  };
}
