import { describe, expect, it } from 'vitest';
import type { ProducerConfig } from '../../kernel/config-schema.ts';
import { planProducers } from './plan-producers.ts';

const kafka = (compression: 'lz4' | 'zstd', brokers = ['k:9092']): ProducerConfig =>
  ({
    type: 'kafka',
    engine: 'kafkajs',
    brokers,
    clientId: 'sluice',
    compression,
    acks: 'all',
    idempotent: false,
    batch: { maxMessages: 1000, maxBytes: 1 << 20, lingerMs: 5 },
    requestTimeoutMs: 10_000,
    retries: 5,
    maxPendingBytes: 1 << 26,
  }) as ProducerConfig;
const stdout: ProducerConfig = { type: 'stdout', maxPendingBytes: 1 << 20 };

describe('planProducers', () => {
  it.each([
    {
      name: 'nothing changed',
      before: { a: kafka('lz4') },
      after: { a: kafka('lz4') },
      plan: { reuse: ['a'], create: [], retire: [] },
    },
    {
      name: 'first load',
      before: {},
      after: { a: kafka('lz4'), b: stdout },
      plan: { reuse: [], create: ['a', 'b'], retire: [] },
    },
    {
      name: 'compression changed',
      before: { a: kafka('lz4') },
      after: { a: kafka('zstd') },
      plan: { reuse: [], create: ['a'], retire: ['a'] },
    },
    {
      name: 'brokers changed',
      before: { a: kafka('lz4') },
      after: { a: kafka('lz4', ['k2:9092']) },
      plan: { reuse: [], create: ['a'], retire: ['a'] },
    },
    {
      name: 'producer removed',
      before: { a: kafka('lz4'), b: stdout },
      after: { a: kafka('lz4') },
      plan: { reuse: ['a'], create: [], retire: ['b'] },
    },
    {
      name: 'producer added',
      before: { a: kafka('lz4') },
      after: { b: stdout, a: kafka('lz4') },
      plan: { reuse: ['a'], create: ['b'], retire: [] },
    },
    {
      name: 'type changed',
      before: { a: kafka('lz4') },
      after: { a: stdout },
      plan: { reuse: [], create: ['a'], retire: ['a'] },
    },
  ])('$name', ({ before, after, plan }) => {
    expect(
      planProducers(before as Record<string, ProducerConfig>, after as Record<string, ProducerConfig>),
    ).toEqual(plan);
  });
});
