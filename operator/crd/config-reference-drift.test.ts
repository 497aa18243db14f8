import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONFIG_REFERENCE_PATH, renderConfigReference } from './render-config-reference.ts';

const root = join(import.meta.dirname, '..', '..');

describe(CONFIG_REFERENCE_PATH, () => {
  it('matches what the schemas generate (run `npm run generate:docs` after changing a schema)', async () => {
    const present = await readFile(join(root, CONFIG_REFERENCE_PATH), 'utf8');
    expect(present === renderConfigReference(), 'stale: run `npm run generate:docs`').toBe(true);
  });

  it('is deterministic', () => {
    expect(renderConfigReference()).toBe(renderConfigReference());
  });
});
