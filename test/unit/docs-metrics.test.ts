import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createGatewayMetrics } from '../../gateway/observability/metrics.ts';

// docs/operations.md lists the metrics by hand; this keeps the list complete: every metric
// the gateway registers, and every `sluice_*` metric name declared anywhere in the gateway or
// operator sources, must appear in it.

const root = join(import.meta.dirname, '..', '..');

async function declaredMetricNames(): Promise<string[]> {
  const names = new Set<string>();
  for (const dir of ['gateway', 'operator']) {
    const entries = await readdir(join(root, dir), { recursive: true, withFileTypes: true });
    for (const entry of entries) {
      if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.test.ts')) continue;
      const text = await readFile(join(entry.parentPath, entry.name), 'utf8');
      for (const match of text.matchAll(/name: '(sluice_[a-z0-9_]+)'/g)) names.add(match[1] as string);
    }
  }
  return [...names].sort();
}

describe('docs/operations.md', () => {
  it('lists every metric the gateway registers', async () => {
    const doc = await readFile(join(root, 'docs', 'operations.md'), 'utf8');
    const registered = createGatewayMetrics({ defaultMetrics: false })
      .registry.getMetricsAsArray()
      .map((metric) => metric.name);
    expect(registered.length).toBeGreaterThan(10);
    for (const name of registered) expect(doc, name).toContain(`\`${name}\``);
    expect(doc).toContain('`sluice_process_`');
  });

  it('lists every sluice_* metric declared in the gateway and operator sources', async () => {
    const doc = await readFile(join(root, 'docs', 'operations.md'), 'utf8');
    const declared = await declaredMetricNames();
    expect(declared).toContain('sluice_operator_reconcile_total');
    for (const name of declared) expect(doc, name).toContain(`\`${name}\``);
  });
});
