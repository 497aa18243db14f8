import type { Static, TSchema } from '@sinclair/typebox';
import { type SchemaIssue, schemaIssues } from '../kernel/schema-walk.ts';

export type Validated<T extends TSchema> =
  | { readonly ok: true; readonly value: Static<T> }
  | { readonly ok: false; readonly issues: readonly SchemaIssue[] };

/** Checks a value against a schema with the same precise messages as the gateway config. */
export function validateWith<T extends TSchema>(schema: T, value: unknown): Validated<T> {
  const issues = schemaIssues(schema, value);
  return issues.length === 0 ? { ok: true, value: value as Static<T> } : { ok: false, issues };
}
