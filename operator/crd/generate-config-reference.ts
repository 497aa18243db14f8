import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { CONFIG_REFERENCE_PATH, renderConfigReference } from './render-config-reference.ts';

// `npm run generate:docs`: writes docs/configuration-reference.md from the schemas; the
// drift test (config-reference-drift.test.ts) fails until it is rerun after a schema change.
const target = join(import.meta.dirname, '..', '..', CONFIG_REFERENCE_PATH);
await mkdir(dirname(target), { recursive: true });
const text = renderConfigReference();
await writeFile(target, text);
console.log(`wrote ${CONFIG_REFERENCE_PATH} (${text.length} bytes)`);
