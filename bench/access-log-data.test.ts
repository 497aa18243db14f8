import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { generateAccessLogLines } from './access-log-data.ts';
import { createPrng, pickWeighted, randomHex, randomInt } from './seeded-prng.ts';

const FIELDS = [
  'ts',
  'trace_id',
  'ip',
  'host',
  'method',
  'path',
  'proto',
  'status',
  'bytes',
  'rt',
  'urt',
  'cache',
  'referer',
  'ua',
  'edge',
];

describe('createPrng', () => {
  it('repeats its sequence for the same seed and stays in [0, 1)', () => {
    const a = createPrng(42);
    const b = createPrng(42);
    const first = Array.from({ length: 1000 }, () => a());
    expect(Array.from({ length: 1000 }, () => b())).toEqual(first);
    expect(first.every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('spreads values roughly evenly', () => {
    const prng = createPrng(7);
    const buckets = new Array(10).fill(0);
    for (let i = 0; i < 100_000; i++) buckets[Math.floor(prng() * 10)] += 1;
    for (const count of buckets) expect(count).toBeGreaterThan(9_500);
  });

  it.each([
    { min: 0, max: 0 },
    { min: 1, max: 6 },
    { min: -5, max: 5 },
  ])('randomInt stays within [$min, $max]', ({ min, max }) => {
    const prng = createPrng(3);
    const seen = new Set(Array.from({ length: 2000 }, () => randomInt(prng, min, max)));
    expect(Math.min(...seen)).toBe(min);
    expect(Math.max(...seen)).toBe(max);
  });

  it('randomHex gives the asked number of hex digits', () => {
    const prng = createPrng(5);
    for (const length of [1, 8, 16, 33])
      expect(randomHex(prng, length)).toMatch(new RegExp(`^[0-9a-f]{${length}}$`));
  });

  it('pickWeighted never picks a zero-weight entry', () => {
    const prng = createPrng(9);
    const picks = Array.from({ length: 5000 }, () =>
      pickWeighted(prng, [
        ['a', 1],
        ['never', 0],
        ['b', 3],
      ] as const),
    );
    expect(picks).not.toContain('never');
    expect(picks.filter((p) => p === 'b').length).toBeGreaterThan(picks.filter((p) => p === 'a').length);
  });
});

describe('generateAccessLogLines', () => {
  it('gives identical lines for the same seed and different ones for another', () => {
    expect(generateAccessLogLines(200, 1)).toEqual(generateAccessLogLines(200, 1));
    expect(generateAccessLogLines(200, 2)).not.toEqual(generateAccessLogLines(200, 1));
  });

  it('is a prefix-stable stream: fewer lines are the start of more', () => {
    expect(generateAccessLogLines(1000, 4).slice(0, 10)).toEqual(generateAccessLogLines(10, 4));
  });

  it('writes JSON objects with every field, about 400 bytes each', () => {
    const lines = generateAccessLogLines(5000, 1);
    let bytes = 0;
    for (const line of lines) {
      expect(line).not.toContain('\n');
      const record = JSON.parse(line) as Record<string, unknown>;
      expect(Object.keys(record)).toEqual(FIELDS);
      bytes += Buffer.byteLength(line);
    }
    const average = bytes / lines.length;
    expect(average).toBeGreaterThan(350);
    expect(average).toBeLessThan(480);
  });

  it('has the skew of real traffic: mostly 200, some 3xx, 4xx and 5xx; mostly cache hits', () => {
    const records = generateAccessLogLines(20_000, 11).map(
      (line) => JSON.parse(line) as { status: number; cache: string; urt: number | null },
    );
    const share = (test: (r: (typeof records)[number]) => boolean) =>
      records.filter(test).length / records.length;
    expect(share((r) => r.status === 200)).toBeGreaterThan(0.75);
    for (const [low, high] of [
      [300, 399],
      [400, 499],
      [500, 599],
    ] as const) {
      expect(share((r) => r.status >= low && r.status <= high)).toBeGreaterThan(0.005);
    }
    expect(share((r) => r.cache === 'HIT')).toBeGreaterThan(0.5);
    // Served from cache means no upstream time.
    expect(records.filter((r) => r.cache === 'HIT').every((r) => r.urt === null)).toBe(true);
  });

  it('keeps timestamps ascending from 2024-06-01', () => {
    const stamps = generateAccessLogLines(500, 3).map((line) => (JSON.parse(line) as { ts: string }).ts);
    expect(stamps[0]?.startsWith('2024-06-01T00:00:00')).toBe(true);
    expect([...stamps].sort()).toEqual(stamps);
  });

  it('gives `count` parseable lines for any seed', () => {
    fc.assert(
      fc.property(fc.nat({ max: 60 }), fc.integer(), (count, seed) => {
        const lines = generateAccessLogLines(count, seed);
        expect(lines).toHaveLength(count);
        for (const line of lines) expect(typeof JSON.parse(line)).toBe('object');
      }),
    );
  });

  it.each([-1, 1.5, Number.NaN])('rejects count %s', (count) => {
    expect(() => generateAccessLogLines(count, 1)).toThrow(RangeError);
  });
});
