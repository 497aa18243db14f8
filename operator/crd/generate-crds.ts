import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CRD_OUTPUT_DIRS, renderCrdFiles } from './render-crd-files.ts';

// `npm run generate:crds`: writes the CRDs from the schemas into crds/ (kubectl users) and
// charts/sluice/crds/ (Helm installs that folder before the chart's templates), byte for byte
// the same; the drift test checks both.
const root = join(import.meta.dirname, '..', '..');
for (const dir of CRD_OUTPUT_DIRS) {
  await mkdir(join(root, dir), { recursive: true });
  for (const [name, text] of renderCrdFiles()) {
    await writeFile(join(root, dir, name), text);
    console.log(`wrote ${dir}/${name} (${text.length} bytes)`);
  }
}
