import { describe, expect, it } from 'vitest';
import { DEFAULT_BENCH_OPTIONS, parseBenchArgs } from './bench-args.ts';

describe('parseBenchArgs', () => {
  it('gives the defaults without flags', () => {
    expect(parseBenchArgs([])).toEqual({ ok: true, help: false, options: DEFAULT_BENCH_OPTIONS });
  });

  it.each([
    { argv: ['--duration', '30'], field: 'durationS', value: 30 },
    { argv: ['--duration=5'], field: 'durationS', value: 5 },
    { argv: ['--connections', '16'], field: 'connections', value: 16 },
    { argv: ['--runs', '3'], field: 'runs', value: 3 },
    { argv: ['--half-duration', '0'], field: 'halfRateS', value: 0 },
    { argv: ['--linger-ms', '0'], field: 'lingerMs', value: 0 },
    { argv: ['--max-messages', '5000'], field: 'maxMessages', value: 5000 },
    { argv: ['--engine', 'platformatic'], field: 'engine', value: 'platformatic' },
    { argv: ['--engine=kafkajs'], field: 'engine', value: 'kafkajs' },
    { argv: ['--workers', '2'], field: 'workers', value: 2 },
    { argv: ['--matrix', 'quick'], field: 'matrix', value: 'quick' },
  ])('reads $argv', ({ argv, field, value }) => {
    const parsed = parseBenchArgs(argv);
    expect(parsed.ok && parsed.options[field as keyof typeof parsed.options]).toBe(value);
  });

  it.each([
    { argv: ['--matrix', 'full'], phases: [2, 8, 5] },
    { argv: ['--matrix', 'full', '--duration', '20', '--half-duration', '0'], phases: [2, 20, 0] },
    { argv: ['--duration', '20'], phases: [3, 20, 15] },
  ])('a matrix shortens the phases not given: $argv', ({ argv, phases }) => {
    const parsed = parseBenchArgs(argv);
    if (!parsed.ok) throw new Error(parsed.message);
    const { warmupS, durationS, halfRateS } = parsed.options;
    expect([warmupS, durationS, halfRateS]).toEqual(phases);
  });

  it('recognises --help', () => {
    expect(parseBenchArgs(['-h'])).toMatchObject({ ok: true, help: true });
  });

  it.each([
    { argv: ['--runs', '0'], message: '--runs must be an integer from 1 to 50, got "0"' },
    { argv: ['--duration', '1.5'], message: '--duration must be an integer from 1 to 3600, got "1.5"' },
    {
      argv: ['--connections', 'many'],
      message: '--connections must be an integer from 1 to 1024, got "many"',
    },
    {
      argv: ['--max-bytes', '10'],
      message: '--max-bytes must be an integer from 1024 to 67108864, got "10"',
    },
    { argv: ['--matrix', 'huge'], message: '--matrix must be one of quick, full, got "huge"' },
    { argv: ['--workers', '0'], message: '--workers must be an integer from 1 to 64, got "0"' },
    {
      argv: ['--engine', 'rdkafka'],
      message: '--engine must be one of kafkajs, platformatic, librdkafka, got "rdkafka"',
    },
  ])('refuses $argv', ({ argv, message }) => {
    expect(parseBenchArgs(argv)).toEqual({ ok: false, message });
  });

  it.each([['--nope'], ['stray']])('refuses unknown input %s', (arg) => {
    expect(parseBenchArgs([arg]).ok).toBe(false);
  });
});
