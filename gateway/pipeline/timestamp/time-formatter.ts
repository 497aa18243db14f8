import {
  MONTH_NAMES,
  MONTHS,
  type TimeToken,
  tokenizeTimeFormat,
  WEEKDAY_NAMES,
  WEEKDAYS,
} from './time-format.ts';

// Writing times: the timestamp executer's `output`. Named outputs (iso,
// epoch-s, epoch-ms) and strftime-like patterns with the same directives the
// parser reads, so a pattern written here reads back with `format` set to it.
// Always UTC: a gateway has no business guessing a sender's zone, and %z/%Z
// say so in the output.

/** Epoch milliseconds (a valid Date time) → the value written into the record. */
export type TimeFormatter = (ms: number) => string | number;

export type FormatterResult =
  | { readonly ok: true; readonly format: TimeFormatter }
  | { readonly ok: false; readonly message: string };

const NAMED: Record<string, TimeFormatter> = {
  iso: (ms) => new Date(ms).toISOString(),
  'epoch-s': (ms) => Math.floor(ms / 1000),
  'epoch-ms': (ms) => ms,
};

const pad = (value: number, width: number) => String(value).padStart(width, '0');
const capitalized = (name: string) => `${name.charAt(0).toUpperCase()}${name.slice(1)}`;
const MONTH_ABBREVIATIONS = MONTHS.map(capitalized);
const MONTH_FULL = MONTH_NAMES.map(capitalized);
// Date#getUTCDay counts from Sunday; the name tables start on Monday.
const weekdayIndex = (date: Date) => (date.getUTCDay() + 6) % 7;
const WEEKDAY_ABBREVIATIONS = WEEKDAYS.map(capitalized);
const WEEKDAY_FULL = WEEKDAY_NAMES.map(capitalized);

type Part = (date: Date, ms: number) => string;

const PARTS: Record<Exclude<TimeToken['kind'], 'literal'>, Part> = {
  year: (date) => {
    const year = date.getUTCFullYear();
    return year < 0 ? `-${pad(-year, 4)}` : pad(year, 4);
  },
  month: (date) => pad(date.getUTCMonth() + 1, 2),
  day: (date) => pad(date.getUTCDate(), 2),
  spaceDay: (date) => String(date.getUTCDate()).padStart(2, ' '),
  hour: (date) => pad(date.getUTCHours(), 2),
  minute: (date) => pad(date.getUTCMinutes(), 2),
  second: (date) => pad(date.getUTCSeconds(), 2),
  fraction: (date) => pad(date.getUTCMilliseconds(), 3),
  offset: () => '+0000',
  zoneName: () => 'UTC',
  monthName: (date) => MONTH_ABBREVIATIONS[date.getUTCMonth()] as string,
  monthFull: (date) => MONTH_FULL[date.getUTCMonth()] as string,
  weekday: (date) => WEEKDAY_ABBREVIATIONS[weekdayIndex(date)] as string,
  weekdayFull: (date) => WEEKDAY_FULL[weekdayIndex(date)] as string,
  epoch: (_date, ms) => String(Math.floor(ms / 1000)),
};

/**
 * Compiles `iso`, `epoch-s`, `epoch-ms` or a strftime-like pattern (`%Y`,
 * `%m`, `%d`, `%e`, `%H`, `%M`, `%S`, `%f` milliseconds, `%z` +0000, `%Z` UTC,
 * `%b`/`%h`, `%B`, `%a`, `%A`, `%s`, `%T`, `%F`, `%%`) into a formatter.
 */
export function compileTimeFormatter(output: string): FormatterResult {
  if (Object.hasOwn(NAMED, output)) return { ok: true, format: NAMED[output] as TimeFormatter };
  if (!output.includes('%')) {
    return {
      ok: false,
      message: `unknown time output "${output}" (iso, epoch-s, epoch-ms, or a pattern with % directives)`,
    };
  }
  const tokens = tokenizeTimeFormat(output);
  if (typeof tokens === 'string') return { ok: false, message: tokens };
  const parts: Part[] = tokens.map((token) => {
    if (token.kind === 'literal') {
      const text = token.text;
      return () => text;
    }
    return PARTS[token.kind];
  });
  return {
    ok: true,
    format: (ms) => {
      const date = new Date(ms);
      let text = '';
      for (const part of parts) text += part(date, ms);
      return text;
    },
  };
}
