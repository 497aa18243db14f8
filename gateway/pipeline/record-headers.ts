import type { RepoHeadersConfig } from '../../kernel/config-schema.ts';
import { addIssue, type CompileScope, fieldAt } from './compile-scope.ts';
import { parseTraceParent } from './executers/trace-context.ts';
import { compileGetter, type JsonRecord, textOf } from './field-path.ts';
import type { LineContext } from './line-outcome.ts';

export type RecordHeaders = Readonly<Record<string, string>>;

/** The Kafka headers of one accepted record, from its request and its fields; undefined: none. */
export type HeadersOf = (record: JsonRecord, context: LineContext) => RecordHeaders | undefined;

/** Longest tracestate carried; W3C Trace Context asks to propagate at least 512 characters. */
const MAX_TRACESTATE = 512;
const TRACE_HEADERS = ['traceparent', 'tracestate'];

/**
 * Compiles a repo's `headers`: the request's W3C trace context (traceContext)
 * and record fields copied into named headers (fromFields). Undefined when the
 * repo adds no headers, so the hot path tests one variable. The trace headers
 * are computed once per request (every line of a request shares its context
 * object) and shared by its records unless field headers join them.
 */
export function compileRecordHeaders(
  config: RepoHeadersConfig | undefined,
  scope: CompileScope,
  path: string,
): HeadersOf | undefined {
  if (config === undefined) return undefined;
  const fields = Object.entries(config.fromFields ?? {}).map(([name, field]) => {
    if (config.traceContext === true && TRACE_HEADERS.includes(name.toLowerCase())) {
      addIssue(scope, `${path}/fromFields/${name}`, `${name} is written by traceContext: true`);
    }
    return { name, get: compileGetter(fieldAt(scope, `${path}/fromFields/${name}`, field)) };
  });
  const trace = config.traceContext === true ? traceHeadersOnce() : undefined;
  if (trace === undefined && fields.length === 0) return undefined;
  if (fields.length === 0 && trace !== undefined) return (_record, context) => trace(context);
  return (record, context) => {
    const fromRequest = trace?.(context);
    let headers: Record<string, string> | undefined =
      fromRequest === undefined ? undefined : { ...fromRequest };
    for (const { name, get } of fields) {
      const text = textOf(get(record));
      if (text === undefined) continue;
      headers ??= {};
      headers[name] = text;
    }
    return headers;
  };
}

/** traceparent (when valid) and tracestate of a request, computed once per context object. */
function traceHeadersOnce(): (context: LineContext) => RecordHeaders | undefined {
  let lastContext: LineContext | undefined;
  let lastHeaders: RecordHeaders | undefined;
  return (context) => {
    if (context !== lastContext) {
      lastHeaders = traceHeaders(context);
      lastContext = context;
    }
    return lastHeaders;
  };
}

/**
 * The request's trace context as record headers. A traceparent that does not
 * parse is not carried (nor its tracestate, which is meaningless without it);
 * a tracestate over 512 characters is left out rather than cut mid-entry.
 */
export function traceHeaders(context: LineContext): RecordHeaders | undefined {
  const traceparent = single(context.headers.traceparent);
  if (traceparent === undefined || parseTraceParent(traceparent) === undefined) return undefined;
  const tracestate = joined(context.headers.tracestate);
  const headers: Record<string, string> = { traceparent: traceparent.trim() };
  if (tracestate !== undefined && tracestate !== '' && tracestate.length <= MAX_TRACESTATE) {
    headers.tracestate = tracestate;
  }
  return Object.freeze(headers);
}

/** A header that must appear once: repeated, it is ambiguous and not used. */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? (value.length === 1 ? value[0] : undefined) : value;
}

/** tracestate may be split over several header lines; they join with commas (W3C). */
function joined(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
