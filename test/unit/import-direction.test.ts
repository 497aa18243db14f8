import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { IMPORT_RULES, importViolations, sourceFiles } from '../support/import-rules.ts';

const ROOT = join(import.meta.dirname, '..', '..');

describe('import direction', () => {
  it('holds in the project: kernel imports neither plane, the gateway never the operator', async () => {
    const files = await sourceFiles(
      ROOT,
      IMPORT_RULES.map((rule) => rule.from.replace(/\/$/, '')),
    );
    expect(files.size).toBeGreaterThan(100);
    expect(files.has('kernel/canonical-json.ts')).toBe(true);
    expect(importViolations(files)).toEqual([]);
  });

  it.each([
    [
      'kernel/config-schema.ts',
      "import { x } from '../gateway/pipeline/field-path.ts';",
      'gateway/pipeline/field-path.ts',
    ],
    [
      'kernel/schema-walk.ts',
      "import type { Y } from '../operator/api/constants.ts';",
      'operator/api/constants.ts',
    ],
    [
      'gateway/http/build-app.ts',
      "import { z } from '../../operator/api/constants.ts';",
      'operator/api/constants.ts',
    ],
    ['gateway/main.ts', "const m = await import('../cli/sluice-command.ts');", 'cli/sluice-command.ts'],
    ['gateway/http/server.test.ts', "vi.mock('../../cli/render-command.ts');", 'cli/render-command.ts'],
    [
      'operator/main.ts',
      "import { canonicalJson } from '../gateway/runtime/plan-producers.ts';",
      'gateway/runtime/plan-producers.ts',
    ],
    [
      'operator/render/x.ts',
      "import { parse } from '../../cli/validate-command.ts';",
      'cli/validate-command.ts',
    ],
  ])('reports %s importing a forbidden file', (file, source, target) => {
    expect(importViolations(new Map([[file, source]]))).toEqual([
      expect.objectContaining({ file, imports: target }),
    ]);
  });

  it.each([
    ['operator/render/x.ts', "import { validateConfig } from '../../gateway/config/parse-config.ts';"],
    ['operator/render/x.ts', "import { canonicalJson } from '../../kernel/canonical-json.ts';"],
    ['gateway/http/x.ts', "import { GatewayConfigSchema } from '../../kernel/config-schema.ts';"],
    ['gateway/http/x.test.ts', "import { start } from '../../test/support/start-test-gateway.ts';"],
    ['cli/x.ts', "import { desiredNamespace } from '../operator/controller/desired-namespace.ts';"],
  ])('allows %s: %s', (file, source) => {
    expect(importViolations(new Map([[file, source]]))).toEqual([]);
  });
});
