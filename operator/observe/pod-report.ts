/**
 * What one gateway pod said on `GET /status`, reduced to what the operator judges by: the
 * config revision it runs, each repo's config digest, and the last reload it refused.
 */
export interface PodReport {
  readonly revision: string | null;
  /** Repo name → config digest (kernel/repo-config-digest.ts); null from a gateway too old to report one. */
  readonly repos: ReadonlyMap<string, string | null>;
  readonly rejected?: { readonly revision?: string; readonly message: string; readonly at?: string };
  readonly draining: boolean;
}

/** A pod as the observer last saw it: reported, or unknown (no answer, an error, a body it could not read). */
export type PodObservation =
  | { readonly pod: string; readonly state: 'reported'; readonly report: PodReport }
  | { readonly pod: string; readonly state: 'unknown'; readonly problem: string };

const isRecord = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/**
 * Reads a `/status` body. Never throws: anything that is not the gateway's shape is a
 * problem string, and the pod counts as unknown. Messages are the gateway's own (config
 * paths and schema words) and are cut to a bounded length before they reach a status.
 */
export function parsePodReport(
  body: unknown,
): { ok: true; report: PodReport } | { ok: false; problem: string } {
  if (!isRecord(body) || !Array.isArray(body.repos))
    return { ok: false, problem: 'not a gateway /status answer' };
  const repos = new Map<string, string | null>();
  for (const repo of body.repos) {
    if (!isRecord(repo) || typeof repo.name !== 'string') continue;
    repos.set(repo.name, typeof repo.digest === 'string' ? repo.digest : null);
  }
  const reload = isRecord(body.reload) ? body.reload : undefined;
  const rejected = reload && isRecord(reload.rejected) ? reload.rejected : undefined;
  return {
    ok: true,
    report: {
      revision: typeof body.revision === 'string' ? body.revision : null,
      repos,
      draining: body.draining === true,
      ...(rejected && typeof rejected.message === 'string'
        ? {
            rejected: {
              message: rejected.message.slice(0, MAX_MESSAGE),
              ...(typeof rejected.revision === 'string' ? { revision: rejected.revision } : {}),
              ...(typeof rejected.at === 'string' ? { at: rejected.at } : {}),
            },
          }
        : {}),
    },
  };
}

const MAX_MESSAGE = 512;
