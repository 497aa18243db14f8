import { createRequire } from 'node:module';
import { murmur2 as platformaticMurmur2 } from '@platformatic/kafka';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { keyHash, murmur2 } from './java-partitioner.ts';

// kafkajs's Java-compatible murmur2 (an internal CommonJS module) as a second reference.
const requireCjs = createRequire(import.meta.url);
const kafkajsMurmur2 = requireCjs('kafkajs/src/producer/partitioners/default/murmur2.js') as (
  key: Buffer,
) => number;

describe('murmur2', () => {
  // The Java client's own test vectors (Utils.murmur2), covering every tail length.
  it.each([
    ['21', -973932308],
    ['foobar', -790332482],
    ['a-little-bit-long-string', -985981536],
    ['a-little-bit-longer-string', -1486304829],
    ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
    ['abc', 479470107],
  ])('hashes %j as the Java client does', (key, expected) => {
    expect(murmur2(Buffer.from(key))).toBe(expected);
  });

  it('agrees with kafkajs and @platformatic/kafka on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const key = Buffer.from(bytes);
        const hash = murmur2(key);
        expect(hash).toBe(kafkajsMurmur2(key));
        expect(hash).toBe(platformaticMurmur2(key));
      }),
      { numRuns: 300 },
    );
  });
});

describe('keyHash', () => {
  it.each([
    ['foobar', -790332482 & 0x7fffffff],
    ['abc', 479470107],
  ])('is the non-negative hash of %j', (key, expected) => {
    expect(keyHash(Buffer.from(key))).toBe(expected);
  });

  it('is never negative', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(keyHash(Buffer.from(bytes))).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
