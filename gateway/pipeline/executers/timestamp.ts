import type { ExecuterOf } from '../../config/pipeline-schema.ts';
import { addIssue } from '../compile-scope.ts';
import { compileTimeFormat } from '../timestamp/time-format.ts';
import { type CompiledExecuter, type ExecuterSite, failure, sourceAndTarget } from './compiled-executer.ts';

type Formatter = (ms: number) => unknown;

const FORMATTERS: Record<'iso' | 'epoch-s' | 'epoch-ms', Formatter> = {
  iso: (ms) => new Date(ms).toISOString(),
  'epoch-s': (ms) => Math.floor(ms / 1000),
  'epoch-ms': (ms) => ms,
};

export function compileTimestamp(config: ExecuterOf<'timestamp'>, site: ExecuterSite): CompiledExecuter {
  const { get, target } = sourceAndTarget(config, site);
  const format = compileTimeFormat(config.format ?? 'iso8601');
  if (!format.ok) addIssue(site.scope, `${site.path}/format`, format.message);
  const parse = format.ok ? format.parse : () => undefined;
  const output = FORMATTERS[config.output ?? 'iso'];
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
