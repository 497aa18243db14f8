import { describe, expect, it } from 'vitest';
import { RuntimeHolder } from './runtime-holder.ts';

describe('RuntimeHolder', () => {
  it('keeps in-flight requests on the runtime they started with and reports when it drained', async () => {
    const holder = new RuntimeHolder<{ revision: string }>();
    const first = { revision: 'a' };
    const second = { revision: 'b' };
    holder.swap(first);
    const request = holder.enter();
    expect(holder.swap(second)).toBe(first);
    expect(request).toBe(first);
    expect(holder.enter()).toBe(second);

    let drained = false;
    const waiting = holder.drained(first).then(() => {
      drained = true;
    });
    // Every pending promise callback runs before setImmediate fires.
    await new Promise((resolve) => setImmediate(resolve));
    expect(drained).toBe(false);
    holder.leave(first);
    await waiting;
    expect(drained).toBe(true);
    expect(holder.activeRequests(second)).toBe(1);
  });

  it('a runtime with no requests is drained at once; nothing is current before the first swap', async () => {
    const holder = new RuntimeHolder<object>();
    expect(holder.enter()).toBeUndefined();
    await expect(holder.drained({})).resolves.toBeUndefined();
  });
});
