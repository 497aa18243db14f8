import { describe, expect, it } from 'vitest';
import { compileSafeRegex, MAX_PATTERN_LENGTH } from './safe-regex.ts';

describe('compileSafeRegex', () => {
  it.each([
    { pattern: '(a)\\1', reason: 'backreference' },
    { pattern: 'a(?=b)', reason: 'lookahead' },
    { pattern: '(?<=a)b', reason: 'lookbehind' },
    { pattern: '[', reason: 'syntax' },
    { pattern: 'a{1001}', reason: 'repeat count' },
    { pattern: '((a{100}){100}){100}', reason: 'repeat nesting' },
    { pattern: 'a'.repeat(MAX_PATTERN_LENGTH + 1), reason: 'length' },
    { pattern: '[a-z]{1000}[0-9]{1000}', reason: 'program size' },
  ])('refuses a pattern with a $reason problem', ({ pattern }) => {
    expect(compileSafeRegex(pattern)).toMatchObject({ ok: false, message: expect.any(String) });
  });

  it.each([
    { pattern: '^(a+)+$', text: `${'a'.repeat(50_000)}!` },
    { pattern: '(a|a)*b', text: 'a'.repeat(50_000) },
    { pattern: '(.*a){12}', text: 'a'.repeat(50_000) },
    { pattern: '\\s*\\s*\\s*x', text: ' '.repeat(50_000) },
  ])('matches the classic catastrophic pattern $pattern in linear time', ({ pattern, text }) => {
    const result = compileSafeRegex(pattern);
    if (!result.ok) throw new Error(result.message);
    const started = performance.now();
    result.regex.test(text);
    result.regex.replaceAll(text, '#');
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it('replaces with group references and leaves text without matches as it is', () => {
    const result = compileSafeRegex('([0-9]{4})-([0-9]{4})');
    if (!result.ok) throw new Error(result.message);
    expect(result.regex.replaceAll('card 1234-5678', '****-$2')).toBe('card ****-5678');
    const text = 'no digits here';
    expect(result.regex.replaceAll(text, '#')).toBe(text);
  });
});
