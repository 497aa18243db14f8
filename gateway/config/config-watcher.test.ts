import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
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
  afterEach(async () => {
    watcher?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const waitFor = async (predicate: () => boolean, ms = 3000) => {
    const until = Date.now() + ms;
    while (!predicate() && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 10));
    return predicate();
  };

  it('notices a kubelet-style symlink swap, again and again', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-watch-'));
    await writeConfigMapVolume(dir, { 'gateway.yaml': 'a: 1' });
    let changes = 0;
    watcher = watchConfigFile({
      file: join(dir, 'gateway.yaml'),
      logger: pino({ level: 'silent' }),
      onChange: () => {
        changes += 1;
      },
      debounceMs: 5,
      pollIntervalMs: 60_000,
    });
    for (let round = 1; round <= 3; round++) {
      await writeConfigMapVolume(dir, { 'gateway.yaml': `a: ${round + 1}` });
      expect(await waitFor(() => changes >= round)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 30));
    }
  });

  it('notices a plain file being rewritten, and debounces a burst into one call', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-watch-'));
    const file = join(dir, 'gateway.yaml');
    await writeFile(file, 'a: 1');
    let changes = 0;
    watcher = watchConfigFile({
      file,
      logger: pino({ level: 'silent' }),
      onChange: () => {
        changes += 1;
      },
      debounceMs: 100,
      pollIntervalMs: 60_000,
    });
    for (let i = 0; i < 5; i++) await writeFile(file, `a: ${i}`);
    expect(await waitFor(() => changes >= 1)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(changes).toBe(1);
  });

  it('falls back to polling when no event arrives', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-watch-'));
    let changes = 0;
    watcher = watchConfigFile({
      file: join(dir, 'gateway.yaml'),
      logger: pino({ level: 'silent' }),
      onChange: () => {
        changes += 1;
      },
      debounceMs: 1,
      pollIntervalMs: 20,
    });
    expect(await waitFor(() => changes >= 2)).toBe(true);
  });

  it('re-establishes the watch when the directory is replaced', async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-watch-'));
    const file = join(dir, 'gateway.yaml');
    await writeFile(file, 'a: 1');
    let changes = 0;
    watcher = watchConfigFile({
      file,
      logger: pino({ level: 'silent' }),
      onChange: () => {
        changes += 1;
      },
      debounceMs: 5,
      pollIntervalMs: 60_000,
    });
    await rm(dir, { recursive: true, force: true });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const { mkdir } = await import('node:fs/promises');
    await mkdir(dir);
    await writeFile(file, 'a: 2');
    // Within the 1 s re-watch delay plus margin, the watcher is back and reports a change.
    expect(await waitFor(() => changes >= 1, 4000)).toBe(true);
    const before = changes;
    await new Promise((resolve) => setTimeout(resolve, 100));
    await writeFile(file, 'a: 3');
    expect(await waitFor(() => changes > before, 3000)).toBe(true);
  });
});
