import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { median, percentile, relativeSpread, summarizeLatencies } from './bench-stats.ts';

describe('percentile', () => {
  const ten = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
  it.each([
    { p: 50, expected: 5 },
    { p: 90, expected: 9 },
    { p: 99, expected: 10 },
    { p: 100, expected: 10 },
    { p: 1, expected: 1 },
  ])('nearest rank p$p of 1..10 is $expected', ({ p, expected }) => {
    expect(percentile(ten, p)).toBe(expected);
  });

  it('is NaN for no samples', () => {
    expect(percentile([], 50)).toBeNaN();
  });

  it('is always one of the samples and monotonic in p', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1 }),
        (values) => {
          const sorted = [...values].sort((a, b) => a - b);
          const p50 = percentile(sorted, 50);
          const p99 = percentile(sorted, 99);
          expect(sorted).toContain(p50);
          expect(p99).toBeGreaterThanOrEqual(p50);
        },
      ),
    );
  });
});

describe('median', () => {
  it.each([
    { values: [3, 1, 2], expected: 2 },
    { values: [4, 1, 3, 2], expected: 2.5 },
    { values: [5], expected: 5 },
    { values: [Number.NaN, 7, 9], expected: 8 },
  ])('of $values is $expected', ({ values, expected }) => {
    expect(median(values)).toBe(expected);
  });

  it('is NaN without finite values', () => {
    expect(median([])).toBeNaN();
    expect(median([Number.NaN])).toBeNaN();
  });
});

describe('summarizeLatencies', () => {
  it('summarises unsorted samples', () => {
    const samples = Array.from({ length: 100 }, (_, i) => 100 - i);
    expect(summarizeLatencies(samples)).toEqual({ count: 100, p50: 50, p90: 90, p99: 99, max: 100 });
  });

  it('renders an empty phase as NaN figures', () => {
    const summary = summarizeLatencies([]);
    expect(summary.count).toBe(0);
    expect(summary.p99).toBeNaN();
    expect(summary.max).toBeNaN();
  });
});

describe('relativeSpread', () => {
  it.each([
    { values: [90, 100, 110], expected: 0.2 },
    { values: [100, 100], expected: 0 },
  ])('of $values is $expected', ({ values, expected }) => {
    expect(relativeSpread(values)).toBeCloseTo(expected, 10);
  });

  it('says nothing about one run', () => {
    expect(relativeSpread([100])).toBeNaN();
  });
});
