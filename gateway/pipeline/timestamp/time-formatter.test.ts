import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileTimeFormat } from './time-format.ts';
import { compileTimeFormatter } from './time-formatter.ts';

const formatterOf = (output: string) => {
  const result = compileTimeFormatter(output);
  if (!result.ok) throw new Error(result.message);
  return result.format;
};

// 2023-10-10T13:55:36.042Z, a Tuesday.
const at = Date.UTC(2023, 9, 10, 13, 55, 36, 42);

describe('compileTimeFormatter', () => {
  it.each([
    { output: 'iso', expected: '2023-10-10T13:55:36.042Z' },
    { output: 'epoch-s', expected: 1696946136 },
    { output: 'epoch-ms', expected: at },
    { output: '%d/%b/%Y:%H:%M:%S %z', expected: '10/Oct/2023:13:55:36 +0000' },
    { output: '%F %T.%f %Z', expected: '2023-10-10 13:55:36.042 UTC' },
    { output: '%Y%m%d', expected: '20231010' },
    { output: '%a %A %b %h %B', expected: 'Tue Tuesday Oct Oct October' },
    { output: '[%e]', expected: '[10]' },
    { output: '%s', expected: '1696946136' },
    { output: '100%% at %H', expected: '100% at 13' },
    { output: 'day %H', expected: 'day 13' },
  ])('$output', ({ output, expected }) => {
    expect(formatterOf(output)(at)).toBe(expected);
  });

  it.each([
    {
      ms: Date.UTC(2024, 0, 5, 3, 4, 5, 6),
      output: '%e|%m|%d|%H|%M|%S|%f',
      expected: ' 5|01|05|03|04|05|006',
    },
    { ms: Date.UTC(2024, 6, 7), output: '%a %A', expected: 'Sun Sunday' },
    { ms: Date.UTC(2024, 6, 8), output: '%a', expected: 'Mon' },
    { ms: -1, output: '%F %T.%f %s', expected: '1969-12-31 23:59:59.999 -1' },
    // Date.UTC would read 15 as 1915.
    { ms: new Date(0).setUTCFullYear(15, 0, 1), output: '%Y', expected: '0015' },
  ])('pads and names: $output at $ms', ({ ms, output, expected }) => {
    expect(formatterOf(output)(ms)).toBe(expected);
  });

  it.each([
    { output: 'local', message: /unknown time output "local"/ },
    { output: '%Q', message: /unsupported directive %Q/ },
    { output: '%Y-%', message: /unsupported directive %/ },
  ])('refuses $output', ({ output, message }) => {
    const result = compileTimeFormatter(output);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });

  // A pattern written by the formatter reads back with the parser: the same directives
  // mean the same thing both ways, at millisecond precision.
  it.each(['%Y-%m-%dT%H:%M:%S.%f%z', '%d/%b/%Y:%H:%M:%S.%f %z', '%A, %e %B %Y %T.%f %Z', '%F %T.%f'])(
    'round-trips through the parser: %s',
    (pattern) => {
      const format = formatterOf(pattern);
      const parse = compileTimeFormat(pattern);
      if (!parse.ok) throw new Error(parse.message);
      fc.assert(
        fc.property(
          fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(9999, 11, 31, 23, 59, 59, 999) }),
          (ms) => {
            expect(parse.parse(format(ms))).toBe(ms);
          },
        ),
      );
    },
  );

  it('epoch-s and %s floor toward the past for negative times', () => {
    fc.assert(
      fc.property(fc.integer({ min: -8.64e15, max: 8.64e15 }), (ms) => {
        expect(formatterOf('epoch-s')(ms)).toBe(Math.floor(ms / 1000));
        expect(formatterOf('%s')(ms)).toBe(String(Math.floor(ms / 1000)));
      }),
    );
  });
});
