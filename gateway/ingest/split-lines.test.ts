import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachLine, STOP_LINES } from './split-lines.ts';

function lines(text: string | Buffer, max = 1000) {
  const seen: Array<[string, number]> = [];
  const result = forEachLine(Buffer.isBuffer(text) ? text : Buffer.from(text), max, (line, n) =>
    seen.push([line.toString(), n]),
  );
  return { result, seen };
}

describe('forEachLine', () => {
  it.each([
    {
      name: 'LF lines',
      body: '{"a":1}\n{"b":2}\n',
      expected: [
        ['{"a":1}', 1],
        ['{"b":2}', 2],
      ],
    },
    {
      name: 'CRLF lines',
      body: '{"a":1}\r\n{"b":2}\r\n',
      expected: [
        ['{"a":1}', 1],
        ['{"b":2}', 2],
      ],
    },
    {
      name: 'no trailing newline',
      body: '{"a":1}\n{"b":2}',
      expected: [
        ['{"a":1}', 1],
        ['{"b":2}', 2],
      ],
    },
    {
      name: 'empty and blank lines',
      body: '\n{"a":1}\n\n  \t\r\n{"b":2}\n\n',
      expected: [
        ['{"a":1}', 2],
        ['{"b":2}', 5],
      ],
    },
    { name: 'leading BOM', body: '\ufeff{"a":1}\n', expected: [['{"a":1}', 1]] },
    { name: 'empty body', body: '', expected: [] },
    { name: 'only newlines', body: '\n\r\n\n', expected: [] },
  ])('$name', ({ body, expected }) => {
    const { result, seen } = lines(body);
    expect(seen).toEqual(expected);
    expect(result).toEqual({ ok: true, lines: expected.length });
  });

  it.each([
    { body: 'x'.repeat(11), max: 10, lineNumber: 1 },
    { body: `ok\n${'x'.repeat(11)}\nok`, max: 10, lineNumber: 2 },
    { body: `${'x'.repeat(10)}\r\n`, max: 10, lineNumber: undefined },
  ])('enforces the line limit without counting the terminator ($lineNumber)', ({ body, max, lineNumber }) => {
    const { result } = lines(body, max);
    if (lineNumber === undefined) expect(result.ok).toBe(true);
    else expect(result).toEqual({ ok: false, reason: 'line_too_large', lineNumber });
  });

  it('stops when the visitor returns STOP_LINES, naming the line', () => {
    const seen: number[] = [];
    const result = forEachLine(Buffer.from('{"a":1}\n\n{"b":2}\n{"c":3}\n'), 100, (_line, lineNumber) => {
      seen.push(lineNumber);
      return lineNumber === 3 ? STOP_LINES : undefined;
    });
    expect(result).toEqual({ ok: false, reason: 'stopped', lineNumber: 3 });
    expect(seen).toEqual([1, 3]);
  });

  it('yields views, not copies', () => {
    const body = Buffer.from('{"a":1}\n{"b":2}\n');
    const views: Buffer[] = [];
    forEachLine(body, 100, (line) => views.push(line));
    expect(views).toHaveLength(2);
    for (const line of views) expect(line.buffer).toBe(body.buffer);
  });

  it('round-trips any list of newline-free non-blank lines, whatever the terminators', () => {
    const lineArb = fc
      .string({ minLength: 1, maxLength: 40 })
      .filter((s) => !/[\r\n]/.test(s) && s.trim() !== '');
    fc.assert(
      fc.property(
        fc.array(lineArb, { maxLength: 30 }),
        fc.boolean(),
        fc.boolean(),
        (input, crlf, trailing) => {
          const sep = crlf ? '\r\n' : '\n';
          const body = input.join(sep) + (trailing ? sep : '');
          const { seen } = lines(body, 10_000);
          expect(seen.map(([text]) => text)).toEqual(input);
        },
      ),
    );
  });
});
