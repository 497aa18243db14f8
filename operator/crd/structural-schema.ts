import { Kind, type TSchema } from '@sinclair/typebox';
import { CRD_OPAQUE } from '../../kernel/pipeline-schema.ts';
import { literalValues, scalarTypes } from '../../kernel/schema-walk.ts';

/**
 * Converts the project's TypeBox schemas into Kubernetes *structural*
 * OpenAPI v3 schemas for CRDs. What JSON Schema says and a structural schema
 * cannot, is translated:
 * - records (`patternProperties`) become `additionalProperties`;
 * - unions of literals become string enums;
 * - discriminated unions of objects (on `type`) become one object holding every
 *   variant's fields, plus CEL rules (`x-kubernetes-validations`) saying which
 *   fields each `type` requires and allows. A field that two variants declare
 *   with different shapes keeps `x-kubernetes-preserve-unknown-fields`; the
 *   operator validates it with the source schema and reports a condition;
 * - `additionalProperties: false` is dropped (the apiserver prunes unknown
 *   fields of structural schemas anyway);
 * - CEL rules (`x-kubernetes-validations`) of objects and arrays carry over.
 * Descriptions, defaults, enums, limits and patterns carry over.
 */
export type Structural = Record<string, unknown>;

const carried = [
  'description',
  'default',
  'minimum',
  'maximum',
  'minLength',
  'maxLength',
  'pattern',
  'minItems',
  'maxItems',
  'format',
];

// The condition language is unrolled to a fixed depth, so the same field
// descriptions recur dozens of times; past a few full copies, only their first
// sentence is kept, which keeps the CRDs well below the apiserver's size limits.
const FULL_DESCRIPTION_COPIES = 3;
let descriptionUses = new Map<string, number>();

function base(schema: TSchema): Structural {
  const out: Structural = {};
  for (const key of carried) if (schema[key] !== undefined) out[key] = schema[key];
  if (typeof out.description === 'string') {
    const uses = (descriptionUses.get(out.description) ?? 0) + 1;
    descriptionUses.set(out.description, uses);
    if (uses > FULL_DESCRIPTION_COPIES) out.description = firstSentence(out.description);
  }
  return out;
}

function firstSentence(text: string): string {
  // Abbreviations (e.g., i.e.) end no sentence.
  const end = text
    .replace(/\b(e\.g|i\.e)\./g, (abbreviation) => '_'.repeat(abbreviation.length))
    .search(/[.:](\s|$)/);
  return end > 0 ? text.slice(0, end + 1) : text;
}

/** Converts a schema; deterministic for a given input. */
export function toStructural(schema: TSchema): Structural {
  descriptionUses = new Map();
  return convert(schema);
}

function convert(schema: TSchema): Structural {
  if (schema[CRD_OPAQUE] === true) {
    return { type: 'object', 'x-kubernetes-preserve-unknown-fields': true, ...base(schema) };
  }
  switch (schema[Kind]) {
    case 'String':
      return { type: 'string', ...base(schema) };
    case 'Integer':
      return { type: 'integer', ...base(schema) };
    case 'Number':
      return { type: 'number', ...base(schema) };
    case 'Boolean':
      return { type: 'boolean', ...base(schema) };
    case 'Literal':
      return {
        type: typeof schema.const === 'number' ? 'integer' : typeof schema.const,
        enum: [schema.const],
        ...base(schema),
      };
    case 'Array':
      return {
        type: 'array',
        ...base(schema),
        items: convert(schema.items as TSchema),
        ...(schema['x-kubernetes-validations']
          ? { 'x-kubernetes-validations': schema['x-kubernetes-validations'] }
          : {}),
      };
    case 'Object':
      return objectSchema(schema);
    case 'Record': {
      const valueSchema = Object.values(schema.patternProperties as Record<string, TSchema>)[0] as TSchema;
      return { type: 'object', ...base(schema), additionalProperties: convert(valueSchema) };
    }
    case 'Union': {
      const literals = literalValues(schema);
      if (literals)
        return {
          type: typeof literals[0] === 'number' ? 'integer' : 'string',
          enum: literals,
          ...base(schema),
        };
      // A value of any JSON scalar type has no single structural type: the apiserver keeps
      // it as it is and the operator validates it with the source schema.
      // nullable: without it the apiserver drops a null value instead of storing it.
      const scalars = scalarTypes(schema);
      if (scalars) {
        return {
          'x-kubernetes-preserve-unknown-fields': true,
          ...(scalars.includes('null') ? { nullable: true } : {}),
          ...base(schema),
        };
      }
      return discriminatedUnion(schema);
    }
    case 'Unknown':
    case 'Any':
      return { 'x-kubernetes-preserve-unknown-fields': true, ...base(schema) };
    default:
      throw new Error(`no structural form for TypeBox kind ${String(schema[Kind])}`);
  }
}

function objectSchema(schema: TSchema): Structural {
  const properties: Record<string, Structural> = {};
  for (const [name, property] of Object.entries(schema.properties as Record<string, TSchema>)) {
    properties[name] = convert(property);
  }
  const required = (schema.required as string[] | undefined)?.filter((name) => {
    // A required field with a default is filled by the apiserver; requiring it would reject omissions.
    return (schema.properties as Record<string, TSchema>)[name]?.default === undefined;
  });
  return {
    type: 'object',
    ...base(schema),
    properties,
    ...(required && required.length > 0 ? { required } : {}),
    ...(schema['x-kubernetes-validations']
      ? { 'x-kubernetes-validations': schema['x-kubernetes-validations'] }
      : {}),
  };
}

function discriminatedUnion(schema: TSchema): Structural {
  const variants = schema.anyOf as TSchema[];
  const byType = new Map<string, TSchema>();
  for (const variant of variants) {
    const discriminant = (variant.properties as Record<string, TSchema> | undefined)?.type;
    if (variant[Kind] !== 'Object' || discriminant?.const === undefined) {
      throw new Error(
        'only unions of literals or of objects discriminated by a literal `type` are supported',
      );
    }
    byType.set(String(discriminant.const), variant);
  }
  const types = [...byType.keys()];
  const merged: Record<string, Structural> = {};
  const shapes = new Map<string, string>();
  for (const variant of variants) {
    for (const [name, property] of Object.entries(variant.properties as Record<string, TSchema>)) {
      if (name === 'type') continue;
      // No defaults on merged fields: the apiserver would fill one variant's
      // default into every other variant. The gateway applies them per type.
      const { default: _default, ...converted } = convert(property);
      const shape = JSON.stringify({ ...converted, description: undefined, default: undefined });
      if (!shapes.has(name)) {
        shapes.set(name, shape);
        merged[name] = converted;
      } else if (shapes.get(name) !== shape) {
        merged[name] = {
          'x-kubernetes-preserve-unknown-fields': true,
          description:
            `Depends on type; see the description of each type. ${String(property.description ?? '')}`.trim(),
        };
      }
    }
  }
  // CEL cannot see fields without a declared type, so rules skip those (the
  // operator's own validation covers them).
  const celVisible = (name: string) => merged[name]?.type !== undefined;
  const rules: Array<{ rule: string; message: string }> = [];
  for (const [type, variant] of byType) {
    const properties = Object.keys(variant.properties as object).filter((name) => name !== 'type');
    const required = ((variant.required as string[] | undefined) ?? []).filter(
      (name) =>
        name !== 'type' && (variant.properties as Record<string, TSchema>)[name]?.default === undefined,
    );
    for (const name of required.filter(celVisible)) {
      rules.push({
        rule: `self.type != '${type}' || has(self.${name})`,
        message: `type ${type} requires ${name}`,
      });
    }
    const foreign = Object.keys(merged).filter((name) => !properties.includes(name) && celVisible(name));
    if (foreign.length > 0) {
      rules.push({
        rule: `self.type != '${type}' || !(${foreign.map((name) => `has(self.${name})`).join(' || ')})`,
        message: `type ${type} allows only: ${properties.join(', ') || 'no other field'}`,
      });
    }
  }
  return {
    type: 'object',
    ...base(schema),
    properties: {
      type: { type: 'string', enum: types, description: 'Which kind of step this is.' },
      ...merged,
    },
    required: ['type'],
    'x-kubernetes-validations': rules,
  };
}
