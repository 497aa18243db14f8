import { describe, expect, it } from 'vitest';
import { fakeEngine } from '../../test/support/fake-engine.ts';
import { BatchingProducer, MESSAGE_OVERHEAD_BYTES } from './batching-producer.ts';

// Regression: the pending-bytes cap counted only keys and values, so one 3 MB body of a
// million `{}` lines was admitted as 2 MB and took the gateway past 1.3 GB RSS (found by
// test/faults/gateway/hostile-input.test.ts). Each message now also counts a fixed overhead.

const producerWith = async (maxPendingBytes: number) => {
  const engine = fakeEngine();
  const producer = new BatchingProducer({
    engine,
    batch: { maxMessages: 1000, maxBytes: 1 << 20, lingerMs: 1 },
    maxPendingBytes,
    messageOverheadBytes: MESSAGE_OVERHEAD_BYTES,
    classifyError: () => 'broker',
    observer: { batchSettled: () => undefined, pendingBytesChanged: () => undefined },
  });
  await producer.connect();
  return { engine, producer };
};

const tiny = (count: number) => [
  { topic: 'a', messages: Array.from({ length: count }, () => ({ key: null, value: Buffer.from('{}') })) },
];

describe('pending bytes count a per-message overhead', () => {
  it('refuses many tiny messages whose payload alone would fit', async () => {
    const { producer } = await producerWith(64 * 1024);
    // 1000 × 2 payload bytes = 2 KB of payload, but 1000 messages cost far more than 64 KiB.
    expect(producer.submit(tiny(1000))).toEqual({ ok: false, reason: 'too_large' });
    expect(producer.pendingBytes).toBe(0);
  });

  it('admits with the overhead counted and releases exactly that on settle', async () => {
    const { engine, producer } = await producerWith(64 * 1024);
    const result = producer.submit(tiny(10));
    expect(result.ok).toBe(true);
    expect(producer.pendingBytes).toBe(10 * (2 + MESSAGE_OVERHEAD_BYTES));
    await new Promise((resolve) => setTimeout(resolve, 5));
    for (const batch of engine.batches) batch.ack();
    if (result.ok) await result.delivery;
    expect(producer.pendingBytes).toBe(0);
  });
});
