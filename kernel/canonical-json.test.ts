import { describe, expect, it } from 'vitest';
import { canonicalJson, digestOf } from './canonical-json.ts';

describe('canonicalJson', () => {
  it('ignores key order at every depth but not array order', () => {
    expect(canonicalJson({ b: 1, a: { d: 1, c: 2 } })).toBe(canonicalJson({ a: { c: 2, d: 1 }, b: 1 }));
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });
});

describe('digestOf', () => {
  it('is 16 hex digits, equal for equal values whatever their key order', () => {
    expect(digestOf({ a: 1, b: [1, { c: 2, d: 3 }] })).toMatch(/^[0-9a-f]{16}$/);
    expect(digestOf({ b: [1, { d: 3, c: 2 }], a: 1 })).toBe(digestOf({ a: 1, b: [1, { c: 2, d: 3 }] }));
    expect(digestOf({ a: 1 })).not.toBe(digestOf({ a: 2 }));
  });
});
