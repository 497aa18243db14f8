import type { ContextSource, ExecuterOf } from '../../../kernel/pipeline-schema.ts';
import { addIssue, fieldAccessAt } from '../compile-scope.ts';
import type { LineContext } from '../line-outcome.ts';
import { type CompiledExecuter, type ExecuterSite, failure } from './compiled-executer.ts';
import { parseTraceParent } from './trace-context.ts';

type ContextValue = (context: LineContext) => unknown;

/**
 * `set` writes always, `add` only when the field is absent or null. The value
 * is static, or a request fact computed once per request: every line of a
 * request shares one context object, so the last result is reused.
 */
export function compileSetField(
  config: ExecuterOf<'set'> | ExecuterOf<'add'>,
  site: ExecuterSite,
): CompiledExecuter {
  const { get, writer } = fieldAccessAt(site.scope, `${site.path}/field`, config.field);
  const valueFor = compileValue(config, site);
  const onlyIfAbsent = config.type === 'add';
  const blocked = failure(config.type, site, `cannot write ${config.field}: a parent is not an object`);
  return {
    mutates: true,
    step: (state, context) => {
      if (onlyIfAbsent) {
        const existing = get(state.record);
        if (existing !== undefined && existing !== null) return undefined;
      }
      const value = valueFor(context);
      if (value === undefined) return undefined;
      return writer.set(state.record, value) ? undefined : blocked;
    },
  };
}

function compileValue(config: ExecuterOf<'set'> | ExecuterOf<'add'>, site: ExecuterSite): ContextValue {
  const { value, from, header } = config;
  if ((value === undefined) === (from === undefined)) {
    addIssue(site.scope, site.path, 'exactly one of value and from is required');
    return () => undefined;
  }
  if (from === 'header' && header === undefined) {
    addIssue(site.scope, `${site.path}/header`, 'from: header needs the header name');
  }
  if (from !== 'header' && header !== undefined) {
    addIssue(site.scope, `${site.path}/header`, 'header is only used with from: header');
  }
  if (value !== undefined) return () => value;
  const source = contextSource(from as ContextSource, site, header?.toLowerCase() ?? '');
  let lastContext: LineContext | undefined;
  let lastValue: unknown;
  return (context) => {
    if (context !== lastContext) {
      lastValue = source(context);
      lastContext = context;
    }
    return lastValue;
  };
}

function contextSource(from: ContextSource, site: ExecuterSite, header: string): ContextValue {
  switch (from) {
    case 'repo':
      return (context) => context.repo;
    case 'revision': {
      const revision = site.scope.revision;
      return () => revision;
    }
    case 'receivedAt':
      return (context) => isoTime(context.receivedAt);
    case 'receivedAtMs':
      return (context) => (Number.isFinite(context.receivedAt) ? context.receivedAt : undefined);
    case 'clientAddress':
      return (context) => (context.clientAddress === '' ? undefined : context.clientAddress);
    case 'header':
      return (context) => headerText(context, header);
    case 'traceId':
      return (context) => parseTraceParent(headerText(context, 'traceparent'))?.traceId;
    case 'spanId':
      return (context) => parseTraceParent(headerText(context, 'traceparent'))?.spanId;
  }
}

function headerText(context: LineContext, name: string): string | undefined {
  const value = Object.hasOwn(context.headers, name) ? context.headers[name] : undefined;
  return Array.isArray(value) ? value.join(', ') : value;
}

function isoTime(ms: number): string | undefined {
  return Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : undefined;
}
