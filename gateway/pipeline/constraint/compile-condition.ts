import type { ConditionConfig } from '../../../kernel/pipeline-schema.ts';
import { addIssue, type CompileScope, fieldAt, regexAt } from '../compile-scope.ts';
import { compileGetter, type JsonRecord, numberOf, textOf } from '../field-path.ts';

/** A compiled condition. Total: never throws, whatever the record holds. */
export type Predicate = (record: JsonRecord) => boolean;

type ValueTest = (value: unknown) => boolean;

const COMBINATORS = ['all', 'any', 'not'] as const;
const OPERATORS = [
  'exists',
  'equals',
  'in',
  'notIn',
  'regex',
  'prefix',
  'suffix',
  'contains',
  'gt',
  'gte',
  'lt',
  'lte',
] as const;
type Operator = (typeof OPERATORS)[number];

const ALWAYS: Predicate = () => true;

/**
 * Compiles a condition into a predicate, once. Leaves become closures over a
 * compiled field reader and prepared operands (sets, patterns); combinators
 * become closures over their compiled children. Problems are recorded in the
 * scope under `path`.
 */
export function compileCondition(condition: ConditionConfig, scope: CompileScope, path: string): Predicate {
  const combinators = COMBINATORS.filter((name) => condition[name] !== undefined);
  const operators = OPERATORS.filter((name) => condition[name] !== undefined);
  if (combinators.length > 0) {
    if (combinators.length > 1 || condition.field !== undefined || operators.length > 0) {
      addIssue(
        scope,
        path,
        'a condition is either a field test (field with operators) or exactly one of all, any, not',
      );
      return ALWAYS;
    }
    return compileCombinator(condition, scope, path);
  }
  if (condition.field === undefined) {
    addIssue(scope, `${path}/field`, 'a condition needs a field (or one of all, any, not)');
    return ALWAYS;
  }
  if (operators.length === 0) {
    addIssue(scope, path, `a field test needs at least one operator (${OPERATORS.join(', ')})`);
    return ALWAYS;
  }
  const get = compileGetter(fieldAt(scope, `${path}/field`, condition.field));
  const tests = operators.map((operator) =>
    compileOperator(operator, condition, scope, `${path}/${operator}`),
  );
  if (tests.length === 1) {
    const test = tests[0] as ValueTest;
    return (record) => test(get(record));
  }
  return (record) => {
    const value = get(record);
    for (const test of tests) if (!test(value)) return false;
    return true;
  };
}

function compileCombinator(condition: ConditionConfig, scope: CompileScope, path: string): Predicate {
  if (condition.not !== undefined) {
    const inner = compileCondition(condition.not, scope, `${path}/not`);
    return (record) => !inner(record);
  }
  const name = condition.all !== undefined ? 'all' : 'any';
  const children = (condition[name] ?? []).map((child, index) =>
    compileCondition(child, scope, `${path}/${name}/${index}`),
  );
  if (children.length === 1) return children[0] as Predicate;
  if (name === 'all') {
    return (record) => {
      for (const child of children) if (!child(record)) return false;
      return true;
    };
  }
  return (record) => {
    for (const child of children) if (child(record)) return true;
    return false;
  };
}

function compileOperator(
  operator: Operator,
  condition: ConditionConfig,
  scope: CompileScope,
  path: string,
): ValueTest {
  switch (operator) {
    case 'exists':
      return condition.exists
        ? (value) => value !== undefined && value !== null
        : (value) => value === undefined || value === null;
    case 'equals': {
      const expected = condition.equals as string;
      const expectedNumber = canonicalNumber(expected);
      return (value) => {
        if (typeof value === 'string') return value === expected;
        if (typeof value === 'number') return value === expectedNumber;
        return textOf(value) === expected;
      };
    }
    case 'in': {
      const isMember = compileMembership(condition.in ?? []);
      return (value) => isMember(value) === true;
    }
    case 'notIn': {
      const isMember = compileMembership(condition.notIn ?? []);
      return (value) => isMember(value) === false;
    }
    case 'regex': {
      const regex = regexAt(scope, path, condition.regex as string);
      return (value) => {
        const text = textOf(value);
        return text !== undefined && regex.test(text);
      };
    }
    case 'prefix': {
      const prefix = condition.prefix as string;
      return (value) => textOf(value)?.startsWith(prefix) ?? false;
    }
    case 'suffix': {
      const suffix = condition.suffix as string;
      return (value) => textOf(value)?.endsWith(suffix) ?? false;
    }
    case 'contains': {
      const part = condition.contains as string;
      return (value) => textOf(value)?.includes(part) ?? false;
    }
    case 'gt':
      return numeric(condition.gt as number, (actual, bound) => actual > bound);
    case 'gte':
      return numeric(condition.gte as number, (actual, bound) => actual >= bound);
    case 'lt':
      return numeric(condition.lt as number, (actual, bound) => actual < bound);
    case 'lte':
      return numeric(condition.lte as number, (actual, bound) => actual <= bound);
  }
}

/**
 * The number whose JSON text is exactly `text`, if any: a number field equals
 * the text `"404"` exactly when it is 404, so no per-line string is made.
 */
function canonicalNumber(text: string): number | undefined {
  const number = Number(text);
  return Number.isFinite(number) && String(number) === text ? number : undefined;
}

/** Whether a value's text is in the list: true, false, or undefined when it has no text. */
function compileMembership(list: readonly string[]): (value: unknown) => boolean | undefined {
  const texts = new Set(list);
  const numbers = new Set(list.map(canonicalNumber).filter((number) => number !== undefined));
  return (value) => {
    if (typeof value === 'string') return texts.has(value);
    if (typeof value === 'number') return Number.isFinite(value) ? numbers.has(value) : undefined;
    const text = textOf(value);
    return text === undefined ? undefined : texts.has(text);
  };
}

function numeric(bound: number, compare: (actual: number, bound: number) => boolean): ValueTest {
  return (value) => {
    // The common case, a JSON number, skips the string parser.
    if (typeof value === 'number') return compare(value, bound);
    const actual = numberOf(value);
    return actual !== undefined && compare(actual, bound);
  };
}
