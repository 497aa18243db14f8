import { createHash } from 'node:crypto';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { parse as parseYaml } from 'yaml';
import {
  type GatewayConfig,
  GatewayConfigSchema,
  type RepoLimitsConfig,
} from '../../kernel/config-schema.ts';
import { repoConfigDigests } from '../../kernel/repo-config-digest.ts';
import { schemaIssues, withDefaults } from '../../kernel/schema-walk.ts';
import { compileTrustedProxies } from '../../kernel/trusted-proxies.ts';
import { pipelineIssues } from '../pipeline/compile-pipeline.ts';

export interface ConfigIssue {
  /** JSON-pointer-like path of the offending field, e.g. `/repos/access/mode`. */
  readonly path: string;
  readonly message: string;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: GatewayConfig }
  | { readonly ok: false; readonly issues: readonly ConfigIssue[] };

/** A config file's text, parsed and validated: what a gateway loads. */
export type ParsedConfig =
  | {
      readonly ok: true;
      readonly config: GatewayConfig;
      /** Each repo's digest over its entry and its producer's as written (kernel/repo-config-digest.ts). */
      readonly repoDigests: ReadonlyMap<string, string>;
    }
  | Extract<ConfigResult, { ok: false }>;

const MAX_REPORTED_ISSUES = 20;

/** Parses YAML (or JSON) text into a validated, defaulted gateway config. Never throws. */
export function parseConfigText(text: string): ParsedConfig {
  let raw: unknown;
  try {
    raw = parseDocument(text);
  } catch (error) {
    return { ok: false, issues: [{ path: '/', message: `not valid YAML: ${(error as Error).message}` }] };
  }
  const result = validateConfig(raw);
  if (!result.ok) return result;
  // Digests over the entries as written, before defaults: only a gateway loading a file needs
  // them (the operator's per-object checks do not), so they are computed here.
  const repoDigests = repoConfigDigests(raw);
  // No revision written (hand-made files): the content decides, so every pod running the same
  // bytes reports the same revision.
  const config = hasOwnRevision(raw) ? result.config : { ...result.config, revision: contentRevision(text) };
  return { ok: true, config, repoDigests };
}

/**
 * JSON is YAML, and a JSON document parses two orders of magnitude faster
 * than the YAML parser can (the operator renders JSON for that reason, which
 * keeps a 1,000-repo reload within milliseconds). Anything else, or JSON that
 * does not parse, goes through the YAML parser for its error messages.
 */
function parseDocument(text: string): unknown {
  if (/^\s*\{/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // fall through: the YAML parser explains what is wrong
    }
  }
  // Aliases are capped so a hostile file cannot expand into gigabytes.
  return parseYaml(text, { maxAliasCount: 100, prettyErrors: true, uniqueKeys: true });
}

/** SHA-256 of a config text: what the reloader compares, and the source of content revisions. */
export const hashText = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A short, stable revision derived from the config text. */
export function contentRevision(text: string): string {
  return `content-${hashText(text).slice(0, 12)}`;
}

/**
 * The revision a config text says it is, read even when the config is invalid (a rejected
 * reload still names what it refused); undefined when the text does not parse or has none.
 */
export function declaredRevision(text: string): string | undefined {
  try {
    const raw = parseDocument(text) as { revision?: unknown } | null;
    return raw !== null && typeof raw === 'object' && typeof raw.revision === 'string'
      ? raw.revision
      : undefined;
  } catch {
    return undefined;
  }
}

function hasOwnRevision(raw: unknown): boolean {
  return raw !== null && typeof raw === 'object' && Object.hasOwn(raw, 'revision');
}

// The compiled checker is fast on the common, valid path; the walker that
// explains errors runs only when it fails.
let compiledChecker: TypeCheck<typeof GatewayConfigSchema> | undefined;
const configChecker = () => {
  compiledChecker ??= TypeCompiler.Compile(GatewayConfigSchema);
  return compiledChecker;
};

/** Applies schema defaults, then checks the schema and the cross-field rules. Never throws. */
export function validateConfig(raw: unknown): ConfigResult {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    return { ok: false, issues: [{ path: '/', message: 'expected a mapping with producers and repos' }] };
  }
  const candidate = withDefaults(GatewayConfigSchema, raw);
  if (!configChecker().Check(candidate)) {
    const issues = schemaIssues(GatewayConfigSchema, candidate, '', MAX_REPORTED_ISSUES);
    return {
      ok: false,
      issues: issues.length > 0 ? issues : [{ path: '/', message: 'does not match the schema' }],
    };
  }
  const config = candidate as GatewayConfig;
  const crossIssues = crossFieldIssues(config);
  if (crossIssues.length > 0) return { ok: false, issues: crossIssues };
  return { ok: true, config };
}

/** Rules that span fields and that a JSON schema cannot say. Pure. */
export function crossFieldIssues(config: GatewayConfig): ConfigIssue[] {
  const issues: ConfigIssue[] = [];
  const proxies = compileTrustedProxies(config.server.trustedProxies);
  if (!proxies.ok) {
    for (const issue of proxies.issues)
      issues.push({ path: `/server/trustedProxies/${issue.index}`, message: issue.message });
  }
  for (const [name, producer] of Object.entries(config.producers)) {
    if (producer.type === 'file' && producer.path === undefined) {
      issues.push({ path: `/producers/${name}/path`, message: 'a file producer needs a path' });
    }
    if (producer.type === 'kafka' && producer.idempotent && producer.acks !== 'all') {
      issues.push({ path: `/producers/${name}/acks`, message: 'an idempotent producer requires acks: all' });
    }
    if (producer.type === 'kafka' && producer.idempotent && producer.retries < 1) {
      issues.push({
        path: `/producers/${name}/retries`,
        message: 'an idempotent producer requires retries of at least 1',
      });
    }
  }
  for (const [name, repo] of Object.entries(config.repos)) {
    if (!Object.hasOwn(config.producers, repo.producer)) {
      const known = Object.keys(config.producers).join(', ') || 'none';
      issues.push({
        path: `/repos/${name}/producer`,
        message: `unknown producer "${repo.producer}" (known: ${known})`,
      });
    }
    for (const [limit, value] of Object.entries(repo.limits ?? {})) {
      const serverLimit = config.server[limit as keyof RepoLimitsConfig];
      if (value !== undefined && value > serverLimit) {
        issues.push({
          path: `/repos/${name}/limits/${limit}`,
          message: `${value} exceeds server.${limit} (${serverLimit}); a repo limit can only be tighter`,
        });
      }
    }
    // Patterns, field paths, time formats and exclusive fields: compiling the pipeline checks them.
    issues.push(...pipelineIssues(name, repo));
  }
  return issues;
}
