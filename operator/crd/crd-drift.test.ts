import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { renderCrdFiles } from './render-crd-files.ts';

const crdDir = join(import.meta.dirname, '..', '..', 'crds');

describe('crds/', () => {
  it('matches what the schemas generate (run `npm run generate:crds` after changing a schema)', async () => {
    const expected = renderCrdFiles();
    const present = (await readdir(crdDir)).filter((name) => name.endsWith('.yaml')).sort();
    expect(present).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) {
      expect(await readFile(join(crdDir, name), 'utf8'), name).toBe(text);
    }
  });
});
