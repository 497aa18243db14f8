import { afterEach, describe, expect, it, vi } from 'vitest';
import { fakeEngine } from '../../test/support/fake-engine.ts';
import { BatchingProducer, DeliveryError, type ProducerObserver } from './batching-producer.ts';
import type { OutboundMessage } from './producer-engine.ts';

const silentObserver = (): ProducerObserver & { settled: unknown[]; pending: number[] } => {
  const settled: unknown[] = [];
  const pending: number[] = [];
  return {
    settled,
    pending,
    batchSettled: (outcome) => settled.push(outcome),
    pendingBytesChanged: (bytes) => pending.push(bytes),
  };
};

const msg = (text: string, key: string | null = null): OutboundMessage => ({ key, value: Buffer.from(text) });

async function connectedProducer(
  overrides: Partial<{
    maxMessages: number;
    maxBytes: number;
    lingerMs: number;
    maxPendingBytes: number;
  }> = {},
) {
  const engine = fakeEngine();
  const observer = silentObserver();
  const producer = new BatchingProducer({
    engine,
    observer,
    batch: {
      maxMessages: overrides.maxMessages ?? 100,
      maxBytes: overrides.maxBytes ?? 10_000,
      lingerMs: overrides.lingerMs ?? 5,
    },
    maxPendingBytes: overrides.maxPendingBytes ?? 1000,
    classifyError: () => 'broker',
  });
  await producer.connect();
  return { engine, observer, producer };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('BatchingProducer', () => {
  it('merges concurrent requests into one batch per topic after the linger time', async () => {
    vi.useFakeTimers();
    const { engine, observer, producer } = await connectedProducer();
    const first = producer.submit([{ topic: 'a', messages: [msg('1'), msg('2')] }]);
    const second = producer.submit([{ topic: 'a', messages: [msg('3')] }]);
    expect(engine.batches).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(5);
    expect(engine.batches).toHaveLength(1);
    expect(engine.batches[0]?.messages.map((m) => m.value.toString())).toEqual(['1', '2', '3']);
    engine.batches[0]?.ack();
    expect(first.ok && second.ok).toBe(true);
    if (first.ok && second.ok) await Promise.all([first.delivery, second.delivery]);
    // Delivered bytes leave the pending count, or the cap would refuse everything in time.
    expect(producer.pendingBytes).toBe(0);
    expect(observer.pending.at(-1)).toBe(0);
  });

  it('flushes at once when a batch reaches maxMessages, without waiting for linger', async () => {
    const { engine, producer } = await connectedProducer({ maxMessages: 2, lingerMs: 1000 });
    producer.submit([{ topic: 'a', messages: [msg('1'), msg('2'), msg('3')] }]);
    expect(engine.batches.map((b) => b.messages.length)).toEqual([2]);
    engine.batches[0]?.ack();
  });

  it('resolves a request only after every batch carrying its messages is acknowledged', async () => {
    vi.useFakeTimers();
    const { engine, producer } = await connectedProducer({ maxMessages: 2 });
    const result = producer.submit([
      { topic: 'a', messages: [msg('1'), msg('2'), msg('3')] },
      { topic: 'b', messages: [msg('4')] },
    ]);
    if (!result.ok) throw new Error('expected admission');
    let done = false;
    void result.delivery.then(() => {
      done = true;
    });
    await vi.advanceTimersByTimeAsync(5);
    expect(engine.batches.map((b) => `${b.topic}:${b.messages.length}`)).toEqual(['a:2', 'a:1', 'b:1']);
    for (const batch of engine.batches.slice(0, 2)) batch.ack();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(false);
    engine.batches[2]?.ack();
    await vi.advanceTimersByTimeAsync(0);
    expect(done).toBe(true);
  });

  it('rejects every request of a failed batch and releases its pending bytes', async () => {
    vi.useFakeTimers();
    const { engine, observer, producer } = await connectedProducer();
    const result = producer.submit([{ topic: 'a', messages: [msg('hello')] }]);
    if (!result.ok) throw new Error('expected admission');
    expect(producer.pendingBytes).toBe(5);
    await vi.advanceTimersByTimeAsync(5);
    engine.batches[0]?.fail(new Error('broker down'));
    await expect(result.delivery).rejects.toBeInstanceOf(DeliveryError);
    expect(producer.pendingBytes).toBe(0);
    expect(observer.settled).toEqual([expect.objectContaining({ messages: 1, bytes: 5, error: 'broker' })]);
  });

  it.each([
    { pending: 'fills the cap', sizes: [600, 500], expected: 'buffer_full' },
    { pending: 'exceeds the whole cap', sizes: [1001], expected: 'too_large' },
  ])('refuses a request that $pending with $expected', async ({ sizes, expected }) => {
    const { producer } = await connectedProducer({ maxPendingBytes: 1000, lingerMs: 1000 });
    const results = sizes.map((size) => producer.submit([{ topic: 'a', messages: [msg('x'.repeat(size))] }]));
    expect(results.at(-1)).toEqual({ ok: false, reason: expected });
  });

  it('refuses work before connect and after close', async () => {
    const engine = fakeEngine();
    const producer = new BatchingProducer({
      engine,
      observer: silentObserver(),
      batch: { maxMessages: 10, maxBytes: 1000, lingerMs: 1 },
      maxPendingBytes: 1000,
      classifyError: () => 'unknown',
    });
    expect(producer.submit([{ topic: 'a', messages: [msg('1')] }])).toEqual({
      ok: false,
      reason: 'unavailable',
    });
    await producer.connect();
    await producer.close();
    expect(producer.submit([{ topic: 'a', messages: [msg('1')] }])).toEqual({ ok: false, reason: 'closed' });
  });

  it('close() delivers what was admitted before closing the engine', async () => {
    const { engine, producer } = await connectedProducer({ lingerMs: 1000 });
    const result = producer.submit([{ topic: 'a', messages: [msg('1')] }]);
    if (!result.ok) throw new Error('expected admission');
    const closing = producer.close();
    expect(engine.batches).toHaveLength(1);
    engine.batches[0]?.ack();
    await closing;
    await expect(result.delivery).resolves.toBeUndefined();
  });

  it('an empty submission resolves at once', async () => {
    const { producer } = await connectedProducer();
    const result = producer.submit([]);
    if (!result.ok) throw new Error('expected admission');
    await expect(result.delivery).resolves.toBeUndefined();
  });
});
