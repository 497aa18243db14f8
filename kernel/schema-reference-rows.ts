import { Kind, type TSchema } from '@sinclair/typebox';
import { literalValues, scalarTypes } from './schema-walk.ts';

// Flattens a TypeBox schema into reference rows (one per field, nested fields by dotted
// path) for the generated configuration reference. It follows the shapes our schemas use,
// like schema-walk.ts: objects, records, arrays, unions of literals and discriminated
// unions of objects. A caller may `link` a sub-schema to a section of its own (conditions,
// executers): the row then names the section and the walk does not descend, which keeps
// the unrolled condition levels from repeating.

/** One field of a schema, as the reference table shows it. */
export interface ReferenceRow {
  /** Dotted path; `<name>` stands for a map key, `[]` for the items of an array. */
  readonly path: string;
  readonly type: string;
  /** The schema default as JSON, or '' when there is none. */
  readonly default: string;
  /** Required, enum values, ranges, lengths, patterns — '; '-separated. */
  readonly constraints: string;
  readonly description: string;
}

export interface ReferenceOptions {
  /** A section to point to instead of descending into `schema`, e.g. `[condition](#condition)`. */
  readonly link?: (schema: TSchema) => string | undefined;
}

/** Inline code; a longer fence when the text holds a backtick. */
export const code = (text: string): string => (text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``);

/** The `type` values of a union of objects discriminated by `type`, in order. */
export function discriminants(schema: TSchema): string[] | undefined {
  const variants = schema.anyOf as TSchema[] | undefined;
  if (schema[Kind] !== 'Union' || !variants?.every((variant) => variant[Kind] === 'Object')) return undefined;
  return variants.flatMap((variant) => {
    const type = (variant.properties as Record<string, TSchema>).type;
    if (type === undefined) return [];
    return (literalValues(type) ?? [type.const]).map(String);
  });
}

/** A record's key pattern and value schema. */
const recordValue = (schema: TSchema): [string, TSchema] | undefined => {
  const pattern = schema.patternProperties as Record<string, TSchema> | undefined;
  return pattern ? Object.entries(pattern)[0] : undefined;
};

/** A short type name: string, integer, enum, array of string, map of string → integer… */
export function typeName(schema: TSchema, options: ReferenceOptions = {}): string {
  const linked = options.link?.(schema);
  if (linked !== undefined) return linked;
  if (schema[Kind] === 'Literal') return `constant ${JSON.stringify(schema.const)}`;
  if (literalValues(schema)) return 'enum';
  const scalars = scalarTypes(schema);
  if (scalars) return scalars.join(' or ');
  const types = discriminants(schema);
  if (types) return `object, by type: ${types.join(', ')}`;
  if (schema[Kind] === 'Array') return `array of ${typeName(schema.items as TSchema, options)}`;
  const record = recordValue(schema);
  if (record) return `map of string → ${typeName(record[1], options)}`;
  if (schema[Kind] === 'Object') return 'object';
  return String(schema.type ?? schema[Kind]).toLowerCase();
}

const range = (min: unknown, max: unknown, unit = ''): string | undefined => {
  if (min !== undefined && max !== undefined) return `${min}–${max}${unit}`;
  if (min !== undefined) return `≥ ${min}${unit}`;
  if (max !== undefined) return `≤ ${max}${unit}`;
  return undefined;
};

/** The checks a value must pass, beyond its type. */
export function constraintsOf(schema: TSchema, required = false): string {
  const parts: string[] = [];
  if (required) parts.push('required');
  const literals = literalValues(schema);
  if (literals) parts.push(`one of ${literals.map((value) => code(String(value))).join(', ')}`);
  const numeric = range(schema.minimum, schema.maximum);
  if (numeric) parts.push(`range ${numeric}`);
  const length = range(schema.minLength, schema.maxLength);
  if (length) parts.push(`length ${length}`);
  if (typeof schema.pattern === 'string') parts.push(`pattern ${code(schema.pattern)}`);
  const items = range(schema.minItems, schema.maxItems);
  if (items) parts.push(`items ${items}`);
  if (schema[Kind] === 'Array') {
    const each = constraintsOf(schema.items as TSchema);
    if (each !== '' && literalValues(schema.items as TSchema) === undefined) parts.push(`each: ${each}`);
  }
  const record = recordValue(schema);
  // TypeBox gives a record with any string key the pattern ^(.*)$: no constraint to show.
  if (record && record[0] !== '^(.*)$') parts.push(`keys: pattern ${code(record[0])}`);
  return parts.join('; ');
}

const defaultOf = (schema: TSchema): string =>
  'default' in schema ? code(JSON.stringify(schema.default)) : '';

/**
 * The rows of an object schema's fields, depth first, `prefix` before every path. Pure;
 * the order is the schema's property order.
 */
export function referenceRows(schema: TSchema, prefix = '', options: ReferenceOptions = {}): ReferenceRow[] {
  const rows: ReferenceRow[] = [];
  visitChildren(schema, prefix, options, rows);
  return rows;
}

function visitChildren(schema: TSchema, path: string, options: ReferenceOptions, rows: ReferenceRow[]): void {
  if (schema[Kind] === 'Object' && schema.properties !== undefined) {
    const required = new Set((schema.required as string[] | undefined) ?? []);
    for (const [key, property] of Object.entries(schema.properties as Record<string, TSchema>)) {
      visit(property, path === '' ? key : `${path}.${key}`, required.has(key), options, rows);
    }
    return;
  }
  const record = recordValue(schema);
  if (record) {
    visitNested(record[1], `${path}.<name>`, options, rows);
    return;
  }
  if (schema[Kind] === 'Array') visitNested(schema.items as TSchema, `${path}[]`, options, rows);
}

/** Children of a map value or array item: rows for its fields, not for itself. */
function visitNested(schema: TSchema, path: string, options: ReferenceOptions, rows: ReferenceRow[]): void {
  if (options.link?.(schema) !== undefined) return;
  if (discriminants(schema) || literalValues(schema)) return;
  visitChildren(schema, path, options, rows);
}

function visit(
  schema: TSchema,
  path: string,
  required: boolean,
  options: ReferenceOptions,
  rows: ReferenceRow[],
): void {
  rows.push({
    path,
    type: typeName(schema, options),
    default: defaultOf(schema),
    // A field with a default is filled in when left out: required of the schema, not of the user.
    constraints: constraintsOf(schema, required && !('default' in schema)),
    description: (schema.description as string | undefined) ?? '',
  });
  if (options.link?.(schema) !== undefined || discriminants(schema)) return;
  visitChildren(schema, path, options, rows);
}

// Pipes are escaped even inside code spans (GFM splits cells first); backslashes are not:
// code spans show them literally.
const cell = (text: string) => text.replaceAll('|', '\\|').replaceAll('\n', ' ');

/**
 * Prose for Markdown: outside code spans, `<`, `>` (not HTML tags), `*` and `__` (not
 * emphasis) are escaped; code spans are kept as they are.
 */
export function prose(text: string): string {
  return text
    .split('`')
    .map((part, index) =>
      index % 2 === 1
        ? part
        : part
            .replaceAll('<', '&lt;')
            .replaceAll('>', '&gt;')
            .replaceAll('*', '\\*')
            .replaceAll('__', '\\_\\_'),
    )
    .join('`');
}

/** A Markdown table of rows: field, type, default, constraints, description. Pure. */
export function markdownTable(rows: readonly ReferenceRow[]): string {
  const lines = ['| field | type | default | constraints | description |', '| --- | --- | --- | --- | --- |'];
  for (const row of rows) {
    lines.push(
      `| ${cell(code(row.path))} | ${cell(row.type)} | ${cell(row.default)} | ${cell(row.constraints)} | ${cell(prose(row.description))} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
