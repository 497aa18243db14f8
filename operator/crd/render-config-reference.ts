import { Kind, type TSchema } from '@sinclair/typebox';
import {
  GatewayConfigSchema,
  KafkaProducerSchema,
  StreamSinkProducerSchema,
} from '../../kernel/config-schema.ts';
import {
  ConstraintSchema,
  DecoderSchema,
  ExecuterSchema,
  OnExecuterErrorSchema,
} from '../../kernel/pipeline-schema.ts';
import {
  code,
  discriminants,
  markdownTable,
  prose,
  type ReferenceOptions,
  referenceRows,
} from '../../kernel/schema-reference-rows.ts';
import { API_VERSION, CATEGORY, GATEWAY_FLEET, KAFKA_PRODUCER, LOG_REPO } from '../api/constants.ts';
import { GatewayFleetSpecSchema, GatewayFleetStatusSchema } from '../api/gateway-fleet-spec.ts';
import { KafkaProducerSpecSchema } from '../api/kafka-producer-spec.ts';
import { LogRepoSpecSchema, LogRepoStatusSchema, ResourceStatusSchema } from '../api/log-repo-spec.ts';
import { customResourceDefinitions } from './custom-resource-definitions.ts';

// docs/configuration-reference.md, rendered from the single schema source: the custom
// resources, the gateway config file and the pipeline vocabulary. Pure and deterministic;
// `npm run generate:docs` writes it and a drift test compares.

export const CONFIG_REFERENCE_PATH = 'docs/configuration-reference.md';

const HEADER = `<!-- Generated from kernel/config-schema.ts, kernel/pipeline-schema.ts and operator/api/*.ts
     by \`npm run generate:docs\`. Do not edit: change the schemas and regenerate; a test fails when this file drifts. -->`;

/** A condition schema: the leaf operators are there (at every nesting level). */
const isCondition = (schema: TSchema) =>
  schema[Kind] === 'Object' &&
  schema.properties !== undefined &&
  'exists' in schema.properties &&
  'equals' in schema.properties;

/** Sub-schemas documented in sections of their own, linked from where they are used. */
const link: ReferenceOptions['link'] = (schema) => {
  if (isCondition(schema)) return '[condition](#conditions)';
  const types = discriminants(schema);
  if (types?.includes('splitter')) return '[executer](#executers)';
  if (types?.includes('json')) return '[decoder](#decoder)';
  if (types?.includes('kafka')) return '[producer](#producers)';
  return undefined;
};
const options: ReferenceOptions = { link };

const table = (schema: TSchema, prefix: string) => markdownTable(referenceRows(schema, prefix, options));

interface CrdSchema {
  readonly properties?: Record<string, CrdSchema>;
  readonly items?: CrdSchema;
  readonly 'x-kubernetes-validations'?: readonly { rule: string; message: string }[];
}

/** The CEL rules of a generated CRD schema with the path they apply to, depth first. */
function celRulesOf(schema: CrdSchema, path: string): { path: string; rule: string; message: string }[] {
  const own = (schema['x-kubernetes-validations'] ?? []).map((rule) => ({ path, ...rule }));
  const nested = Object.entries(schema.properties ?? {}).flatMap(([key, child]) =>
    celRulesOf(child, `${path}.${key}`),
  );
  const items = schema.items ? celRulesOf(schema.items, `${path}[]`) : [];
  return [...own, ...nested, ...items];
}

function generatedCrd(kind: string) {
  const crd = customResourceDefinitions().find((definition) => definition.spec.names.kind === kind);
  const version = crd?.spec.versions[0];
  if (version === undefined) throw new Error(`no generated CRD for ${kind}`);
  return version;
}

/** The `kubectl get` columns and the CEL rules of a kind, as the generated CRD has them. */
const crdExtras = (kind: string): string => {
  const version = generatedCrd(kind);
  const columns = version.additionalPrinterColumns
    .map(
      (column) =>
        `| ${column.name.toUpperCase()} | ${cell(code(column.jsonPath))} | ${column.priority ? 'with `-o wide`' : 'always'} | ${prose(column.description)} |`,
    )
    .join('\n');
  const spec = (version.schema.openAPIV3Schema as CrdSchema).properties?.spec ?? {};
  // Grouped by path; a path whose rules repeat an earlier path's (the canary executers) says so.
  const byPath = new Map<string, string[]>();
  for (const rule of celRulesOf(spec, 'spec'))
    byPath.set(rule.path, [...(byPath.get(rule.path) ?? []), rule.message]);
  const seen = new Map<string, string>();
  const rules = [...byPath]
    .map(([path, messages]) => {
      const key = messages.join('\n');
      const earlier = seen.get(key);
      if (earlier === undefined) seen.set(key, path);
      const text =
        earlier === undefined ? messages.map(prose).join('<br>') : `the same rules as ${code(earlier)}`;
      return `| ${code(path)} | ${cell(text)} |`;
    })
    .join('\n');
  return `\`kubectl get\` columns:

| column | from | shown | description |
| --- | --- | --- | --- |
${columns}

Rules the apiserver checks besides the types and limits above (CEL \`x-kubernetes-validations\`
of the generated CRD, with these messages):

| at | rules |
| --- | --- |
${rules}
`;
};

const cell = (text: string) => text.replaceAll('|', '\\|');

const resource = (
  names: { kind: string; plural: string; singular: string; shortNames: readonly string[] },
  spec: TSchema,
  status: TSchema,
) =>
  `## ${names.kind}

\`apiVersion: ${API_VERSION}\`, \`kind: ${names.kind}\`, namespaced; plural \`${names.plural}\`, singular \`${names.singular}\`, short name${names.shortNames.length === 1 ? '' : 's'} ${names.shortNames.map(code).join(', ')}, category \`${CATEGORY}\`. ${prose(spec.description ?? '')}

### ${names.kind} spec

${table(spec, 'spec')}
${crdExtras(names.kind)}
### ${names.kind} status

Written by the operator (status subresource).

${table(status, 'status')}`;

const variantSection = (schema: TSchema, prefix: string, heading: string) => {
  const type = (schema.properties as Record<string, TSchema>).type as TSchema;
  const names = type.const === undefined ? (type.anyOf as TSchema[]).map((t) => t.const) : [type.const];
  return `${heading} ${names.join(', ')}

${prose(schema.description ?? '')}

${table(schema, prefix)}`;
};

const executerSections = () =>
  (ExecuterSchema.anyOf as TSchema[])
    .map((schema) => variantSection(schema, 'executers[]', '####'))
    .join('\n');

/** The whole reference document. Pure. */
export function renderConfigReference(): string {
  const sections = [
    HEADER,
    `# Configuration reference

Every field of Sluice's configuration, generated from the one schema source that the
gateway validates its config file with, the operator renders config from, and the CRDs are
generated from. For explanations and examples see the [README](../README.md) and
[examples/](../examples/). Paths are dotted; \`<name>\` stands for a map key, \`[]\` for the
items of an array. A default is filled in when the field is left out.

- [LogRepo](#logrepo) — [spec](#logrepo-spec), [status](#logrepo-status)
- [KafkaProducer](#kafkaproducer) — [spec](#kafkaproducer-spec), [status](#kafkaproducer-status)
- [GatewayFleet](#gatewayfleet) — [spec](#gatewayfleet-spec), [status](#gatewayfleet-status)
- [Gateway config file](#gateway-config-file) — [producers](#producers)
- Pipeline — [decoder](#decoder), [conditions](#conditions), [executers](#executers), [onExecuterError](#onexecutererror)
`,
    resource(LOG_REPO, LogRepoSpecSchema, LogRepoStatusSchema),
    resource(KAFKA_PRODUCER, KafkaProducerSpecSchema, ResourceStatusSchema),
    resource(GATEWAY_FLEET, GatewayFleetSpecSchema, GatewayFleetStatusSchema),
    `## Gateway config file

The YAML (or JSON) file the gateway reads (\`--config FILE\` or \`SLUICE_CONFIG\`); in Kubernetes
the operator renders it into the \`gateway.yaml\` key of the gateway ConfigMap. ${prose(GatewayConfigSchema.description ?? '')}

${table(GatewayConfigSchema, '')}
### Producers

Each entry of \`producers\` is selected by \`type\`.

${variantSection(KafkaProducerSchema, 'producers.<name>', '####')}
${variantSection(StreamSinkProducerSchema, 'producers.<name>', '####')}`,
    `## Pipeline

The pipeline fields of a repo (\`repos.<name>\` in the gateway config, \`spec\` of a LogRepo,
and \`spec.canary\` for the canary overrides).

### Decoder

${prose(DecoderSchema.description ?? '')}

${(DecoderSchema.anyOf as TSchema[]).map((schema) => variantSection(schema, 'decoder', '####')).join('\n')}
### Conditions

Used by \`constraint\`, \`drop-if\`'s \`when\` and \`route\`'s \`rules[].when\`. ${prose(ConstraintSchema.description ?? '')}
\`reason\` belongs to \`constraint\` only. \`all\`, \`any\` and \`not\` hold conditions of the same shape.

${table(ConstraintSchema, '')}
### Executers

Each entry of \`executers\` is one step, selected by \`type\`; they run in order on every line that passed the constraint.

${executerSections()}
### onExecuterError

${prose(OnExecuterErrorSchema.description ?? '')} Default ${code(JSON.stringify(OnExecuterErrorSchema.default))}.
`,
  ];
  return `${sections.join('\n')}`.replace(/\n{3,}/g, '\n\n');
}
