const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

/** What a visitor returns to stop the walk early (any other value goes on). */
export const STOP_LINES: unique symbol = Symbol('stop-lines');
export type LineVisitor = (line: Buffer, lineNumber: number) => unknown;

export type SplitResult =
  | { readonly ok: true; readonly lines: number }
  | { readonly ok: false; readonly reason: 'line_too_large' | 'stopped'; readonly lineNumber: number };

/**
 * Calls `visit` for every non-empty line of a JSONL body, without copying:
 * lines are views into `body`. Accepts `\n` and `\r\n`, a missing final
 * newline and a leading UTF-8 BOM; skips lines that are empty or hold only
 * blanks. Stops at the first line longer than `maxLineBytes` (excluding the
 * line terminator), or when `visit` returns STOP_LINES. `lineNumber` is 1-based and counts skipped lines too, so it
 * points into the sender's file.
 */
export function forEachLine(body: Buffer, maxLineBytes: number, visit: LineVisitor): SplitResult {
  let start = hasBom(body) ? 3 : 0;
  let lineNumber = 0;
  let visited = 0;
  const length = body.length;
  while (start < length) {
    let end = body.indexOf(LF, start);
    if (end === -1) end = length;
    lineNumber += 1;
    let stop = end;
    if (stop > start && body[stop - 1] === CR) stop -= 1;
    if (stop - start > maxLineBytes) return { ok: false, reason: 'line_too_large', lineNumber };
    if (!isBlank(body, start, stop)) {
      visited += 1;
      if (visit(body.subarray(start, stop), lineNumber) === STOP_LINES) {
        return { ok: false, reason: 'stopped', lineNumber };
      }
    }
    start = end + 1;
  }
  return { ok: true, lines: visited };
}

function hasBom(body: Buffer): boolean {
  return body.length >= 3 && body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
}

function isBlank(body: Buffer, start: number, stop: number): boolean {
  for (let index = start; index < stop; index++) {
    const byte = body[index];
    if (byte !== SPACE && byte !== TAB && byte !== CR) return false;
  }
  return true;
}
