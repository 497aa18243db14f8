import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type JsonShape, scanJson } from './json-scan.ts';

// The scanner must give JSON.parse's answer for every UTF-8 text: the read-only decoder
// stands in for JSON.parse on the hot path, so any difference would accept or refuse a
// line that the general path treats otherwise.

/** What JSON.parse and a type check say about the text of `bytes`. */
function byJsonParse(bytes: Buffer): JsonShape {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString('utf8'));
  } catch {
    return 'invalid';
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? 'object' : 'not-an-object';
}

const corpus: Array<[string, string]> = [
  ['an access-log line', '{"ts":"2024-06-01T00:00:00.004Z","status":200,"rt":0.118,"urt":null,"ok":true}'],
  ['an empty object', '{}'],
  ['blanks around and inside', ' \t{ "a" : 1 , "b" :[ ] }\t '],
  ['a CR inside the line', '{"a":1,\r"b":2}'],
  ['a trailing CR', '{"a":1}\r'],
  ['a leading BOM (U+FEFF is no JSON blank)', '\ufeff{"a":1}'],
  ['NBSP as a blank', '{"a":\u00a01}'],
  ['a form feed as a blank', '{"a":\f1}'],
  ['unicode in keys and values', '{"clé":"😀 ü 中文","\u2028":"\u2029"}'],
  ['every escape', '{"e":"\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9 \\uD83D\\uDE00"}'],
  ['a lone surrogate escape', '{"s":"\\ud800"}'],
  ['upper-case hex', '{"s":"\\uABCD"}'],
  ['a short \\u escape', '{"s":"\\u12"}'],
  ['a bad \\u escape', '{"s":"\\u12G4"}'],
  ['an unknown escape', '{"s":"\\x41"}'],
  ['a raw tab in a string', '{"s":"a\tb"}'],
  ['a raw U+001F in a string', '{"s":"a\u001fb"}'],
  ['a raw DEL in a string', '{"s":"a\u007fb"}'],
  ['an unterminated string', '{"s":"abc}'],
  ['a huge integer', '{"n":12345678901234567890}'],
  ['exponents', '{"a":1e400,"b":-1E-400,"c":0.5e+3,"d":-0}'],
  ['a leading zero', '{"n":01}'],
  ['a bare minus', '{"n":-}'],
  ['a trailing dot', '{"n":1.}'],
  ['a leading dot', '{"n":.5}'],
  ['an empty exponent', '{"n":1e}'],
  ['a plus sign', '{"n":+1}'],
  ['hex and NaN', '{"n":0x10,"m":NaN}'],
  ['duplicate keys', '{"status":1,"status":"dup"}'],
  ['a __proto__ key', '{"__proto__":{"polluted":1},"a":1}'],
  ['single quotes', "{'a':1}"],
  ['an unquoted key', '{a:1}'],
  ['a trailing comma in an object', '{"a":1,}'],
  ['a trailing comma in an array', '{"a":[1,]}'],
  ['a missing colon', '{"a" 1}'],
  ['a missing comma', '{"a":1 "b":2}'],
  ['two objects', '{}{}'],
  ['garbage after the object', '{"a":1} x'],
  ['an unclosed object', '{"a":{"b":1}'],
  ['a mismatched bracket', '{"a":[1}'],
  ['literals', '{"t":true,"f":false,"n":null}'],
  ['a cut literal', '{"t":tru}'],
  ['a capitalised literal', '{"t":True}'],
  ['an array', '[1,2,3]'],
  ['a string', '"a string"'],
  ['a number', '12'],
  ['null', 'null'],
  ['an invalid non-object', '[1,'],
  ['only blanks', '   '],
  ['empty', ''],
  ['deep nesting', `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`],
  ['deep arrays inside an object', `{"a":${'['.repeat(100_000)}${']'.repeat(100_000)}}`],
  ['deep nesting, one bracket short', `${'{"a":'.repeat(1000)}1${'}'.repeat(999)}`],
];

describe('scanJson', () => {
  it.each(corpus)('agrees with JSON.parse: %s', (_name, text) => {
    const bytes = Buffer.from(text);
    expect(scanJson(bytes)).toBe(byJsonParse(bytes));
  });

  it('agrees with JSON.parse on any JSON text, any mutation of one, and any string', () => {
    // Near-misses find grammar differences: valid JSON with one character changed,
    // inserted or removed, drawn from the characters that matter to the grammar.
    const grammarChar = fc.constantFrom(
      ...'{}[]":,\\ \t\r\n-+.eE0123456789tfnulx\u0000\u001f\u00a0\ufeff'.split(''),
    );
    const mutated = fc
      .tuple(fc.json(), fc.nat(), grammarChar, fc.constantFrom('replace', 'insert', 'delete'))
      .map(([text, at, char, how]) => {
        const index = text.length === 0 ? 0 : at % text.length;
        if (how === 'replace') return text.slice(0, index) + char + text.slice(index + 1);
        if (how === 'insert') return text.slice(0, index) + char + text.slice(index);
        return text.slice(0, index) + text.slice(index + 1);
      });
    const text = fc.oneof(
      fc.json(),
      fc.jsonValue().map((value) => JSON.stringify({ value })),
      mutated,
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: grammarChar }),
    );
    fc.assert(
      fc.property(text, (value) => {
        const bytes = Buffer.from(value);
        expect(scanJson(bytes)).toBe(byJsonParse(bytes));
      }),
      { numRuns: 3000 },
    );
  });

  it('reads views into a larger buffer at any offset', () => {
    const body = Buffer.from('xx{"a":1}yy');
    expect(scanJson(body.subarray(2, 9))).toBe('object');
    expect(scanJson(body.subarray(1, 9))).toBe('invalid');
  });
});
