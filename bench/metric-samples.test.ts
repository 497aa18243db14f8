import { describe, expect, it } from 'vitest';
import { sumSamples } from './metric-samples.ts';

const EXPOSITION = [
  '# HELP sluice_batch_messages Messages per batch sent to the producer engine.',
  '# TYPE sluice_batch_messages histogram',
  'sluice_batch_messages_bucket{le="1",producer="kafka"} 0',
  'sluice_batch_messages_sum{producer="kafka"} 12000',
  'sluice_batch_messages_count{producer="kafka"} 10',
  'sluice_batch_messages_sum{producer="other"} 500',
  'sluice_batch_messages_count{producer="other"} 5',
  'sluice_batch_messages_count_extra 99',
  'sluice_process_nodejs_heap_size_total_bytes 41648128',
  '',
].join('\n');

describe('sumSamples', () => {
  it.each([
    { name: 'sluice_batch_messages_sum', expected: 12_500 },
    { name: 'sluice_batch_messages_count', expected: 15 },
    { name: 'sluice_process_nodejs_heap_size_total_bytes', expected: 41_648_128 },
    { name: 'sluice_missing', expected: 0 },
  ])('sums every series of $name', ({ name, expected }) => {
    expect(sumSamples(EXPOSITION, name)).toBe(expected);
  });
});
