import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { customResourceDefinitions } from '../../operator/crd/custom-resource-definitions.ts';

// The manifests under test/validate-corpus/, by the verdict they must get: `accepted` by the
// apiserver and `sluice validate`; `rejected` by both (schema or CEL rules); and
// `operator-rejects`, admitted by the apiserver but refused by the gateway's own checks, so
// `sluice validate` rejects them and the operator would leave them out of the config.

export const CORPUS_DIR = join(import.meta.dirname, '..', 'validate-corpus');

export type CorpusVerdict = 'accepted' | 'rejected' | 'operator-rejects';

export interface CorpusCase {
  /** e.g. `rejected/repo-mode.yaml` */
  readonly name: string;
  readonly verdict: CorpusVerdict;
  readonly path: string;
  readonly text: string;
}

export async function corpusCases(): Promise<CorpusCase[]> {
  const cases: CorpusCase[] = [];
  for (const verdict of ['accepted', 'rejected', 'operator-rejects'] as const) {
    for (const file of (await readdir(join(CORPUS_DIR, verdict))).filter((f) => f.endsWith('.yaml')).sort()) {
      const path = join(CORPUS_DIR, verdict, file);
      cases.push({ name: `${verdict}/${file}`, verdict, path, text: await readFile(path, 'utf8') });
    }
  }
  return cases;
}

/** Every message of the CRDs' CEL rules: the apiserver prints these verbatim. */
export function celRuleMessages(): Set<string> {
  const messages = new Set<string>();
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'x-kubernetes-validations') {
          for (const rule of value as Array<{ message?: string }>)
            if (rule.message) messages.add(rule.message);
        } else walk(value);
      }
    }
  };
  walk(customResourceDefinitions());
  return messages;
}
