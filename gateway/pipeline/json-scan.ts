/**
 * A JSON grammar check over the bytes of one line that builds nothing: the
 * decode of pipelines that never look inside a record (pass-through) needs to
 * know only whether the line is a JSON object, and JSON.parse answers that by
 * building the object, its property strings and numbers, all garbage at once.
 *
 * It accepts exactly the texts JSON.parse accepts (ECMA-404 / ECMA-262
 * JSON.parse): whitespace is space, tab, CR and LF only; strings hold no raw
 * control character below U+0020 and only the escapes \" \\ \/ \b \f \n \r \t
 * \uXXXX (any \uXXXX, lone surrogates too); numbers are
 * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?; duplicate keys are allowed.
 * Nesting has no limit, as V8's JSON.parse (iterative) has none: the container
 * stack is a byte array, not the call stack.
 *
 * The bytes must already be known to be valid UTF-8: every byte of a
 * multi-byte sequence is >= 0x80, which the grammar allows only inside
 * strings, so a string scan skips them without decoding.
 */

const TAB = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const QUOTE = 0x22;
const PLUS = 0x2b;
const COMMA = 0x2c;
const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;
const COLON = 0x3a;
const LBRACKET = 0x5b;
const BACKSLASH = 0x5c;
const RBRACKET = 0x5d;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LOWER_E = 0x65;
const UPPER_E = 0x45;

/** Bytes a string may hold as they are: everything but `"`, `\` and control characters. */
const PLAIN_IN_STRING = new Uint8Array(256);
for (let byte = SPACE; byte < 256; byte++) PLAIN_IN_STRING[byte] = 1;
PLAIN_IN_STRING[QUOTE] = 0;
PLAIN_IN_STRING[BACKSLASH] = 0;

/** The characters a backslash may escape besides `u`. */
const SIMPLE_ESCAPE = new Uint8Array(256);
for (const char of '"\\/bfnrt') SIMPLE_ESCAPE[char.charCodeAt(0)] = 1;

const HEX = new Uint8Array(256);
for (const char of '0123456789abcdefABCDEF') HEX[char.charCodeAt(0)] = 1;

const isDigit = (byte: number): boolean => byte >= ZERO && byte <= NINE;
const isSpace = (byte: number): boolean => byte === SPACE || byte === TAB || byte === CR || byte === LF;

// Open containers, innermost last: one byte per level, reused across calls (the scan is
// synchronous, so one line owns it at a time) and grown for deeper lines.
const IN_OBJECT = 1;
const IN_ARRAY = 2;
let stack = new Uint8Array(64);

/** Where a scan stands between tokens. */
const EXPECT_VALUE = 0;
const EXPECT_KEY = 1;
const AFTER_VALUE = 2;

export type JsonShape = 'object' | 'not-an-object' | 'invalid';

/** The end of the string whose opening quote is at `start` (the index after its closing quote), or -1. */
function skipString(bytes: Uint8Array, start: number, length: number): number {
  let index = start + 1;
  while (index < length) {
    const byte = bytes[index] as number;
    if (PLAIN_IN_STRING[byte] === 1) {
      index += 1;
    } else if (byte === QUOTE) {
      return index + 1;
    } else if (byte === BACKSLASH) {
      const escaped = bytes[index + 1] ?? 0;
      if (SIMPLE_ESCAPE[escaped] === 1) {
        index += 2;
      } else if (escaped === 0x75) {
        if (index + 5 >= length) return -1;
        if (
          HEX[bytes[index + 2] as number] !== 1 ||
          HEX[bytes[index + 3] as number] !== 1 ||
          HEX[bytes[index + 4] as number] !== 1 ||
          HEX[bytes[index + 5] as number] !== 1
        ) {
          return -1;
        }
        index += 6;
      } else {
        return -1;
      }
    } else {
      return -1;
    }
  }
  return -1;
}

/** The end of the number starting at `start`, or -1 when it does not follow the grammar. */
function skipNumber(bytes: Uint8Array, start: number, length: number): number {
  let index = start;
  if (bytes[index] === MINUS) index += 1;
  const first = bytes[index] ?? 0;
  if (first === ZERO) {
    index += 1;
  } else if (first > ZERO && first <= NINE) {
    index += 1;
    while (index < length && isDigit(bytes[index] as number)) index += 1;
  } else {
    return -1;
  }
  if (bytes[index] === DOT) {
    index += 1;
    if (!isDigit(bytes[index] ?? 0)) return -1;
    while (index < length && isDigit(bytes[index] as number)) index += 1;
  }
  const exponent = bytes[index];
  if (exponent === LOWER_E || exponent === UPPER_E) {
    index += 1;
    const sign = bytes[index];
    if (sign === PLUS || sign === MINUS) index += 1;
    if (!isDigit(bytes[index] ?? 0)) return -1;
    while (index < length && isDigit(bytes[index] as number)) index += 1;
  }
  return index;
}

/** The end of `literal` (true, false, null) at `start`, or -1. */
function skipLiteral(bytes: Uint8Array, start: number, length: number, literal: Uint8Array): number {
  if (start + literal.length > length) return -1;
  for (let offset = 0; offset < literal.length; offset++) {
    if (bytes[start + offset] !== literal[offset]) return -1;
  }
  return start + literal.length;
}

const TRUE = new TextEncoder().encode('true');
const FALSE = new TextEncoder().encode('false');
const NULL = new TextEncoder().encode('null');

/**
 * Whether `bytes` (valid UTF-8) is the text of a JSON object ('object'), of
 * some other JSON value ('not-an-object') or not JSON at all ('invalid') —
 * the three answers JSON.parse plus a type check would give.
 */
export function scanJson(bytes: Uint8Array): JsonShape {
  const length = bytes.length;
  let index = 0;
  let depth = 0;
  let state = EXPECT_VALUE;
  // Whether the top-level value is an object, decided by its first byte.
  let topIsObject = false;
  while (true) {
    while (index < length && isSpace(bytes[index] as number)) index += 1;
    if (state === AFTER_VALUE) {
      if (depth === 0) {
        if (index !== length) return 'invalid';
        return topIsObject ? 'object' : 'not-an-object';
      }
      const byte = bytes[index];
      const container = stack[depth - 1];
      if (byte === COMMA) {
        index += 1;
        state = container === IN_OBJECT ? EXPECT_KEY : EXPECT_VALUE;
      } else if (byte === (container === IN_OBJECT ? RBRACE : RBRACKET)) {
        index += 1;
        depth -= 1;
      } else {
        return 'invalid';
      }
      continue;
    }
    if (index >= length) return 'invalid';
    if (state === EXPECT_KEY) {
      if (bytes[index] !== QUOTE) return 'invalid';
      index = skipString(bytes, index, length);
      if (index < 0) return 'invalid';
      while (index < length && isSpace(bytes[index] as number)) index += 1;
      if (bytes[index] !== COLON) return 'invalid';
      index += 1;
      state = EXPECT_VALUE;
      continue;
    }
    // EXPECT_VALUE
    const byte = bytes[index] as number;
    if (depth === 0) topIsObject = byte === LBRACE;
    if (byte === LBRACE || byte === LBRACKET) {
      if (depth === stack.length) {
        const grown = new Uint8Array(stack.length * 2);
        grown.set(stack);
        stack = grown;
      }
      stack[depth] = byte === LBRACE ? IN_OBJECT : IN_ARRAY;
      depth += 1;
      index += 1;
      while (index < length && isSpace(bytes[index] as number)) index += 1;
      // An empty container closes at once; otherwise its first key or value follows.
      if (bytes[index] === (byte === LBRACE ? RBRACE : RBRACKET)) {
        index += 1;
        depth -= 1;
        state = AFTER_VALUE;
      } else {
        state = byte === LBRACE ? EXPECT_KEY : EXPECT_VALUE;
      }
      continue;
    }
    if (byte === QUOTE) index = skipString(bytes, index, length);
    else if (byte === 0x74) index = skipLiteral(bytes, index, length, TRUE);
    else if (byte === 0x66) index = skipLiteral(bytes, index, length, FALSE);
    else if (byte === 0x6e) index = skipLiteral(bytes, index, length, NULL);
    else if (byte === MINUS || isDigit(byte)) index = skipNumber(bytes, index, length);
    else return 'invalid';
    if (index < 0) return 'invalid';
    state = AFTER_VALUE;
  }
}
