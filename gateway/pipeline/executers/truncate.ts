import type { ExecuterOf } from '../../../kernel/pipeline-schema.ts';
import { fieldAccessAt } from '../compile-scope.ts';
import type { CompiledExecuter, ExecuterSite } from './compiled-executer.ts';

/** Cuts `text` to at most `max` UTF-16 code units without splitting a surrogate pair. */
export function truncateText(text: string, max: number): string {
  if (text.length <= max) return text;
  const last = text.charCodeAt(max - 1);
  const end = last >= 0xd800 && last <= 0xdbff ? max - 1 : max;
  return text.slice(0, end);
}

export function compileTruncate(config: ExecuterOf<'truncate'>, site: ExecuterSite): CompiledExecuter {
  const fields = config.fields.map((field, index) =>
    fieldAccessAt(site.scope, `${site.path}/fields/${index}`, field),
  );
  const max = config.maxLength;
  return {
    mutates: true,
    step: (state) => {
      for (const field of fields) {
        const value = field.get(state.record);
        if (typeof value === 'string' && value.length > max)
          field.writer.set(state.record, truncateText(value, max));
      }
      return undefined;
    },
  };
}
