import { digestOf } from './canonical-json.ts';

/**
 * The digest of one repo's part of a gateway config: its entry under `repos` and the entry of
 * the producer it names, as written in the config file (before the gateway fills in
 * defaults). The operator stamps it on the LogRepo's status when it renders the config; each
 * gateway reports it for the repo on `/status` after loading that config. Equal digests mean
 * the pod serves the repo exactly as rendered, whatever else in the file changed; computing
 * it before defaults keeps it equal across gateway versions whose defaults differ.
 */
export function repoConfigDigest(repo: unknown, producer: unknown): string {
  return digestOf({ repo, producer });
}

/** The digest of every repo of a raw (not yet defaulted) config document; repos without a producer entry are left out. */
export function repoConfigDigests(raw: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!isRecord(raw) || !isRecord(raw.repos)) return out;
  const producers = isRecord(raw.producers) ? raw.producers : {};
  for (const [name, repo] of Object.entries(raw.repos)) {
    if (!isRecord(repo) || typeof repo.producer !== 'string' || !Object.hasOwn(producers, repo.producer))
      continue;
    out.set(name, repoConfigDigest(repo, producers[repo.producer]));
  }
  return out;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);
