/** The ids of a W3C Trace Context `traceparent` header. */
export interface TraceParent {
  readonly traceId: string;
  readonly spanId: string;
}

const HEX = /^[0-9a-f]+$/;
const ZEROS = /^0+$/;

/**
 * Parses `version-traceid-parentid-flags` (W3C Trace Context, level 1):
 * lower-case hex, version ff and all-zero ids are invalid. Versions above 00
 * may append fields, which are ignored. Returns undefined for anything else.
 */
export function parseTraceParent(header: string | undefined): TraceParent | undefined {
  if (header === undefined || header.length < 55 || header.length > 512) return undefined;
  const text = header.trim();
  const version = text.slice(0, 2);
  if (text[2] !== '-' || text[35] !== '-' || text[52] !== '-') return undefined;
  if (!HEX.test(version) || version === 'ff') return undefined;
  if (version === '00' && text.length !== 55) return undefined;
  if (text.length > 55 && text[55] !== '-') return undefined;
  const traceId = text.slice(3, 35);
  const spanId = text.slice(36, 52);
  const flags = text.slice(53, 55);
  if (!HEX.test(traceId) || !HEX.test(spanId) || !HEX.test(flags)) return undefined;
  if (ZEROS.test(traceId) || ZEROS.test(spanId)) return undefined;
  return { traceId, spanId };
}
