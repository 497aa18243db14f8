import type { ExecuterOf } from '../../../kernel/pipeline-schema.ts';
import { fieldAccessAt } from '../compile-scope.ts';
import type { JsonRecord } from '../field-path.ts';
import type { CompiledExecuter, ExecuterSite } from './compiled-executer.ts';

/** Replaces the record with a new one holding only the listed fields (nested paths keep their parents). */
export function compileKeep(config: ExecuterOf<'keep'>, site: ExecuterSite): CompiledExecuter {
  const fields = config.fields.map((field, index) =>
    fieldAccessAt(site.scope, `${site.path}/fields/${index}`, field),
  );
  return {
    mutates: true,
    step: (state) => {
      const kept: JsonRecord = {};
      for (const field of fields) {
        const value = field.get(state.record);
        if (value !== undefined) field.writer.set(kept, value);
      }
      state.record = kept;
      return undefined;
    },
  };
}
