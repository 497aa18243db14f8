import { readFile } from 'node:fs/promises';
import type { TSchema } from '@sinclair/typebox';
import { parseAllDocuments } from 'yaml';
import { withDefaults } from '../gateway/config/schema-walk.ts';
import { API_VERSION, KAFKA_PRODUCER, LOG_REPO } from '../operator/api/constants.ts';
import { type KafkaProducerSpec, KafkaProducerSpecSchema } from '../operator/api/kafka-producer-spec.ts';
import { type LogRepoSpec, LogRepoSpecSchema } from '../operator/api/log-repo-spec.ts';
import type { SpecObject } from '../operator/render/render-gateway-config.ts';
import { validateWith } from '../operator/validate-with.ts';

/** Where a document came from: the file as given and its 1-based position in the stream. */
export interface DocumentOrigin {
  readonly file: string;
  readonly doc: number;
}

/** One problem of one document, printed as `file:doc: path: message`. */
export interface DocumentIssue extends DocumentOrigin {
  readonly path: string;
  readonly message: string;
}

/** A document that passed the CRD schema of its kind. */
export interface ResourceDocument<Spec> extends DocumentOrigin, SpecObject<Spec> {
  readonly namespace: string;
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly uid?: string };
}

export interface ReadResources {
  readonly repos: ResourceDocument<LogRepoSpec>[];
  readonly producers: ResourceDocument<KafkaProducerSpec>[];
  readonly issues: DocumentIssue[];
}

/** Namespace of a document that names none, as kubectl would apply it. */
const DEFAULT_NAMESPACE = 'default';

const KINDS: Record<string, TSchema> = {
  [LOG_REPO.kind]: LogRepoSpecSchema,
  [KAFKA_PRODUCER.kind]: KafkaProducerSpecSchema,
};

export const formatIssue = (issue: DocumentIssue) =>
  `${issue.file}:${issue.doc}: ${issue.path}: ${issue.message}`;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * Checks the documents of one YAML stream against the CRD schemas. Pure. Empty documents
 * are skipped (a trailing `---` is common); every other document must be a LogRepo or a
 * KafkaProducer of this API version with a name and a spec valid for its kind.
 */
export function checkDocuments(file: string, text: string): ReadResources {
  const out: ReadResources = { repos: [], producers: [], issues: [] };
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) return out; // an empty stream
  documents.forEach((document, index) => {
    const doc = index + 1;
    const issue = (path: string, message: string) => {
      out.issues.push({ file, doc, path, message });
    };
    if (document.errors.length > 0) {
      for (const error of document.errors) issue('/', `invalid YAML: ${error.message.split('\n')[0]}`);
      return;
    }
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return;
    if (!isObject(value)) {
      issue('/', 'expected a Kubernetes object');
      return;
    }
    const before = out.issues.length;
    if (value.apiVersion !== API_VERSION) {
      issue('/apiVersion', `expected ${API_VERSION} (got ${JSON.stringify(value.apiVersion)})`);
    }
    const schema =
      typeof value.kind === 'string' && Object.hasOwn(KINDS, value.kind) ? KINDS[value.kind] : undefined;
    if (schema === undefined) {
      issue('/kind', `expected one of ${Object.keys(KINDS).join(', ')} (got ${JSON.stringify(value.kind)})`);
    }
    const metadata = isObject(value.metadata) ? value.metadata : {};
    if (typeof metadata.name !== 'string' || metadata.name === '') issue('/metadata/name', 'required');
    if (metadata.namespace !== undefined && typeof metadata.namespace !== 'string') {
      issue('/metadata/namespace', 'expected a string');
    }
    // The apiserver fills the CRD's defaults before anyone reads a spec; so do we.
    const spec = schema === undefined ? value.spec : withDefaults(schema, value.spec);
    if (schema !== undefined) {
      const checked = validateWith(schema, spec);
      if (!checked.ok) for (const i of checked.issues) issue(`/spec${i.path}`, i.message);
    }
    if (out.issues.length > before || schema === undefined) return;
    const resource = {
      file,
      doc,
      namespace: (metadata.namespace as string | undefined) ?? DEFAULT_NAMESPACE,
      metadata: {
        name: metadata.name as string,
        ...(typeof metadata.namespace === 'string' ? { namespace: metadata.namespace } : {}),
        ...(typeof metadata.uid === 'string' ? { uid: metadata.uid } : {}),
      },
      spec,
    };
    if (value.kind === LOG_REPO.kind) out.repos.push(resource as ResourceDocument<LogRepoSpec>);
    else out.producers.push(resource as ResourceDocument<KafkaProducerSpec>);
  });
  return out;
}

/**
 * Reads and checks every file, in the order given. Resolves with the resources and issues,
 * or with `unreadable` naming the first file that could not be read.
 */
export async function readResources(
  files: readonly string[],
): Promise<ReadResources | { readonly unreadable: string; readonly message: string }> {
  const all: ReadResources = { repos: [], producers: [], issues: [] };
  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      return { unreadable: file, message: (error as NodeJS.ErrnoException).code ?? (error as Error).message };
    }
    const read = checkDocuments(file, text);
    all.repos.push(...read.repos);
    all.producers.push(...read.producers);
    all.issues.push(...read.issues);
  }
  all.issues.push(
    ...duplicateIssues(all.repos, LOG_REPO.kind),
    ...duplicateIssues(all.producers, KAFKA_PRODUCER.kind),
  );
  return all;
}

/** A second object of the same kind, namespace and name would replace the first on apply. */
function duplicateIssues(resources: readonly ResourceDocument<unknown>[], kind: string): DocumentIssue[] {
  const seen = new Map<string, ResourceDocument<unknown>>();
  const issues: DocumentIssue[] = [];
  for (const resource of resources) {
    const key = `${resource.namespace}/${resource.metadata.name}`;
    const first = seen.get(key);
    if (first === undefined) seen.set(key, resource);
    else {
      issues.push({
        file: resource.file,
        doc: resource.doc,
        path: '/metadata/name',
        message: `${kind} ${key} is also defined at ${first.file}:${first.doc}`,
      });
    }
  }
  return issues;
}

/** Groups resources by namespace, namespaces sorted, documents in input order. */
export function byNamespace(
  read: Pick<ReadResources, 'repos' | 'producers'>,
): Map<string, { repos: ResourceDocument<LogRepoSpec>[]; producers: ResourceDocument<KafkaProducerSpec>[] }> {
  const names = [...new Set([...read.repos, ...read.producers].map((r) => r.namespace))].sort();
  return new Map(
    names.map((namespace) => [
      namespace,
      {
        repos: read.repos.filter((r) => r.namespace === namespace),
        producers: read.producers.filter((p) => p.namespace === namespace),
      },
    ]),
  );
}
