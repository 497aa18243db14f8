import { createHash, timingSafeEqual } from 'node:crypto';
import type { GatewayConfig } from '../../kernel/config-schema.ts';

// Per-repo bearer-token authentication of ingest requests. The decision is a pure
// function over a table built from the config and the token files' contents; the edge
// that reads and watches those files is ingest-auth-tokens.ts, the hook that answers is
// in build-app.ts.
//
// Contract (it must not reveal which repos exist to a caller without a valid token):
//   - a repo without `auth` accepts every request, whatever Authorization says;
//   - a repo with `auth` accepts a request whose bearer token is one of its tokens, and
//     answers 401 to anything else (no header, another scheme, a wrong token, a token of
//     another repo);
//   - an unknown repo answers 404 when no repo of the config requires auth (nothing to
//     hide) or the caller presents a token valid for some repo; otherwise it answers the
//     very same 401 a protected repo gives (status, headers and body).

/** SHA-256 of a token: what the table keeps and compares (equal lengths, so timing says nothing about length). */
export const tokenDigest = (token: string): Buffer => createHash('sha256').update(token, 'utf8').digest();

export interface AuthToken {
  readonly digest: Buffer;
  /** The protected repos that accept this token. */
  readonly repos: ReadonlySet<string>;
}

export interface IngestAuthTable {
  /** Every repo of the config: true when it requires a token. */
  readonly repos: ReadonlyMap<string, boolean>;
  /** True when some repo requires a token (unknown repos then answer 401 to unauthenticated callers). */
  readonly anyProtected: boolean;
  /** Distinct tokens across all protected repos. */
  readonly tokens: readonly AuthToken[];
}

export type AuthDecision = 'allow' | 'deny';

/** The tokens of a tokens file: one per line, surrounding white space and empty lines ignored. Pure. */
export function parseTokens(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

/** The files the config's protected repos name, sorted and unique. Pure. */
export function tokenFiles(config: Pick<GatewayConfig, 'repos'>): string[] {
  const files = new Set<string>();
  for (const repo of Object.values(config.repos)) if (repo.auth) files.add(repo.auth.tokensFile);
  return [...files].sort();
}

/**
 * The table for a config, given the tokens read from each file. A protected repo whose
 * file is missing from `tokensByFile`, or holds no token, accepts nothing (fail closed).
 * Pure.
 */
export function buildAuthTable(
  config: Pick<GatewayConfig, 'repos'>,
  tokensByFile: ReadonlyMap<string, readonly string[]>,
): IngestAuthTable {
  const repos = new Map<string, boolean>();
  const byToken = new Map<string, { digest: Buffer; repos: Set<string> }>();
  for (const [name, repo] of Object.entries(config.repos)) {
    repos.set(name, repo.auth !== undefined);
    if (!repo.auth) continue;
    for (const token of tokensByFile.get(repo.auth.tokensFile) ?? []) {
      const digest = tokenDigest(token);
      const key = digest.toString('hex');
      let entry = byToken.get(key);
      if (!entry) {
        entry = { digest, repos: new Set() };
        byToken.set(key, entry);
      }
      entry.repos.add(name);
    }
  }
  return { repos, anyProtected: [...repos.values()].some(Boolean), tokens: [...byToken.values()] };
}

/**
 * The token of an `Authorization: Bearer <token>` header (scheme case-insensitive), or
 * undefined for a missing header, another scheme or an empty token. Pure.
 */
export function parseBearer(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(header);
  return match?.[1];
}

/**
 * Whether a request for `repo` presenting `token` (undefined: none) may proceed. Every
 * token of the table is compared, in constant time and without stopping at a match, so
 * the time taken does not depend on which token matched or for which repo. Pure.
 */
export function decideIngestAuth(
  table: IngestAuthTable,
  repo: string,
  token: string | undefined,
): AuthDecision {
  const isProtected = table.repos.get(repo);
  if (isProtected === false) return 'allow';
  if (isProtected === undefined && !table.anyProtected) return 'allow';
  if (token === undefined) return 'deny';
  const presented = tokenDigest(token);
  let forRepo = false;
  let forAny = false;
  for (const entry of table.tokens) {
    const equal = timingSafeEqual(presented, entry.digest);
    forAny ||= equal;
    forRepo ||= equal && entry.repos.has(repo);
  }
  if (isProtected === true) return forRepo ? 'allow' : 'deny';
  // Unknown repo: a caller holding some valid token may learn that it does not exist.
  return forAny ? 'allow' : 'deny';
}

/** A digest of the table's content, to tell whether re-reading the files changed anything. Pure. */
export function tableFingerprint(table: IngestAuthTable): string {
  const hash = createHash('sha256');
  for (const [name, isProtected] of [...table.repos].sort(([a], [b]) => (a < b ? -1 : 1))) {
    hash.update(`${name}:${isProtected}\n`);
  }
  const tokens = table.tokens
    .map((entry) => `${entry.digest.toString('hex')}:${[...entry.repos].sort().join(',')}`)
    .sort();
  for (const line of tokens) hash.update(`${line}\n`);
  return hash.digest('hex');
}
