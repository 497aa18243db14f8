import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeConfigMapVolume } from '../../test/support/atomic-writer.ts';
import { eventually } from '../../test/support/eventually.ts';
import { WatchedFiles } from './watched-files.ts';

describe('WatchedFiles', () => {
  let dir: string;
  let changes: number;
  let watched: WatchedFiles;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-watched-files-'));
    changes = 0;
    watched = new WatchedFiles({
      logger: pino({ level: 'silent' }),
      onChange: () => {
        changes += 1;
      },
      pollIntervalMs: 60_000,
    });
  });
  afterEach(async () => {
    watched.close();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    { steps: [['a', 'b']], expected: ['a', 'b'] },
    {
      steps: [
        ['a', 'b'],
        ['b', 'c'],
      ],
      expected: ['b', 'c'],
    },
    { steps: [['a', 'a']], expected: ['a'] },
    { steps: [['a'], []], expected: [] },
  ])('follows $steps → $expected', ({ steps, expected }) => {
    for (const files of steps) watched.follow(files.map((name) => join(dir, name)));
    expect(watched.files.map((file) => file.slice(dir.length + 1)).sort()).toEqual(expected);
  });

  it('reports a change of a followed file, and watches nothing once closed', async () => {
    await writeConfigMapVolume(join(dir, 'secret'), { tokens: 'one' });
    watched.follow([join(dir, 'secret', 'tokens')]);
    await writeConfigMapVolume(join(dir, 'secret'), { tokens: 'two' });
    expect(
      await eventually(
        async () => changes,
        (count) => count >= 1,
        3_000,
        10,
      ),
    ).toBeGreaterThanOrEqual(1);
    watched.close();
    expect(watched.files).toEqual([]);
  });
});
