import type { ExecuterOf } from '../../../kernel/pipeline-schema.ts';
import { type CompiledExecuter, type ExecuterSite, failure, sourceAndTarget } from './compiled-executer.ts';

/** Splits a string by a literal separator into at most `limit` parts; the last part keeps the rest. */
export function splitText(text: string, separator: string, limit: number): string[] {
  const parts: string[] = [];
  let start = 0;
  while (parts.length < limit - 1) {
    const at = text.indexOf(separator, start);
    if (at === -1) break;
    parts.push(text.slice(start, at));
    start = at + separator.length;
  }
  parts.push(text.slice(start));
  return parts;
}

export function compileSplitter(config: ExecuterOf<'splitter'>, site: ExecuterSite): CompiledExecuter {
  const { get, target } = sourceAndTarget(config, site);
  const { separator } = config;
  const limit = config.limit ?? Number.POSITIVE_INFINITY;
  const notString = failure('splitter', site, `field ${config.field} is absent or not a string`);
  const blocked = failure(
    'splitter',
    site,
    `cannot write ${config.target ?? config.field}: a parent is not an object`,
  );
  return {
    mutates: true,
    step: (state) => {
      const value = get(state.record);
      if (typeof value !== 'string') return notString;
      return target.set(state.record, splitText(value, separator, limit)) ? undefined : blocked;
    },
  };
}
