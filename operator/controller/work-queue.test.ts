import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.ts';
import { WorkQueue } from './work-queue.ts';

describe('backoffDelay', () => {
  it.each([
    { failures: 0, expected: 0 },
    { failures: 1, expected: 200 },
    { failures: 2, expected: 400 },
    { failures: 5, expected: 3200 },
    { failures: 20, expected: 60_000 },
    { failures: 1000, expected: 60_000 },
  ])('after $failures failures waits $expected ms', ({ failures, expected }) => {
    expect(backoffDelay(failures)).toBe(expected);
  });
});

function manualTimers() {
  const pending: Array<{ fn: () => void; ms: number }> = [];
  return {
    pending,
    setTimer: (fn: () => void, ms: number) => {
      const entry = { fn, ms };
      pending.push(entry);
      return entry;
    },
    clearTimer: (handle: unknown) => {
      const index = pending.indexOf(handle as { fn: () => void; ms: number });
      if (index >= 0) pending.splice(index, 1);
    },
    fireAll: () => {
      for (const entry of pending.splice(0)) entry.fn();
    },
  };
}

describe('WorkQueue', () => {
  it('de-duplicates keys that are waiting', async () => {
    const queue = new WorkQueue();
    queue.add('ns/a');
    queue.add('ns/b');
    queue.add('ns/a');
    expect(queue.length).toBe(2);
    expect(await queue.get()).toBe('ns/a');
    expect(await queue.get()).toBe('ns/b');
  });

  it('never hands out a key being processed; re-queues it once when it was added meanwhile', async () => {
    const queue = new WorkQueue();
    queue.add('ns/a');
    const key = await queue.get();
    queue.add('ns/a');
    queue.add('ns/a');
    expect(queue.length).toBe(0);
    queue.done(key as string);
    expect(queue.length).toBe(1);
    expect(await queue.get()).toBe('ns/a');
  });

  it('wakes a waiting worker when a key arrives', async () => {
    const queue = new WorkQueue();
    const next = queue.get();
    queue.add('ns/a');
    expect(await next).toBe('ns/a');
  });

  it('retries with growing delays until forgotten', () => {
    const timers = manualTimers();
    const queue = new WorkQueue({ baseDelayMs: 100, maxDelayMs: 1000, ...timers });
    expect(
      [1, 2, 3, 4, 5].map(() => {
        const delay = queue.addRateLimited('ns/a');
        timers.fireAll();
        return delay;
      }),
    ).toEqual([100, 200, 400, 800, 1000]);
    queue.forget('ns/a');
    expect(queue.failures('ns/a')).toBe(0);
    expect(queue.addRateLimited('ns/a')).toBe(100);
  });

  it('keeps the sooner of two delayed adds of a key', () => {
    const timers = manualTimers();
    const queue = new WorkQueue(timers);
    queue.addAfter('ns/a', 300_000); // e.g. the end of a canary grace period
    queue.addAfter('ns/a', 200); // a retry after an error must not wait for it
    expect(timers.pending.map((timer) => timer.ms)).toEqual([200]);
    queue.addAfter('ns/a', 5000);
    expect(timers.pending.map((timer) => timer.ms)).toEqual([200]);
    timers.fireAll();
    expect(queue.length).toBe(1);
  });

  it('shutDown releases waiting workers and drops pending retries', async () => {
    const timers = manualTimers();
    const queue = new WorkQueue(timers);
    queue.addAfter('ns/a', 500);
    const waiting = queue.get();
    queue.shutDown();
    expect(await waiting).toBeUndefined();
    expect(timers.pending).toHaveLength(0);
    queue.add('ns/b');
    expect(queue.length).toBe(0);
  });
});
