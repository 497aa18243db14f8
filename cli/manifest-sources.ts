import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { text as readAll } from 'node:stream/consumers';

/** One stream of manifests: a file, or standard input, named as the output will name it. */
export interface ManifestSource {
  readonly name: string;
  readonly text: string;
}

/** The argument that could not be read, and why (an errno code such as ENOENT, or a sentence). */
export interface UnreadableSource {
  readonly unreadable: string;
  readonly message: string;
}

/** What `-` (standard input) is called in output, as kubectl calls it. */
export const STDIN_NAME = '<stdin>';

/** Files a directory contributes, as `kubectl apply -f DIR --recursive` takes them. */
const MANIFEST_FILE = /\.(ya?ml|json)$/;

/**
 * The manifests the arguments name, in argument order: `-` is standard input (once), a
 * directory is every *.yaml, *.yml and *.json below it (recursively, sorted by path, hidden
 * entries skipped), anything else a file. Resolves with the first argument that cannot be
 * read instead.
 */
export async function readManifestSources(
  args: readonly string[],
  stdin: Readable,
): Promise<{ readonly sources: ManifestSource[] } | UnreadableSource> {
  const sources: ManifestSource[] = [];
  let stdinRead = false;
  for (const arg of args) {
    if (arg === '-') {
      if (stdinRead) return { unreadable: arg, message: 'standard input given twice' };
      stdinRead = true;
      sources.push({ name: STDIN_NAME, text: await readAll(stdin) });
      continue;
    }
    const files = await filesOf(arg);
    if ('unreadable' in files) return files;
    for (const file of files) {
      try {
        sources.push({ name: file, text: await readFile(file, 'utf8') });
      } catch (error) {
        return { unreadable: file, message: errorCode(error) };
      }
    }
  }
  return { sources };
}

const errorCode = (error: unknown) =>
  (error as NodeJS.ErrnoException).code ?? (error as Error).message ?? String(error);

async function filesOf(path: string): Promise<string[] | UnreadableSource> {
  try {
    if (!(await stat(path)).isDirectory()) return [path];
    return (await walk(path)).sort();
  } catch (error) {
    return { unreadable: path, message: errorCode(error) };
  }
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (MANIFEST_FILE.test(entry.name)) out.push(path);
  }
  return out;
}
