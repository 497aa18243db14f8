/** A deterministic source of uniform numbers in [0, 1); the same seed always gives the same sequence. */
export type Prng = () => number;

/**
 * A small seeded generator: a Weyl sequence (add the 32-bit golden-ratio constant) run
 * through a murmur3-style finaliser. Good enough spread for synthetic benchmark data and,
 * unlike Math.random, reproducible, so two runs (or two benchmarks) post identical bytes.
 */
export function createPrng(seed: number): Prng {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    z ^= z >>> 16;
    return (z >>> 0) / 0x1_0000_0000;
  };
}

/** An integer in [min, max], both included. */
export function randomInt(prng: Prng, min: number, max: number): number {
  return min + Math.floor(prng() * (max - min + 1));
}

/** One element of a non-empty list, uniformly. */
export function pick<T>(prng: Prng, items: readonly T[]): T {
  const item = items[Math.floor(prng() * items.length)];
  if (item === undefined) throw new Error('pick() needs a non-empty list');
  return item;
}

/** One value of a non-empty [value, weight] list, with probability proportional to its weight. */
export function pickWeighted<T>(prng: Prng, entries: readonly (readonly [T, number])[]): T {
  let total = 0;
  for (const [, weight] of entries) total += weight;
  let roll = prng() * total;
  for (const [value, weight] of entries) {
    roll -= weight;
    if (roll < 0) return value;
  }
  const last = entries[entries.length - 1];
  if (last === undefined) throw new Error('pickWeighted() needs a non-empty list');
  return last[0];
}

/** `length` lowercase hex digits. */
export function randomHex(prng: Prng, length: number): string {
  let out = '';
  while (out.length < length)
    out += Math.floor(prng() * 0x1_0000_0000)
      .toString(16)
      .padStart(8, '0');
  return out.slice(0, length);
}
