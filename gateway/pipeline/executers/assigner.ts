import type { ExecuterOf } from '../../../kernel/pipeline-schema.ts';
import { addIssue, fieldAt } from '../compile-scope.ts';
import { compileGetter, compileWriter } from '../field-path.ts';
import { type CompiledExecuter, type ExecuterSite, failure } from './compiled-executer.ts';

export function compileAssigner(config: ExecuterOf<'assigner'>, site: ExecuterSite): CompiledExecuter {
  const sourcePath = fieldAt(site.scope, `${site.path}/field`, config.field);
  const get = compileGetter(sourcePath);
  const source = compileWriter(sourcePath);
  const seen = new Set<string>();
  const names = config.names.map((name, index) => {
    if (seen.has(name)) addIssue(site.scope, `${site.path}/names/${index}`, `"${name}" is named twice`);
    seen.add(name);
    return compileWriter(fieldAt(site.scope, `${site.path}/names/${index}`, name));
  });
  const count = names.length;
  const removeSource = !config.keepSource && !seen.has(config.field);
  const notArray = failure('assigner', site, `field ${config.field} is absent or not an array`);
  const tooShort = failure('assigner', site, `field ${config.field} has fewer than ${count} parts`);
  const blocked = failure('assigner', site, 'cannot write a name: a parent is not an object');
  return {
    mutates: true,
    step: (state) => {
      const record = state.record;
      const parts = get(record);
      if (!Array.isArray(parts)) return notArray;
      if (parts.length < count) return tooShort;
      // All or nothing: check every target before writing any.
      for (const name of names) if (!name.canSet(record)) return blocked;
      if (removeSource) source.remove(record);
      for (let index = 0; index < count; index++)
        (names[index] as (typeof names)[number]).set(record, parts[index]);
      return undefined;
    },
  };
}
