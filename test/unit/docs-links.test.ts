import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

// Relative links of the user docs (README.md, docs/*.md, examples/**/README.md) point at
// files that exist and, with a #fragment into Markdown, at a heading that exists. Links into
// charts/ are left out: the chart's README is written with the chart.

const root = join(import.meta.dirname, '..', '..');

async function documents(): Promise<string[]> {
  const docs = (await readdir(join(root, 'docs')))
    .filter((name) => name.endsWith('.md'))
    .map((name) => join(root, 'docs', name));
  const examples = (await readdir(join(root, 'examples'), { recursive: true }))
    .filter((name) => name.endsWith('README.md'))
    .map((name) => join(root, 'examples', name));
  return [join(root, 'README.md'), ...docs, ...examples].sort();
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens. */
function anchorOf(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

function anchors(markdown: string): Set<string> {
  const withoutCode = markdown.replace(/^```[\s\S]*?^```/gm, '');
  const found = new Set<string>();
  for (const match of withoutCode.matchAll(/^#{1,6} (.+)$/gm)) found.add(anchorOf(match[1] as string));
  return found;
}

function links(markdown: string): string[] {
  const withoutCode = markdown
    .replace(/^```[\s\S]*?^```/gm, '')
    .replace(/``.*?``/g, '')
    .replace(/`[^`\n]*`/g, '');
  return [...withoutCode.matchAll(/\]\(([^)\s]+)\)/g)]
    .map((match) => match[1] as string)
    .filter((target) => !/^[a-z]+:/.test(target));
}

describe('links in the user docs', () => {
  it.each([
    ['Quick start', 'quick-start'],
    ['Dry run: `sluice pipeline`', 'dry-run-sluice-pipeline'],
    [
      '503 KAFKA_UNAVAILABLE, DELIVERY_TIMEOUT, DELIVERY_FAILED',
      '503-kafka_unavailable-delivery_timeout-delivery_failed',
    ],
  ])('anchorOf(%j) is %s', (heading, anchor) => {
    expect(anchorOf(heading)).toBe(anchor);
  });

  it('resolve to existing files and headings', async () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of await documents()) {
      const text = await readFile(file, 'utf8');
      for (const link of links(text)) {
        checked += 1;
        const [path = '', fragment] = link.split('#');
        const target = path === '' ? file : join(dirname(file), path);
        if (relative(root, target).startsWith('charts/')) continue;
        if (!existsSync(target)) {
          broken.push(`${relative(root, file)}: ${link} (no such file)`);
          continue;
        }
        if (fragment !== undefined && target.endsWith('.md')) {
          if (!anchors(await readFile(target, 'utf8')).has(fragment)) {
            broken.push(`${relative(root, file)}: ${link} (no such heading)`);
          }
        }
      }
    }
    // The docs do link to one another: a links() that found nothing would pass vacuously.
    expect(checked).toBeGreaterThan(10);
    expect(broken).toEqual([]);
  });
});
