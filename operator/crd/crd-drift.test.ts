import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CRD_OUTPUT_DIRS, renderCrdFiles } from './render-crd-files.ts';

const root = join(import.meta.dirname, '..', '..');

describe.each(CRD_OUTPUT_DIRS)('%s/', (dir) => {
  it('matches what the schemas generate (run `npm run generate:crds` after changing a schema)', async () => {
    const expected = renderCrdFiles();
    const present = (await readdir(join(root, dir))).filter((name) => name.endsWith('.yaml')).sort();
    expect(present).toEqual([...expected.keys()].sort());
    for (const [name, text] of expected) {
      expect(await readFile(join(root, dir, name), 'utf8'), `${dir}/${name}`).toBe(text);
    }
  });
});
