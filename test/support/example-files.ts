import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { API_VERSION } from '../../operator/api/constants.ts';

// What lives under examples/, sorted by what checks it: Sluice objects go through
// `sluice validate`/`render` and the apiserver; core objects (Secret, Namespace) through the
// apiserver; Kustomize, Argo CD and Flux objects (no CRDs on the test apiserver) are checked
// for shape and for the paths they name; gateway configs (no apiVersion) through the
// gateway's own config validation.

export const REPO_ROOT = join(import.meta.dirname, '..', '..');
export const EXAMPLES_DIR = join(REPO_ROOT, 'examples');

export type ExampleFileKind = 'sluice' | 'core' | 'kustomize' | 'gitops' | 'gateway-config';

export interface ExampleDocument {
  readonly apiVersion?: string;
  readonly kind?: string;
  readonly metadata?: { readonly name?: string; readonly namespace?: string };
  readonly [key: string]: unknown;
}

export interface ExampleFile {
  /** Relative to the repository root, e.g. `examples/billing/log-repo.yaml`. */
  readonly path: string;
  /** The folder under examples/, e.g. `billing` (or `gitops/flux`). */
  readonly dir: string;
  readonly kind: ExampleFileKind;
  readonly documents: readonly ExampleDocument[];
}

/** API groups of GitOps controllers whose CRDs the test apiserver does not serve. */
const GITOPS_GROUPS = ['argoproj.io/', 'source.toolkit.fluxcd.io/', 'kustomize.toolkit.fluxcd.io/'];

/** How a file's documents are checked; one kind per file (a mixed file is an error). */
export function classify(documents: readonly ExampleDocument[]): ExampleFileKind {
  const kinds = new Set(
    documents.map((document): ExampleFileKind => {
      const apiVersion = document.apiVersion;
      if (apiVersion === undefined) return 'gateway-config';
      if (apiVersion === API_VERSION) return 'sluice';
      if (apiVersion.startsWith('kustomize.config.k8s.io/')) return 'kustomize';
      if (GITOPS_GROUPS.some((group) => apiVersion.startsWith(group))) return 'gitops';
      return 'core';
    }),
  );
  if (kinds.size !== 1) throw new Error(`documents of mixed kinds: ${[...kinds].join(', ')}`);
  return [...kinds][0] as ExampleFileKind;
}

/** Every .yaml file under examples/ (sorted), parsed and classified. */
export async function exampleFiles(): Promise<ExampleFile[]> {
  const entries = await readdir(EXAMPLES_DIR, { recursive: true, withFileTypes: true });
  const paths = entries
    .filter((entry) => entry.isFile() && /\.ya?ml$/.test(entry.name))
    .map((entry) => join(entry.parentPath, entry.name))
    .sort();
  const files: ExampleFile[] = [];
  for (const absolute of paths) {
    const text = await readFile(absolute, 'utf8');
    const documents = parseAllDocuments(text)
      .map((document) => {
        if (document.errors.length > 0) throw new Error(`${absolute}: ${document.errors[0]?.message}`);
        return document.toJS() as ExampleDocument | null;
      })
      .filter((document): document is ExampleDocument => document !== null);
    const path = relative(REPO_ROOT, absolute);
    files.push({
      path,
      dir: relative(EXAMPLES_DIR, join(absolute, '..')),
      kind: classify(documents),
      documents,
    });
  }
  return files;
}

/**
 * Moves manifests into `namespace`: every namespaced object's metadata.namespace, and the
 * name of a Namespace object, where they say `from`. Returns new documents.
 */
export function inNamespace(
  documents: readonly ExampleDocument[],
  from: string,
  namespace: string,
): ExampleDocument[] {
  return documents.map((document) => {
    const metadata = { ...document.metadata };
    if (document.kind === 'Namespace' && metadata.name === from) metadata.name = namespace;
    if (metadata.namespace === from) metadata.namespace = namespace;
    return { ...document, metadata };
  });
}
