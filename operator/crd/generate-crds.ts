import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { renderCrdFiles } from './render-crd-files.ts';

// `npm run generate:crds`: writes crds/*.yaml from the schemas.
const dir = join(import.meta.dirname, '..', '..', 'crds');
await mkdir(dir, { recursive: true });
for (const [name, text] of renderCrdFiles()) {
  await writeFile(join(dir, name), text);
  console.log(`wrote crds/${name} (${text.length} bytes)`);
}
