import { describe, expect, it } from 'vitest';
import { admitPending, isBatchFull, mustFlushBeforeAdding } from './batch-policy.ts';

const limits = { maxMessages: 3, maxBytes: 100, lingerMs: 5 };

describe('mustFlushBeforeAdding', () => {
  it.each([
    {
      fill: { messages: 0, bytes: 0 },
      size: 500,
      expected: false,
      why: 'an empty batch takes even an oversized message',
    },
    { fill: { messages: 2, bytes: 50 }, size: 10, expected: false, why: 'room by count and bytes' },
    { fill: { messages: 3, bytes: 30 }, size: 10, expected: true, why: 'count limit reached' },
    { fill: { messages: 1, bytes: 95 }, size: 10, expected: true, why: 'bytes would overflow' },
    { fill: { messages: 1, bytes: 90 }, size: 10, expected: false, why: 'bytes exactly at the limit fit' },
  ])('$why', ({ fill, size, expected }) => {
    expect(mustFlushBeforeAdding(fill, size, limits)).toBe(expected);
  });
});

describe('isBatchFull', () => {
  it.each([
    { fill: { messages: 3, bytes: 1 }, expected: true },
    { fill: { messages: 1, bytes: 100 }, expected: true },
    { fill: { messages: 2, bytes: 99 }, expected: false },
  ])('$fill → $expected', ({ fill, expected }) => {
    expect(isBatchFull(fill, limits)).toBe(expected);
  });
});

describe('admitPending', () => {
  it.each([
    { pending: 0, request: 10, cap: 100, expected: { accept: true } },
    { pending: 90, request: 10, cap: 100, expected: { accept: true } },
    { pending: 91, request: 10, cap: 100, expected: { accept: false, reason: 'buffer_full' } },
    { pending: 0, request: 101, cap: 100, expected: { accept: false, reason: 'too_large' } },
  ])('pending $pending + request $request against cap $cap', ({ pending, request, cap, expected }) => {
    expect(admitPending(pending, request, cap)).toEqual(expected);
  });
});
