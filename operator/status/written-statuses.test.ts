import { describe, expect, it } from 'vitest';
import { WrittenStatuses } from './written-statuses.ts';

const ours = { observedGeneration: 1, configRevision: 'r2' };
const stale = { observedGeneration: 1, configRevision: 'r1' };
// What the cache shows at our write's resourceVersion; unlike `ours`, so the row tells which one came back.
const cachedAtOurs = { ...ours, configDigest: 'd2' };

describe('WrittenStatuses', () => {
  it.each([
    { name: 'nothing written: the cache', rv: '5', cached: stale, write: false, advance: 0, expected: stale },
    { name: 'cache still stale: our write', rv: '5', cached: stale, write: true, advance: 0, expected: ours },
    {
      name: 'cache holds our resourceVersion: the cache',
      rv: '6',
      cached: cachedAtOurs,
      write: true,
      advance: 0,
      expected: cachedAtOurs,
    },
    {
      name: 'cache shows another update after ours: still ours until it ages',
      rv: '7',
      cached: stale,
      write: true,
      advance: 0,
      expected: ours,
    },
    {
      name: 'entry aged out: the cache',
      rv: '7',
      cached: stale,
      write: true,
      advance: 31_000,
      expected: stale,
    },
  ])('$name', ({ rv, cached, write, advance, expected }) => {
    let now = 0;
    const memo = new WrittenStatuses({ now: () => now });
    if (write) memo.remember('ns/a', '6', ours);
    now += advance;
    expect(memo.baseline('ns/a', rv, cached)).toEqual(expected);
  });
});
