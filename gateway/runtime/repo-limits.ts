import type { RepoLimitsConfig, ServerConfig } from '../../kernel/config-schema.ts';

/** The request limits one repo enforces: its own where it has them, else the server's. */
export type RepoLimits = Required<RepoLimitsConfig>;

/**
 * A repo's limits can only tighten the server-wide ones (validation refuses a
 * larger value); taking the minimum keeps that true even for a config built
 * without validation.
 */
export function effectiveLimits(server: ServerConfig, repo: RepoLimitsConfig | undefined): RepoLimits {
  const pick = (name: keyof RepoLimitsConfig) => Math.min(server[name], repo?.[name] ?? server[name]);
  return {
    bodyLimitBytes: pick('bodyLimitBytes'),
    maxDecompressedBytes: pick('maxDecompressedBytes'),
    maxLineBytes: pick('maxLineBytes'),
    maxLinesPerRequest: pick('maxLinesPerRequest'),
  };
}
