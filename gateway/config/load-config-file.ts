import { readFile } from 'node:fs/promises';
import { type ConfigResult, type ParsedConfig, parseConfigText } from './parse-config.ts';

export type LoadedConfig =
  | (Extract<ParsedConfig, { ok: true }> & { readonly text: string })
  | Extract<ConfigResult, { ok: false }>;

/**
 * Reads and validates a config file; on success also returns the text it
 * validated (the reloader hashes it). Never throws: a missing file is an
 * issue like any other.
 */
export async function loadConfigFile(path: string): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return {
      ok: false,
      issues: [{ path: '/', message: `cannot read ${path}: ${(error as Error).message}` }],
    };
  }
  const parsed = parseConfigText(text);
  return parsed.ok ? { ...parsed, text } : parsed;
}

export function formatIssues(source: string, result: Extract<ConfigResult, { ok: false }>): string {
  return [
    `invalid config ${source}:`,
    ...result.issues.map((issue) => `  ${issue.path}: ${issue.message}`),
  ].join('\n');
}
