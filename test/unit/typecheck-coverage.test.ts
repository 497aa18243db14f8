import { readdir, readFile } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { describe, expect, it } from 'vitest';

// vitest only strips types, so a TypeScript file that tsconfig.json leaves out is never
// type-checked at all (the `sluice` command was, until cli/ and bin/ were added). Every .ts
// file of the project must sit under one of tsconfig's `include` entries.

const ROOT = join(import.meta.dirname, '..', '..');
const SKIPPED = new Set(['node_modules', '.cache', '.git', 'coverage', 'tmp']);

async function typeScriptFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (SKIPPED.has(entry.name)) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await typeScriptFiles(path)));
    else if (/\.(c|m)?tsx?$/.test(entry.name)) out.push(relative(ROOT, path).split(sep).join('/'));
  }
  return out;
}

describe('tsconfig.json', () => {
  it('includes every TypeScript file of the project', async () => {
    const { include } = JSON.parse(await readFile(join(ROOT, 'tsconfig.json'), 'utf8')) as {
      include: string[];
    };
    const covered = (file: string) => include.some((entry) => file === entry || file.startsWith(`${entry}/`));
    const files = await typeScriptFiles(ROOT);
    expect(files).toContain('bin/sluice.ts');
    expect(files.filter((file) => !covered(file))).toEqual([]);
  });
});
