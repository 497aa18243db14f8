import { Kind, type TSchema } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';

// TypeBox's own defaulting and error reporting stop at records and unions; these
// walkers follow the shapes our schemas use (objects, records, discriminated
// unions of objects, unions of literals) so users get defaults everywhere and
// errors that name the field and the expected values.

export interface SchemaIssue {
  readonly path: string;
  readonly message: string;
}

type Json = Record<string, unknown>;

const isPlainObject = (value: unknown): value is Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

function recordValueSchema(schema: TSchema): TSchema | undefined {
  const pattern = schema.patternProperties as Record<string, TSchema> | undefined;
  return pattern ? Object.values(pattern)[0] : undefined;
}

/** The values of a union of literals, or undefined for any other schema. */
export function literalValues(schema: TSchema): unknown[] | undefined {
  const variants = schema.anyOf as TSchema[] | undefined;
  if (!variants?.every((variant) => variant[Kind] === 'Literal')) return undefined;
  return variants.map((variant) => variant.const);
}

const SCALAR_KINDS = new Set(['String', 'Number', 'Integer', 'Boolean', 'Null']);

/**
 * The type names of a union of scalar types (string, number, boolean, null:
 * a value that may be any JSON scalar), or undefined for any other schema.
 */
export function scalarTypes(schema: TSchema): string[] | undefined {
  const variants = schema.anyOf as TSchema[] | undefined;
  if (schema[Kind] !== 'Union' || !variants?.every((variant) => SCALAR_KINDS.has(String(variant[Kind]))))
    return undefined;
  return variants.map((variant) => String(variant[Kind]).toLowerCase());
}

/** The union member whose literal discriminant matches the value, if the union is discriminated. */
function discriminatedVariant(schema: TSchema, value: unknown): TSchema | undefined {
  const variants = schema.anyOf as TSchema[] | undefined;
  if (!variants || !isPlainObject(value)) return undefined;
  return variants.find((variant) => {
    const discriminant = (variant.properties as Record<string, TSchema> | undefined)?.type;
    if (!discriminant) return false;
    const allowed = literalValues(discriminant) ?? [discriminant.const];
    return allowed.includes(value.type);
  });
}

/** Returns a copy of `value` with schema defaults filled in. Never mutates its input. */
export function withDefaults(schema: TSchema, value: unknown): unknown {
  let current = value === undefined && 'default' in schema ? structuredClone(schema.default) : value;
  if (schema[Kind] === 'Union') {
    const variant = discriminatedVariant(schema, current);
    return variant ? withDefaults(variant, current) : current;
  }
  if (schema[Kind] === 'Array' && Array.isArray(current)) {
    return current.map((item) => withDefaults(schema.items as TSchema, item));
  }
  if (!isPlainObject(current)) return current;
  if (schema[Kind] === 'Object') {
    current = { ...current };
    const properties = schema.properties as Record<string, TSchema>;
    for (const [key, propertySchema] of Object.entries(properties)) {
      const next = withDefaults(propertySchema, (current as Json)[key]);
      if (next !== undefined) (current as Json)[key] = next;
    }
    return current;
  }
  const valueSchema = recordValueSchema(schema);
  if (valueSchema) {
    const out: Json = {};
    for (const [key, item] of Object.entries(current)) out[key] = withDefaults(valueSchema, item);
    return out;
  }
  return current;
}

/** Lists schema violations with precise paths and the expected values. */
export function schemaIssues(schema: TSchema, value: unknown, path = '', limit = 20): SchemaIssue[] {
  const issues: SchemaIssue[] = [];
  collect(schema, value, path, issues, limit);
  return issues;
}

function collect(schema: TSchema, value: unknown, path: string, issues: SchemaIssue[], limit: number): void {
  if (issues.length >= limit || Value.Check(schema, value)) return;
  const at = path || '/';
  if (schema[Kind] === 'Union') {
    const literals = literalValues(schema);
    if (literals) {
      issues.push({ path: at, message: `expected one of ${literals.join(', ')} (got ${show(value)})` });
      return;
    }
    const scalars = scalarTypes(schema);
    if (scalars) {
      const expected = variantsOf(schema).find((variant) => sameKind(variant, value));
      if (expected) collect(expected, value, path, issues, limit);
      else issues.push({ path: at, message: `expected ${scalars.join(', ')} (got ${show(value)})` });
      return;
    }
    const variant = discriminatedVariant(schema, value);
    if (variant) {
      collect(variant, value, path, issues, limit);
      return;
    }
    const types = (schema.anyOf as TSchema[])
      .flatMap(
        (variant) => literalValues(variant.properties?.type ?? {}) ?? [variant.properties?.type?.const],
      )
      .filter((type) => type !== undefined);
    issues.push({ path: `${path}/type`, message: `expected type to be one of ${types.join(', ')}` });
    return;
  }
  if (schema[Kind] === 'Object' && isPlainObject(value)) {
    const properties = schema.properties as Record<string, TSchema>;
    const required = new Set((schema.required as string[] | undefined) ?? []);
    for (const [key, propertySchema] of Object.entries(properties)) {
      if (value[key] === undefined) {
        if (required.has(key)) issues.push({ path: `${path}/${key}`, message: 'required field is missing' });
      } else {
        collect(propertySchema, value[key], `${path}/${key}`, issues, limit);
      }
    }
    if (schema.additionalProperties === false) {
      for (const key of Object.keys(value)) {
        if (!Object.hasOwn(properties, key)) {
          const known = Object.keys(properties).join(', ');
          issues.push({ path: `${path}/${key}`, message: `unknown field (known fields: ${known})` });
        }
      }
    }
    return;
  }
  const valueSchema = recordValueSchema(schema);
  if (valueSchema && isPlainObject(value)) {
    const keyPattern = new RegExp(Object.keys(schema.patternProperties as object)[0] ?? '');
    for (const [key, item] of Object.entries(value)) {
      if (!keyPattern.test(key)) {
        issues.push({
          path: `${path}/${key}`,
          message: `invalid name "${key}": must match ${keyPattern.source}`,
        });
      } else {
        collect(valueSchema, item, `${path}/${key}`, issues, limit);
      }
    }
    return;
  }
  if (schema[Kind] === 'Array' && Array.isArray(value)) {
    const items: unknown[] = value;
    // Errors are reported relative to the checked value: '' is the array itself (minItems, maxItems).
    const arrayError = Value.Errors(schema, items).First();
    if (arrayError && arrayError.path === '') {
      issues.push({ path: at, message: `${lowerFirst(arrayError.message)} (got ${items.length} items)` });
      return;
    }
    items.forEach((item, index) => {
      collect(schema.items as TSchema, item, `${path}/${index}`, issues, limit);
    });
    return;
  }
  const first = Value.Errors(schema, value).First();
  const description = schema.description ? ` — ${schema.description}` : '';
  issues.push({
    path: at,
    message: `${first ? lowerFirst(first.message) : 'invalid value'} (got ${show(value)})${description}`,
  });
}

function show(value: unknown): string {
  if (value === undefined) return 'nothing';
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

// TypeBox messages start with a capital ("Expected string"); only that letter is
// lowered, so quoted patterns like [a-zA-Z] stay as written.
function lowerFirst(message: string): string {
  return message.charAt(0).toLowerCase() + message.slice(1);
}

const variantsOf = (schema: TSchema): TSchema[] => (schema.anyOf as TSchema[] | undefined) ?? [];

/** Whether a scalar schema is of the value's JSON type (its limits aside). */
function sameKind(schema: TSchema, value: unknown): boolean {
  switch (schema[Kind]) {
    case 'String':
      return typeof value === 'string';
    case 'Number':
      return typeof value === 'number';
    case 'Integer':
      return Number.isInteger(value);
    case 'Boolean':
      return typeof value === 'boolean';
    case 'Null':
      return value === null;
    default:
      return false;
  }
}
