import { type CelResult, celEnv, isCelError, parse, plan } from '@bufbuild/cel';
import type { Structural } from '../operator/crd/structural-schema.ts';

/** One CEL rule of a CRD (`x-kubernetes-validations`) that a value broke. */
export interface CelRuleIssue {
  readonly path: string;
  readonly message: string;
}

interface Rule {
  readonly rule: string;
  readonly message?: string;
}

/** Whether a rule holds; when not, why (an evaluation error), or undefined for plain false. */
type Outcome = { readonly holds: true } | { readonly holds: false; readonly why?: string };
type Evaluate = (self: unknown) => Outcome;

// One planned evaluator per rule text: a LogRepo's schema repeats the same executer rules at
// every nesting level, and parsing is the expensive part.
const planned = new Map<string, Evaluate>();
const env = celEnv();

function evaluator(rule: string): Evaluate {
  let evaluate = planned.get(rule);
  if (evaluate === undefined) {
    evaluate = compile(rule);
    planned.set(rule, evaluate);
  }
  return evaluate;
}

function compile(rule: string): Evaluate {
  let run: (bindings: { self: never }) => CelResult;
  try {
    run = plan(env, parse(rule)) as typeof run;
  } catch (error) {
    // A rule that does not parse is the CRD's fault; the apiserver would refuse the CRD itself.
    const why = `rule does not compile: ${(error as Error).message}`;
    return () => ({ holds: false, why });
  }
  return (self) => {
    const result = run({ self: self as never });
    if (result === true) return { holds: true };
    return isCelError(result) ? { holds: false, why: result.message } : { holds: false };
  };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether `value` has the JSON type the schema node declares (rules only run on such values). */
function matchesType(schema: Structural, value: unknown): boolean {
  switch (schema.type) {
    case 'object':
      return isObject(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    case 'string':
    case 'boolean':
      return typeof value === schema.type;
    default:
      return true;
  }
}

/**
 * The value as CEL sees it under the apiserver's typing: `integer` fields are CEL ints
 * (bigint here), every other number a double; fields the schema does not declare are
 * invisible (the apiserver prunes them before the rules run).
 */
function celValue(schema: Structural, value: unknown): unknown {
  if (schema['x-kubernetes-preserve-unknown-fields'] === true && schema.properties === undefined)
    return value;
  if (schema.type === 'integer' && Number.isInteger(value)) return BigInt(value as number);
  if (schema.type === 'array' && Array.isArray(value)) {
    const items = schema.items as Structural | undefined;
    return items === undefined ? value : value.map((item) => celValue(items, item));
  }
  if (schema.type === 'object' && isObject(value)) {
    const properties = schema.properties as Record<string, Structural> | undefined;
    const additional = schema.additionalProperties as Structural | undefined;
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(value)) {
      const fieldSchema = properties?.[key] ?? additional;
      if (fieldSchema !== undefined) out[key] = celValue(fieldSchema, field);
    }
    return out;
  }
  return value;
}

/**
 * Evaluates every `x-kubernetes-validations` rule of a structural schema (a CRD's, as
 * generated into crds/) against `value`, the way the apiserver does after defaulting: each
 * rule with `self` bound to the value at its node, at every node whose value has the
 * declared type. A rule that is false, or that fails to evaluate, is an issue at its node
 * with the rule's message. Pure.
 */
export function celRuleIssues(schema: Structural, value: unknown, path = ''): CelRuleIssue[] {
  const issues: CelRuleIssue[] = [];
  walk(schema, value, path, issues);
  return issues;
}

function walk(schema: Structural, value: unknown, path: string, issues: CelRuleIssue[]): void {
  if (value === undefined || !matchesType(schema, value)) return;
  const rules = (schema['x-kubernetes-validations'] as Rule[] | undefined) ?? [];
  if (rules.length > 0) {
    const self = celValue(schema, value);
    for (const { rule, message } of rules) {
      const outcome = evaluator(rule)(self);
      if (outcome.holds) continue;
      const why = outcome.why === undefined ? '' : ` (${outcome.why})`;
      issues.push({ path: path || '/', message: `${message ?? `failed rule: ${rule}`}${why}` });
    }
  }
  if (schema.type === 'object' && isObject(value)) {
    const properties = schema.properties as Record<string, Structural> | undefined;
    const additional = schema.additionalProperties as Structural | undefined;
    for (const [key, field] of Object.entries(value)) {
      const fieldSchema = properties?.[key] ?? additional;
      if (fieldSchema !== undefined) walk(fieldSchema, field, `${path}/${key}`, issues);
    }
  } else if (schema.type === 'array' && Array.isArray(value) && schema.items !== undefined) {
    value.forEach((item, index) => {
      walk(schema.items as Structural, item, `${path}/${index}`, issues);
    });
  }
}
