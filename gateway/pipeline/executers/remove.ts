import type { ExecuterOf } from '../../../kernel/pipeline-schema.ts';
import { fieldAt } from '../compile-scope.ts';
import { compileWriter } from '../field-path.ts';
import type { CompiledExecuter, ExecuterSite } from './compiled-executer.ts';

export function compileRemove(config: ExecuterOf<'remove'>, site: ExecuterSite): CompiledExecuter {
  const fields = config.fields.map((field, index) =>
    compileWriter(fieldAt(site.scope, `${site.path}/fields/${index}`, field)),
  );
  return {
    mutates: true,
    step: (state) => {
      for (const field of fields) field.remove(state.record);
      return undefined;
    },
  };
}
