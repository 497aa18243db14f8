import { describe, expect, it } from 'vitest';
import type { ServerConfig } from '../../kernel/config-schema.ts';
import { validateConfig } from '../config/parse-config.ts';
import { effectiveLimits } from './repo-limits.ts';

const server = {
  bodyLimitBytes: 10_000,
  maxDecompressedBytes: 50_000,
  maxLineBytes: 1000,
  maxLinesPerRequest: 100,
} as ServerConfig;

describe('effectiveLimits', () => {
  it.each([
    { repo: undefined, expected: server },
    { repo: {}, expected: server },
    { repo: { bodyLimitBytes: 2048 }, expected: { ...server, bodyLimitBytes: 2048 } },
    {
      repo: { maxLineBytes: 100, maxLinesPerRequest: 5, maxDecompressedBytes: 4096 },
      expected: { ...server, maxLineBytes: 100, maxLinesPerRequest: 5, maxDecompressedBytes: 4096 },
    },
    // Validation refuses this; the runtime still never loosens a server limit.
    { repo: { bodyLimitBytes: 1_000_000 }, expected: server },
  ])('$repo', ({ repo, expected }) => {
    expect(effectiveLimits(server, repo)).toEqual({
      bodyLimitBytes: expected.bodyLimitBytes,
      maxDecompressedBytes: expected.maxDecompressedBytes,
      maxLineBytes: expected.maxLineBytes,
      maxLinesPerRequest: expected.maxLinesPerRequest,
    });
  });
});

describe('repo limits in the config', () => {
  const config = (limits: Record<string, unknown>, serverLimits: Record<string, unknown> = {}) =>
    validateConfig({
      server: serverLimits,
      producers: { out: { type: 'stdout' } },
      repos: { access: { producer: 'out', topic: 't', limits } },
    });

  it.each([
    { limits: { bodyLimitBytes: 20 * 1024 * 1024 }, path: '/repos/access/limits/bodyLimitBytes' },
    { limits: { maxLineBytes: 2 * 1024 * 1024 }, path: '/repos/access/limits/maxLineBytes' },
    { limits: { maxLinesPerRequest: 2_000_000 }, path: '/repos/access/limits/maxLinesPerRequest' },
    {
      limits: { maxDecompressedBytes: 128 * 1024 * 1024 },
      path: '/repos/access/limits/maxDecompressedBytes',
    },
    { limits: { maxLinesPerRequest: 0 }, path: '/repos/access/limits/maxLinesPerRequest' },
    { limits: { lines: 5 }, path: '/repos/access/limits/lines' },
  ])('refuses $limits above the server default or out of range', ({ limits, path }) => {
    const result = config(limits);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues.map((issue) => issue.path)).toContain(path);
  });

  it('accepts a repo limit up to the configured server limit', () => {
    const result = config({ maxLinesPerRequest: 5000 }, { maxLinesPerRequest: 5000 });
    expect(result.ok).toBe(true);
  });
});
