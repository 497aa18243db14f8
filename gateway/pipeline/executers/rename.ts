import type { ExecuterOf } from '../../../kernel/pipeline-schema.ts';
import { fieldAt } from '../compile-scope.ts';
import { compileGetter, compileWriter, type FieldGetter, type FieldWriter } from '../field-path.ts';
import { type CompiledExecuter, type ExecuterSite, failure } from './compiled-executer.ts';

interface Move {
  readonly get: FieldGetter;
  readonly from: FieldWriter;
  readonly to: FieldWriter;
}

export function compileRename(config: ExecuterOf<'rename'>, site: ExecuterSite): CompiledExecuter {
  const moves: Move[] = Object.entries(config.fields).map(([from, to]) => {
    const fromPath = fieldAt(site.scope, `${site.path}/fields/${from}`, from);
    return {
      get: compileGetter(fromPath),
      from: compileWriter(fromPath),
      to: compileWriter(fieldAt(site.scope, `${site.path}/fields/${from}`, to)),
    };
  });
  const blocked = failure('rename', site, 'cannot write a new name: a parent is not an object');
  return {
    mutates: true,
    step: (state) => {
      const record = state.record;
      for (const move of moves) if (!move.to.canSet(record)) return blocked;
      for (const move of moves) {
        const value = move.get(record);
        if (value === undefined) continue;
        move.from.remove(record);
        move.to.set(record, value);
      }
      return undefined;
    },
  };
}
