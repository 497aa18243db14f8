import { readFile } from 'node:fs/promises';
import { type ConfigResult, parseConfigText } from './parse-config.ts';

/** Reads and validates a config file. Never throws: a missing file is an issue like any other. */
export async function loadConfigFile(path: string): Promise<ConfigResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    return {
      ok: false,
      issues: [{ path: '/', message: `cannot read ${path}: ${(error as Error).message}` }],
    };
  }
  return parseConfigText(text);
}

export function formatIssues(source: string, result: Extract<ConfigResult, { ok: false }>): string {
  return [
    `invalid config ${source}:`,
    ...result.issues.map((issue) => `  ${issue.path}: ${issue.message}`),
  ].join('\n');
}
