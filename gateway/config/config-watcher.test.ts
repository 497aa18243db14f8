import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeConfigMapVolume } from '../../test/support/atomic-writer.ts';
import { type ConfigWatcher, isRelevantEvent, watchConfigFile } from './config-watcher.ts';

describe('isRelevantEvent', () => {
  it.each([
    { changed: 'gateway.yaml', expected: true },
    { changed: '..data', expected: true },
    { changed: '..data_tmp', expected: true },
    { changed: null, expected: true },
    { changed: '..2026_11_21_10_00_00.123', expected: false },
    { changed: 'other.yaml', expected: false },
  ])('$changed → $expected', ({ changed, expected }) => {
    expect(isRelevantEvent('gateway.yaml', changed)).toBe(expected);
  });
});

describe('watchConfigFile', () => {
  let dir: string;
  let watcher: ConfigWatcher | undefined;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-watch-'));
  });
  afterEach(async () => {
    watcher?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const waitFor = async (predicate: () => boolean, ms = 3000) => {
    const until = Date.now() + ms;
    while (!predicate() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
    return predicate();
  };
  /** Watches `file`; the returned function tells how many changes were reported so far. */
  const watchCounting = (file: string, debounceMs: number, pollIntervalMs = 60_000) => {
    let changes = 0;
    watcher = watchConfigFile({
      file,
      logger: pino({ level: 'silent' }),
      onChange: () => {
        changes += 1;
      },
      debounceMs,
      pollIntervalMs,
    });
    return () => changes;
  };

  it('notices a kubelet-style symlink swap, again and again', async () => {
    await writeConfigMapVolume(dir, { 'gateway.yaml': 'a: 1' });
    const changes = watchCounting(join(dir, 'gateway.yaml'), 5);
    for (let round = 1; round <= 3; round++) {
      await writeConfigMapVolume(dir, { 'gateway.yaml': `a: ${round + 1}` });
      expect(await waitFor(() => changes() >= round)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  });

  it('notices a plain file being rewritten, and debounces a burst into one call', async () => {
    const file = join(dir, 'gateway.yaml');
    await writeFile(file, 'a: 1');
    // The window opens at the first event and does not slide: 300 ms holds the five writes
    // even on a busy machine, and a second call would come within 300 ms of a straggler.
    const changes = watchCounting(file, 300);
    for (let i = 0; i < 5; i++) await writeFile(file, `a: ${i}`);
    expect(await waitFor(() => changes() >= 1)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(changes()).toBe(1);
  });

  it('falls back to polling when no event arrives', async () => {
    const changes = watchCounting(join(dir, 'gateway.yaml'), 1, 20);
    expect(await waitFor(() => changes() >= 2)).toBe(true);
  });

  it('re-establishes the watch when the directory is replaced', async () => {
    const file = join(dir, 'gateway.yaml');
    await writeFile(file, 'a: 1');
    const changes = watchCounting(file, 5);
    await rm(dir, { recursive: true, force: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await mkdir(dir);
    await writeFile(file, 'a: 2');
    // Within the 1 s re-watch delay plus margin, the watcher is back and reports a change.
    expect(await waitFor(() => changes() >= 1, 4000)).toBe(true);
    const before = changes();
    await new Promise((resolve) => setTimeout(resolve, 100));
    await writeFile(file, 'a: 3');
    expect(await waitFor(() => changes() > before, 3000)).toBe(true);
  });
});
