import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compileTimeFormat, parseIso } from './time-format.ts';

const parserOf = (format: string) => {
  const result = compileTimeFormat(format);
  if (!result.ok) throw new Error(result.message);
  return result.parse;
};

describe('parseIso', () => {
  it.each([
    { text: '2023-10-10T13:55:36Z', expected: Date.UTC(2023, 9, 10, 13, 55, 36) },
    { text: '2023-10-10T13:55:36.123Z', expected: Date.UTC(2023, 9, 10, 13, 55, 36, 123) },
    { text: '2023-10-10T13:55:36.123456789Z', expected: Date.UTC(2023, 9, 10, 13, 55, 36, 123) },
    { text: '2023-10-10T13:55:36.5Z', expected: Date.UTC(2023, 9, 10, 13, 55, 36, 500) },
    { text: '2023-10-10t13:55:36z', expected: Date.UTC(2023, 9, 10, 13, 55, 36) },
    { text: '2023-10-10 13:55:36+02:00', expected: Date.UTC(2023, 9, 10, 11, 55, 36) },
    { text: '2023-10-10T13:55:36-0130', expected: Date.UTC(2023, 9, 10, 15, 25, 36) },
    { text: '2023-10-10T13:55:36+05', expected: Date.UTC(2023, 9, 10, 8, 55, 36) },
    { text: '2023-10-10T13:55', expected: Date.UTC(2023, 9, 10, 13, 55) },
    { text: '2023-10-10', expected: Date.UTC(2023, 9, 10) },
    { text: '2024-02-29T00:00:00Z', expected: Date.UTC(2024, 1, 29) },
    { text: '2016-12-31T23:59:60Z', expected: Date.UTC(2016, 11, 31, 23, 59, 59) },
  ])('$text', ({ text, expected }) => {
    expect(parseIso(text)).toBe(expected);
  });

  it('reads years below 100 as written (Date.UTC would add 1900)', () => {
    const date = new Date(0);
    date.setUTCFullYear(1, 0, 1);
    expect(parseIso('0001-01-01T00:00:00Z')).toBe(date.getTime());
  });

  it.each([
    '2023-02-29T00:00:00Z',
    '2023-13-01',
    '2023-00-10',
    '2023-10-32',
    '2023-10-10T24:00:00Z',
    '2023-10-10T13:60:00Z',
    '2023-10-10T13:55:36+24:00',
    '2023-10-10T13:55:36 Z',
    '2023-10-10T13:55:36Zjunk',
    '2023-10-10X13:55:36',
    '23-10-10',
    '2023/10/10',
    'Tue, 10 Oct 2023 13:55:36 GMT',
    '',
    'x'.repeat(100),
  ])('refuses %s', (text) => {
    expect(parseIso(text)).toBeUndefined();
  });
});

describe('strftime-like formats', () => {
  it.each([
    {
      format: '%d/%b/%Y:%H:%M:%S %z',
      text: '10/Oct/2023:13:55:36 +0000',
      expected: Date.UTC(2023, 9, 10, 13, 55, 36),
    },
    {
      format: '%d/%b/%Y:%H:%M:%S %z',
      text: '10/oct/2023:13:55:36 -0700',
      expected: Date.UTC(2023, 9, 10, 20, 55, 36),
    },
    {
      format: '%a, %d %b %Y %T %Z',
      text: 'Tue, 10 Oct 2023 13:55:36 GMT',
      expected: Date.UTC(2023, 9, 10, 13, 55, 36),
    },
    { format: '%F %T.%f', text: '2023-10-10 13:55:36.042', expected: Date.UTC(2023, 9, 10, 13, 55, 36, 42) },
    { format: '%Y%m%d%H%M%S', text: '20231010135536', expected: Date.UTC(2023, 9, 10, 13, 55, 36) },
    { format: '%B %e %Y', text: 'October  1 2023', expected: Date.UTC(2023, 9, 1) },
    { format: '%A %d %B %Y', text: 'Tuesday 10 October 2023', expected: Date.UTC(2023, 9, 10) },
    { format: '%s', text: '1696946136', expected: 1696946136000 },
    { format: '100%% %Y-%m', text: '100% 2023-10', expected: Date.UTC(2023, 9, 1) },
  ])('$format parses $text', ({ format, text, expected }) => {
    expect(parserOf(format)(text)).toBe(expected);
  });

  it.each([
    { format: '%d/%b/%Y:%H:%M:%S %z', text: '10/Foo/2023:13:55:36 +0000' },
    { format: '%d/%b/%Y:%H:%M:%S %z', text: '31/Nov/2023:13:55:36 +0000' },
    { format: '%d/%b/%Y:%H:%M:%S %z', text: '10/Oct/2023:13:55:36' },
    { format: '%d/%b/%Y:%H:%M:%S %z', text: '10/Oct/2023:13:55:36 +0000 ' },
    { format: '%Y-%m-%d', text: '2023-10' },
    { format: '%Y-%m-%d', text: 42 },
  ])('$format refuses $text', ({ format, text }) => {
    expect(parserOf(format)(text)).toBeUndefined();
  });

  it.each(['%Q', '%', 'plain', '%H:%M', '%d/%b'])('refuses the format %s', (format) => {
    expect(compileTimeFormat(format).ok).toBe(false);
  });

  it('round-trips every representable time through ISO text and the nginx format', () => {
    const nginx = parserOf('%d/%b/%Y:%H:%M:%S %z');
    const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
    const pad = (n: number, width = 2) => String(n).padStart(width, '0');
    fc.assert(
      fc.property(fc.integer({ min: Date.UTC(1000, 0, 1), max: Date.UTC(9999, 11, 31) }), (ms) => {
        expect(parseIso(new Date(ms).toISOString())).toBe(ms);
        const d = new Date(ms - (ms % 1000));
        const text = `${pad(d.getUTCDate())}/${months[d.getUTCMonth()]}/${d.getUTCFullYear()}:${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} +0000`;
        expect(nginx(text)).toBe(d.getTime());
      }),
    );
  });

  it('never throws on arbitrary text', () => {
    const parsers = ['iso8601', 'epoch-s', 'epoch-ms', '%d/%b/%Y:%H:%M:%S %z', '%a %B %e %T.%f %Z %Y'].map(
      parserOf,
    );
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.anything()), (value) => {
        for (const parse of parsers) {
          const ms = parse(value);
          if (ms !== undefined) expect(Number.isFinite(ms)).toBe(true);
        }
      }),
    );
  });
});

describe('epoch formats', () => {
  it.each([
    { format: 'epoch-s', value: 1696946136, expected: 1696946136000 },
    { format: 'epoch-s', value: '1696946136.123', expected: 1696946136123 },
    { format: 'epoch-s', value: '-1', expected: -1000 },
    { format: 'epoch-ms', value: 1696946136123, expected: 1696946136123 },
    { format: 'epoch-ms', value: '1696946136123', expected: 1696946136123 },
    { format: 'epoch-s', value: '1e3', expected: undefined },
    { format: 'epoch-s', value: '', expected: undefined },
    { format: 'epoch-s', value: '1.2.3', expected: undefined },
    { format: 'epoch-s', value: 1e300, expected: undefined },
    { format: 'epoch-ms', value: true, expected: undefined },
  ])('$format $value → $expected', ({ format, value, expected }) => {
    expect(parserOf(format)(value)).toBe(expected);
  });
});
