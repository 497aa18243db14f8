import type { ExecuterOf } from '../../../kernel/pipeline-schema.ts';
import { addIssue } from '../compile-scope.ts';
import { compileTimeFormat } from '../timestamp/time-format.ts';
import { compileTimeFormatter } from '../timestamp/time-formatter.ts';
import { type CompiledExecuter, type ExecuterSite, failure, sourceAndTarget } from './compiled-executer.ts';

export function compileTimestamp(config: ExecuterOf<'timestamp'>, site: ExecuterSite): CompiledExecuter {
  const { get, target } = sourceAndTarget(config, site);
  const format = compileTimeFormat(config.format ?? 'iso8601');
  if (!format.ok) addIssue(site.scope, `${site.path}/format`, format.message);
  const parse = format.ok ? format.parse : () => undefined;
  const formatter = compileTimeFormatter(config.output ?? 'iso');
  if (!formatter.ok) addIssue(site.scope, `${site.path}/output`, formatter.message);
  const output = formatter.ok ? formatter.format : () => undefined;
  const unparsed = failure(
    'timestamp',
    site,
    `field ${config.field} is absent or not a time in format ${config.format ?? 'iso8601'}`,
  );
  const blocked = failure('timestamp', site, 'cannot write the result: a parent is not an object');
  // Log lines arrive in time order and many share a second, so the last input
  // and its result are kept: the same text costs one comparison.
  let lastInput: unknown;
  let lastOutput: unknown;
  return {
    mutates: true,
    step: (state) => {
      const value = get(state.record);
      if (value !== lastInput || lastOutput === undefined) {
        const ms = parse(value);
        if (ms === undefined) return unparsed;
        lastInput = value;
        lastOutput = output(ms);
      }
      return target.set(state.record, lastOutput) ? undefined : blocked;
    },
  };
}
