// Time parsing without Date's string parser and without a regex per line: a
// format is compiled once into a list of tokens, and a line's text is scanned
// by hand against them. Every parser returns epoch milliseconds or undefined.

/** Parses one field value into epoch milliseconds, or undefined. */
export type TimeParser = (value: unknown) => number | undefined;

export type FormatResult =
  | { readonly ok: true; readonly parse: TimeParser }
  | { readonly ok: false; readonly message: string };

/** The largest time a JavaScript Date can hold, in ms either side of the epoch. */
const MAX_TIME = 8.64e15;

export const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
export const MONTH_NAMES = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const ZONE_NAMES = ['utc', 'gmt', 'z'];
export const WEEKDAY_NAMES = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'];

/** Compiles `iso8601`/`rfc3339`, `epoch-s`, `epoch-ms` or a strftime-like pattern. */
export function compileTimeFormat(format: string): FormatResult {
  switch (format) {
    case 'iso8601':
    case 'rfc3339':
      return { ok: true, parse: (value) => (typeof value === 'string' ? parseIso(value) : undefined) };
    case 'epoch-s':
      return { ok: true, parse: (value) => epoch(value, 1000) };
    case 'epoch-ms':
      return { ok: true, parse: (value) => epoch(value, 1) };
  }
  const tokens = tokenizeTimeFormat(format);
  if (typeof tokens === 'string') return { ok: false, message: tokens };
  const kinds = tokens.map((token) => token.kind);
  if (
    !kinds.includes('epoch') &&
    !(
      kinds.includes('year') &&
      (kinds.includes('month') || kinds.includes('monthName') || kinds.includes('monthFull'))
    )
  ) {
    return { ok: false, message: 'a time format needs a year and a month (%Y with %m, %b or %B), or %s' };
  }
  return { ok: true, parse: (value) => (typeof value === 'string' ? parseTokens(tokens, value) : undefined) };
}

function epoch(value: unknown, scale: number): number | undefined {
  let number: number;
  if (typeof value === 'number') number = value;
  else if (typeof value === 'string' && value.length > 0 && value.length <= 32 && isEpochText(value))
    number = Number(value);
  else return undefined;
  const ms = Math.round(number * scale);
  return Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME ? ms : undefined;
}

function isEpochText(text: string): boolean {
  let dots = 0;
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 46) dots++;
    else if (!(code >= 48 && code <= 57) && !(index === 0 && code === 45)) return false;
  }
  return dots <= 1 && text !== '.' && text !== '-';
}

export type TimeToken =
  | { readonly kind: 'literal'; readonly text: string }
  | {
      readonly kind: 'year' | 'month' | 'day' | 'spaceDay' | 'hour' | 'minute' | 'second' | 'fraction';
    }
  | {
      readonly kind: 'monthName' | 'monthFull' | 'weekday' | 'weekdayFull' | 'offset' | 'zoneName' | 'epoch';
    };

const DIRECTIVES: Record<string, TimeToken | readonly TimeToken[]> = {
  Y: { kind: 'year' },
  m: { kind: 'month' },
  d: { kind: 'day' },
  e: { kind: 'spaceDay' },
  H: { kind: 'hour' },
  M: { kind: 'minute' },
  S: { kind: 'second' },
  f: { kind: 'fraction' },
  z: { kind: 'offset' },
  Z: { kind: 'zoneName' },
  b: { kind: 'monthName' },
  h: { kind: 'monthName' },
  B: { kind: 'monthFull' },
  a: { kind: 'weekday' },
  A: { kind: 'weekdayFull' },
  s: { kind: 'epoch' },
  T: [
    { kind: 'hour' },
    { kind: 'literal', text: ':' },
    { kind: 'minute' },
    { kind: 'literal', text: ':' },
    { kind: 'second' },
  ],
  F: [
    { kind: 'year' },
    { kind: 'literal', text: '-' },
    { kind: 'month' },
    { kind: 'literal', text: '-' },
    { kind: 'day' },
  ],
  '%': { kind: 'literal', text: '%' },
};

/**
 * The tokens of a strftime-like pattern, or a message saying what is wrong
 * with it. Shared by the parser here and the formatter (time-formatter.ts), so
 * a pattern means the same when reading and when writing.
 */
export function tokenizeTimeFormat(format: string): TimeToken[] | string {
  if (!format.includes('%')) {
    return `unknown time format "${format}" (iso8601, rfc3339, epoch-s, epoch-ms, or a pattern with % directives)`;
  }
  const tokens: TimeToken[] = [];
  let literal = '';
  for (let index = 0; index < format.length; index++) {
    const char = format[index] as string;
    if (char !== '%') {
      literal += char;
      continue;
    }
    const directive = format[index + 1];
    const token =
      directive === undefined
        ? undefined
        : Object.hasOwn(DIRECTIVES, directive)
          ? DIRECTIVES[directive]
          : undefined;
    if (token === undefined) return `unsupported directive %${directive ?? ''} in time format`;
    index++;
    const list = Array.isArray(token) ? token : [token as TimeToken];
    for (const item of list) {
      if (item.kind === 'literal') literal += item.text;
      else {
        if (literal !== '') tokens.push({ kind: 'literal', text: literal });
        literal = '';
        tokens.push(item);
      }
    }
  }
  if (literal !== '') tokens.push({ kind: 'literal', text: literal });
  return tokens;
}

interface Fields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  ms: number;
  offsetMinutes: number;
  epochSeconds: number | undefined;
}

/** The fields before any token is read: what a format leaves out defaults to the start of its unit. */
function initialFields(): Fields {
  return {
    year: 1970,
    month: 1,
    day: 1,
    hour: 0,
    minute: 0,
    second: 0,
    ms: 0,
    offsetMinutes: 0,
    epochSeconds: undefined,
  };
}

/** A scanner over one string; `at` advances as tokens match. */
class Scan {
  at = 0;
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
  /** Reads `min`..`max` digits; -1 when fewer than `min` are there. */
  digits(min: number, max: number): number {
    let value = 0;
    let count = 0;
    while (count < max && this.at < this.text.length) {
      const code = this.text.charCodeAt(this.at);
      if (code < 48 || code > 57) break;
      value = value * 10 + (code - 48);
      this.at++;
      count++;
    }
    return count < min ? -1 : value;
  }
  /** Matches one of `names` (lower case), case-insensitively; returns its index or -1. */
  name(names: readonly string[]): number {
    for (let index = 0; index < names.length; index++) {
      const name = names[index] as string;
      if (this.matchesFolded(name)) {
        this.at += name.length;
        return index;
      }
    }
    return -1;
  }
  /** Whether the text at the cursor is `name` (lower-case ASCII letters) in any case. */
  private matchesFolded(name: string): boolean {
    if (this.at + name.length > this.text.length) return false;
    for (let index = 0; index < name.length; index++) {
      // Setting bit 0x20 lower-cases ASCII letters; the names hold letters only.
      if ((this.text.charCodeAt(this.at + index) | 0x20) !== name.charCodeAt(index)) return false;
    }
    return true;
  }
  literal(text: string): boolean {
    if (!this.text.startsWith(text, this.at)) return false;
    this.at += text.length;
    return true;
  }
  /** `Z`, `+hh`, `+hhmm` or `+hh:mm`: the offset in minutes, or undefined. */
  offset(): number | undefined {
    const char = this.text[this.at];
    if (char === 'Z' || char === 'z') {
      this.at++;
      return 0;
    }
    if (char !== '+' && char !== '-') return undefined;
    this.at++;
    const hours = this.digits(2, 2);
    if (hours < 0 || hours > 23) return undefined;
    if (this.text[this.at] === ':') this.at++;
    const minutes = this.at < this.text.length ? this.digits(2, 2) : 0;
    if (minutes < 0 || minutes > 59) return undefined;
    const total = hours * 60 + minutes;
    return char === '-' ? -total : total;
  }
}

function parseTokens(tokens: readonly TimeToken[], text: string): number | undefined {
  if (text.length > 128) return undefined;
  const scan = new Scan(text);
  const fields = initialFields();
  for (const token of tokens) {
    if (!readToken(token, scan, fields)) return undefined;
  }
  if (scan.at !== text.length) return undefined;
  if (fields.epochSeconds !== undefined) return epoch(fields.epochSeconds, 1000);
  return toEpoch(fields);
}

function readToken(token: TimeToken, scan: Scan, fields: Fields): boolean {
  switch (token.kind) {
    case 'literal':
      return scan.literal(token.text);
    case 'year':
      return readDigits(scan, fields, 'year', 4, 4);
    case 'month':
      return readDigits(scan, fields, 'month', 1, 2, 1);
    case 'day':
      return readDigits(scan, fields, 'day', 1, 2, 1);
    case 'spaceDay':
      if (scan.text[scan.at] === ' ') scan.at++;
      return readDigits(scan, fields, 'day', 1, 2, 1);
    case 'hour':
      return readDigits(scan, fields, 'hour', 1, 2);
    case 'minute':
      return readDigits(scan, fields, 'minute', 1, 2);
    case 'second':
      return readDigits(scan, fields, 'second', 1, 2);
    case 'fraction': {
      const start = scan.at;
      const value = scan.digits(1, 9);
      if (value < 0) return false;
      fields.ms = toMillis(value, scan.at - start);
      return true;
    }
    case 'monthName':
      fields.month = scan.name(MONTHS) + 1;
      return fields.month >= 1;
    case 'monthFull':
      fields.month = scan.name(MONTH_NAMES) + 1;
      return fields.month >= 1;
    case 'weekday':
      return scan.name(WEEKDAYS) >= 0;
    case 'weekdayFull':
      return scan.name(WEEKDAY_NAMES) >= 0;
    case 'offset': {
      const offset = scan.offset();
      if (offset === undefined) return false;
      fields.offsetMinutes = offset;
      return true;
    }
    case 'zoneName':
      return scan.name(ZONE_NAMES) >= 0;
    case 'epoch': {
      const value = scan.digits(1, 12);
      if (value < 0) return false;
      fields.epochSeconds = value;
      return true;
    }
  }
}

/** Reads `min`..`max` digits into a calendar field; false when they are missing or the value is below `least`. */
function readDigits(
  scan: Scan,
  fields: Fields,
  field: 'year' | 'month' | 'day' | 'hour' | 'minute' | 'second',
  min: number,
  max: number,
  least = 0,
): boolean {
  fields[field] = scan.digits(min, max);
  return fields[field] >= least;
}

/** Milliseconds of a fraction of `digits` digits (sub-millisecond digits are cut). */
function toMillis(value: number, digits: number): number {
  return digits <= 3 ? value * 10 ** (3 - digits) : Math.floor(value / 10 ** (digits - 3));
}

/** Epoch ms of validated calendar fields, or undefined when a field is out of range. */
function toEpoch(fields: Fields): number | undefined {
  const { year, month, day, hour, minute, second, ms, offsetMinutes } = fields;
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  // Second 60 is a leap second; it is folded into the last second of the minute.
  if (hour > 23 || minute > 59 || second > 60) return undefined;
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, Math.min(second, 59), ms);
  const time = date.getTime() - offsetMinutes * 60_000;
  return Number.isFinite(time) && Math.abs(time) <= MAX_TIME ? time : undefined;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/**
 * RFC 3339 / ISO 8601 extended format: `YYYY-MM-DD`, optionally followed by
 * `T` (or `t` or a space) `HH:MM[:SS[.fraction]]` and `Z` or `±HH[:MM]`.
 * Without an offset the time is UTC.
 */
export function parseIso(text: string): number | undefined {
  if (text.length < 10 || text.length > 64) return undefined;
  const scan = new Scan(text);
  const fields = initialFields();
  fields.year = scan.digits(4, 4);
  if (fields.year < 0 || !scan.literal('-')) return undefined;
  fields.month = scan.digits(2, 2);
  if (!scan.literal('-')) return undefined;
  fields.day = scan.digits(2, 2);
  if (scan.at === text.length) return toEpoch(fields);
  const separator = text[scan.at];
  if (separator !== 'T' && separator !== 't' && separator !== ' ') return undefined;
  scan.at++;
  fields.hour = scan.digits(2, 2);
  if (fields.hour < 0 || !scan.literal(':')) return undefined;
  fields.minute = scan.digits(2, 2);
  if (fields.minute < 0) return undefined;
  if (scan.literal(':')) {
    fields.second = scan.digits(2, 2);
    if (fields.second < 0) return undefined;
    if (scan.literal('.') || scan.literal(',')) {
      const start = scan.at;
      const value = scan.digits(1, 9);
      if (value < 0) return undefined;
      fields.ms = toMillis(value, scan.at - start);
    }
  }
  if (scan.at < text.length) {
    const offset = scan.offset();
    if (offset === undefined || scan.at !== text.length) return undefined;
    fields.offsetMinutes = offset;
  }
  return toEpoch(fields);
}
