import type { TSchema } from '@sinclair/typebox';
import { parseAllDocuments } from 'yaml';
import { withDefaults } from '../kernel/schema-walk.ts';
import { API_VERSION, GATEWAY_FLEET, GROUP, KAFKA_PRODUCER, LOG_REPO } from '../operator/api/constants.ts';
import { type GatewayFleetSpec, GatewayFleetSpecSchema } from '../operator/api/gateway-fleet-spec.ts';
import { type KafkaProducerSpec, KafkaProducerSpecSchema } from '../operator/api/kafka-producer-spec.ts';
import { type LogRepoSpec, LogRepoSpecSchema } from '../operator/api/log-repo-spec.ts';
import { customResourceDefinitions } from '../operator/crd/custom-resource-definitions.ts';
import type { Structural } from '../operator/crd/structural-schema.ts';
import type { SpecObject } from '../operator/render/render-gateway-config.ts';
import { validateWith } from '../operator/validate-with.ts';
import { celRuleIssues } from './cel-rule-issues.ts';
import type { ManifestSource } from './manifest-sources.ts';

/** Where a document came from: the file as given and its 1-based position in the stream. */
export interface DocumentOrigin {
  readonly file: string;
  readonly doc: number;
  /** Where in the document the object is, when it is an item of a List: `/items/N`. */
  readonly itemPath?: string;
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
  /** GatewayFleets: checked against their CRD (schema, CEL); nothing renders from them here. */
  readonly fleets: ResourceDocument<GatewayFleetSpec>[];
  readonly issues: DocumentIssue[];
  /** Documents left alone because they are not Sluice's (a Secret, a Kustomization…); not problems. */
  readonly notes: DocumentIssue[];
}

/** Namespace of a document that names none, as kubectl would apply it. */
const DEFAULT_NAMESPACE = 'default';

const KINDS: Record<string, TSchema> = {
  [LOG_REPO.kind]: LogRepoSpecSchema,
  [KAFKA_PRODUCER.kind]: KafkaProducerSpecSchema,
  [GATEWAY_FLEET.kind]: GatewayFleetSpecSchema,
};

// The specs' structural schemas exactly as crds/ holds them (a drift test keeps the files
// equal to this generator): their CEL rules are what the apiserver evaluates.
let structuralSpecs: Map<string, Structural> | undefined;
function structuralSpec(kind: string): Structural | undefined {
  structuralSpecs ??= new Map(
    customResourceDefinitions().map((crd) => [
      crd.spec.names.kind,
      crd.spec.versions[0]?.schema.openAPIV3Schema.properties.spec as Structural,
    ]),
  );
  return structuralSpecs.get(kind);
}

export const formatIssue = (issue: DocumentIssue) =>
  `${issue.file}:${issue.doc}: ${issue.path}: ${issue.message}`;

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const emptyRead = (): ReadResources => ({ repos: [], producers: [], fleets: [], issues: [], notes: [] });

/**
 * Checks the documents of one YAML (or JSON) stream the way the apiserver would admit them:
 * each LogRepo or KafkaProducer against its CRD schema after defaulting, then the CRD's CEL
 * rules, reporting every problem of both. Pure. Empty documents are skipped (a trailing
 * `---` is common); a `List` is checked item by item; objects of other API groups, and
 * documents that are no Kubernetes object at all (a gateway config next to the manifests),
 * are skipped with a note. A document that passes the schema is returned for the deeper
 * checks even when a CEL rule failed, so those run too.
 */
export function checkDocuments(file: string, text: string): ReadResources {
  const out = emptyRead();
  const documents = parseAllDocuments(text);
  if (!Array.isArray(documents)) return out; // an empty stream
  documents.forEach((document, index) => {
    const doc = index + 1;
    if (document.errors.length > 0) {
      for (const error of document.errors) {
        out.issues.push({ file, doc, path: '/', message: `invalid YAML: ${error.message.split('\n')[0]}` });
      }
      return;
    }
    const value: unknown = document.toJS();
    if (value === null || value === undefined) return;
    checkObject(value, { file, doc }, '', out);
  });
  return out;
}

function checkObject(value: unknown, at: DocumentOrigin, prefix: string, out: ReadResources): void {
  const issue = (path: string, message: string) => {
    out.issues.push({ ...at, path: `${prefix}${path}`, message });
  };
  if (!isObject(value)) {
    issue('/', 'expected a Kubernetes object');
    return;
  }
  const { apiVersion, kind } = value;
  if (apiVersion === undefined && kind === undefined) {
    out.notes.push({
      ...at,
      path: prefix || '/',
      message: 'skipped: not a Kubernetes object (no apiVersion, no kind)',
    });
    return;
  }
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    if (typeof apiVersion !== 'string')
      issue('/apiVersion', 'required: a string such as v1 or sluice.dev/v1alpha1');
    if (typeof kind !== 'string') issue('/kind', 'required: a string');
    return;
  }
  if (kind === 'List' && apiVersion === 'v1') {
    const items = Array.isArray(value.items) ? value.items : [];
    items.forEach((item, index) => {
      checkObject(item, at, `${prefix}/items/${index}`, out);
    });
    return;
  }
  const schema = Object.hasOwn(KINDS, kind) ? KINDS[kind] : undefined;
  const group = apiVersion.includes('/') ? apiVersion.slice(0, apiVersion.indexOf('/')) : '';
  if (group !== GROUP && schema === undefined) {
    out.notes.push({
      ...at,
      path: prefix || '/',
      message: `skipped: ${kind} (${apiVersion}) is not a Sluice kind`,
    });
    return;
  }
  const before = out.issues.length;
  if (apiVersion !== API_VERSION)
    issue('/apiVersion', `expected ${API_VERSION} (got ${JSON.stringify(apiVersion)})`);
  if (schema === undefined) {
    issue('/kind', `expected one of ${Object.keys(KINDS).join(', ')} (got ${JSON.stringify(kind)})`);
  }
  const metadata = isObject(value.metadata) ? value.metadata : {};
  if (typeof metadata.name !== 'string' || metadata.name === '') issue('/metadata/name', 'required');
  if (metadata.namespace !== undefined && typeof metadata.namespace !== 'string') {
    issue('/metadata/namespace', 'expected a string');
  }
  if (schema === undefined) return;
  // The apiserver fills the CRD's defaults before it validates, and before anyone reads a spec; so do we.
  const spec = withDefaults(schema, value.spec);
  const checked = validateWith(schema, spec);
  if (!checked.ok) for (const i of checked.issues) issue(`/spec${i.path}`, i.message);
  const structural = structuralSpec(kind);
  if (structural !== undefined) {
    for (const i of celRuleIssues(structural, spec, '/spec')) issue(i.path, i.message);
  }
  // Deeper checks need a spec of the schema's shape and a name; CEL failures do not stop them.
  if (!checked.ok || out.issues.slice(before).some((i) => !i.path.startsWith(`${prefix}/spec`))) return;
  const resource = {
    ...at,
    ...(prefix === '' ? {} : { itemPath: prefix }),
    namespace: (metadata.namespace as string | undefined) ?? DEFAULT_NAMESPACE,
    metadata: {
      name: metadata.name as string,
      ...(typeof metadata.namespace === 'string' ? { namespace: metadata.namespace } : {}),
      ...(typeof metadata.uid === 'string' ? { uid: metadata.uid } : {}),
    },
    spec,
  };
  if (kind === LOG_REPO.kind) out.repos.push(resource as ResourceDocument<LogRepoSpec>);
  else if (kind === GATEWAY_FLEET.kind) out.fleets.push(resource as ResourceDocument<GatewayFleetSpec>);
  else out.producers.push(resource as ResourceDocument<KafkaProducerSpec>);
}

/** Checks every source, in the order given, and the duplicates across them. Pure. */
export function checkSources(sources: readonly ManifestSource[]): ReadResources {
  const all = emptyRead();
  for (const source of sources) {
    const read = checkDocuments(source.name, source.text);
    all.repos.push(...read.repos);
    all.producers.push(...read.producers);
    all.fleets.push(...read.fleets);
    all.issues.push(...read.issues);
    all.notes.push(...read.notes);
  }
  all.issues.push(
    ...duplicateIssues(all.repos, LOG_REPO.kind),
    ...duplicateIssues(all.producers, KAFKA_PRODUCER.kind),
    ...duplicateIssues(all.fleets, GATEWAY_FLEET.kind),
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
        path: `${resource.itemPath ?? ''}/metadata/name`,
        message: `${kind} ${key} is also defined at ${first.file}:${first.doc}${first.itemPath ?? ''}`,
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
