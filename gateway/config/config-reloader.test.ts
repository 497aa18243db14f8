import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../kernel/config-schema.ts';
import { createGatewayMetrics } from '../observability/metrics.ts';
import { ConfigReloader, shouldReload } from './config-reloader.ts';
import { hashText } from './parse-config.ts';
import { ReloadStatus } from './reload-status.ts';

describe('shouldReload', () => {
  it.each([
    { hash: 'a', last: 'a', force: false, expected: false },
    { hash: 'b', last: 'a', force: false, expected: true },
    { hash: 'a', last: undefined, force: false, expected: true },
    { hash: 'a', last: 'a', force: true, expected: true },
  ])('hash $hash after $last (force $force) → $expected', ({ hash, last, force, expected }) => {
    expect(shouldReload(hash, last, force)).toBe(expected);
  });
});

const valid = (revision: string) =>
  `revision: ${revision}\nproducers: { out: { type: stdout } }\nrepos: { a: { producer: out, topic: t } }\n`;

describe('ConfigReloader', () => {
  let dir: string;
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function setup(initial: string) {
    dir = await mkdtemp(join(tmpdir(), 'sluice-reload-'));
    const file = join(dir, 'gateway.yaml');
    await writeFile(file, initial);
    const applied: GatewayConfig[] = [];
    const metrics = createGatewayMetrics({ defaultMetrics: false });
    const status = new ReloadStatus(() => new Date('2026-12-03T10:00:00Z'));
    const digests: Array<ReadonlyMap<string, string>> = [];
    const reloader = new ConfigReloader({
      file,
      metrics,
      status,
      logger: pino({ level: 'silent' }),
      initialHash: hashText(initial),
      apply: async (config, repoDigests) => {
        applied.push(config);
        digests.push(repoDigests);
      },
    });
    const count = async (result: string) =>
      (await metrics.configReloads.get()).values.find((v) => v.labels.result === result)?.value ?? 0;
    return { file, applied, reloader, count, status, digests };
  }

  it('keeps the last rejection for /status, with the refused revision and the failing path, until a config applies', async () => {
    const { file, reloader, status, digests } = await setup(valid('r1'));
    expect(status.report).toEqual({ lastResult: 'none', rejected: null });
    await writeFile(file, valid('r2').replace('topic: t', 'topic: t, executers: [{ type: teleport }]'));
    expect(await reloader.check()).toBe('invalid');
    expect(status.report).toEqual({
      lastResult: 'invalid',
      rejected: {
        revision: 'r2',
        at: '2026-12-03T10:00:00.000Z',
        result: 'invalid',
        message: expect.stringMatching(/^\/repos\/a\/executers\/0/),
      },
    });
    await writeFile(file, valid('r3'));
    expect(await reloader.check()).toBe('applied');
    expect(status.report).toEqual({ lastResult: 'applied', rejected: null });
    // The repo digests of the applied file reach the runtime with it.
    expect([...(digests.at(-1)?.keys() ?? [])]).toEqual(['a']);
  });

  it('reports an unreadable file by its error code, never by content', async () => {
    const { file, reloader, status } = await setup(valid('r1'));
    await rm(file);
    expect(await reloader.check()).toBe('error');
    expect(status.report.rejected).toMatchObject({
      result: 'error',
      message: 'cannot read the config file (ENOENT)',
    });
    expect(status.report.rejected).not.toHaveProperty('revision');
  });

  it('applies changed content once, ignores unchanged content, and reloads on force', async () => {
    const { file, applied, reloader, count } = await setup(valid('r1'));
    expect(await reloader.check()).toBe('unchanged');
    await writeFile(file, valid('r2'));
    expect(await reloader.check()).toBe('applied');
    expect(await reloader.check()).toBe('unchanged');
    expect(await reloader.check(true)).toBe('applied');
    expect(applied.map((c) => c.revision)).toEqual(['r2', 'r2']);
    expect(await count('applied')).toBe(2);
  });

  it('rejects an invalid or half-written file once, keeps the last good config, then applies the next valid one', async () => {
    const { file, applied, reloader, count } = await setup(valid('r1'));
    await writeFile(
      file,
      'producers: { out: { type: stdout } }\nrepos: { a: { producer: nope, topic: t } }\n',
    );
    expect(await reloader.check()).toBe('invalid');
    expect(await reloader.check()).toBe('unchanged');
    await writeFile(file, valid('r3').slice(0, 30));
    expect(await reloader.check()).toBe('invalid');
    await writeFile(file, valid('r4'));
    expect(await reloader.check()).toBe('applied');
    expect(applied.map((c) => c.revision)).toEqual(['r4']);
    expect(await count('invalid')).toBe(2);
  });

  it('reports an unreadable file as an error without applying anything', async () => {
    const { file, applied, reloader, count } = await setup(valid('r1'));
    await rm(file);
    expect(await reloader.check()).toBe('error');
    expect(applied).toEqual([]);
    expect(await count('error')).toBe(1);
  });

  it('coalesces checks that arrive while one is running', async () => {
    const { file, applied, reloader } = await setup(valid('r1'));
    await writeFile(file, valid('r2'));
    const results = await Promise.all([reloader.check(), reloader.check(), reloader.check()]);
    expect(results).toEqual(['applied', 'applied', 'applied']);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(applied.map((c) => c.revision)).toEqual(['r2']);
  });

  it('derives a content revision when the file names none', async () => {
    const { file, applied, reloader } = await setup(valid('r1'));
    const text = 'producers: { out: { type: stdout } }\nrepos: { a: { producer: out, topic: t } }\n';
    await writeFile(file, text);
    await reloader.check();
    expect(applied[0]?.revision).toBe(`content-${hashText(text).slice(0, 12)}`);
  });
});
