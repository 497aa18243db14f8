import type { ConditionConfig, ExecuterOf } from '../../../kernel/pipeline-schema.ts';
import { compileCondition } from '../constraint/compile-condition.ts';
import type { LineOutcome } from '../line-outcome.ts';
import type { CompiledExecuter, ExecuterSite } from './compiled-executer.ts';

export function compileDropIf(config: ExecuterOf<'drop-if'>, site: ExecuterSite): CompiledExecuter {
  const matches = compileCondition(config.when as ConditionConfig, site.scope, `${site.path}/when`);
  const dropped: LineOutcome = Object.freeze({ kind: 'dropped', reason: config.reason ?? 'drop_if' });
  return {
    mutates: false,
    step: (state) => (matches(state.record) ? dropped : undefined),
  };
}
