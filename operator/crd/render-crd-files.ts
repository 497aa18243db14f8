import { stringify } from 'yaml';
import { customResourceDefinitions } from './custom-resource-definitions.ts';

const GENERATED_HEADER =
  '# Generated from operator/api/*.ts and gateway/config/*schema.ts by `npm run generate:crds`.\n# Do not edit: change the schemas and regenerate; a test fails when this file drifts.\n';

/** Folders (relative to the repository root) that hold the generated CRDs, identical in each. */
export const CRD_OUTPUT_DIRS = ['crds', 'charts/sluice/crds'] as const;

/** File name → YAML text of every CRD under crds/. Pure. */
export function renderCrdFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const definition of customResourceDefinitions()) {
    files.set(
      `${definition.metadata.name}.yaml`,
      GENERATED_HEADER + stringify(definition, { lineWidth: 0, aliasDuplicateObjects: false }),
    );
  }
  return files;
}
