import type { ExecuterOf } from '../../../kernel/pipeline-schema.ts';
import { fieldAccessAt } from '../compile-scope.ts';
import { numberOf } from '../field-path.ts';
import { type CompiledExecuter, type ExecuterSite, failure } from './compiled-executer.ts';

type ConvertTarget = 'int' | 'float' | 'bool' | 'string';

/** Marks a value that cannot be converted (undefined is a legal "absent"). */
const CANNOT = Symbol('cannot convert');

/** Converts one value; CANNOT when it has no sensible value of the target type. */
function convertValue(value: unknown, to: ConvertTarget): unknown {
  switch (to) {
    case 'int': {
      if (typeof value === 'number') return Number.isSafeInteger(value) ? value : CANNOT;
      if (typeof value !== 'string') return CANNOT;
      const number = numberOf(value);
      return number !== undefined && Number.isSafeInteger(number) && isIntegerText(value) ? number : CANNOT;
    }
    case 'float': {
      const number = numberOf(value);
      return number === undefined ? CANNOT : number;
    }
    case 'bool':
      if (typeof value === 'boolean') return value;
      if (value === 'true' || value === 1 || value === '1') return true;
      if (value === 'false' || value === 0 || value === '0') return false;
      return CANNOT;
    case 'string':
      if (typeof value === 'string') return value;
      if (typeof value === 'number') return Number.isFinite(value) ? String(value) : CANNOT;
      if (typeof value === 'boolean') return String(value);
      if (typeof value === 'object' && value !== null) return JSON.stringify(value);
      return CANNOT;
  }
}

function isIntegerText(text: string): boolean {
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    const sign = index === 0 && (code === 45 || code === 43);
    if (!sign && (code < 48 || code > 57)) return false;
  }
  return true;
}

export function compileConvert(config: ExecuterOf<'convert'>, site: ExecuterSite): CompiledExecuter {
  const fields = Object.entries(config.fields).map(([field, to]) => ({
    ...fieldAccessAt(site.scope, `${site.path}/fields/${field}`, field),
    to,
    failed: failure('convert', site, `field ${field} cannot be converted to ${to}`),
  }));
  const results: unknown[] = new Array(fields.length);
  return {
    mutates: true,
    step: (state) => {
      const record = state.record;
      // Convert everything first, so a failure leaves the record unchanged.
      for (let index = 0; index < fields.length; index++) {
        const field = fields[index] as (typeof fields)[number];
        const value = field.get(record);
        if (value === undefined || value === null) {
          results[index] = undefined;
          continue;
        }
        const converted = convertValue(value, field.to);
        if (converted === CANNOT) return field.failed;
        results[index] = converted;
      }
      for (let index = 0; index < fields.length; index++) {
        if (results[index] !== undefined)
          (fields[index] as (typeof fields)[number]).writer.set(record, results[index]);
      }
      return undefined;
    },
  };
}
