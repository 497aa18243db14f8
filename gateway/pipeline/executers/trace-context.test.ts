import { describe, expect, it } from 'vitest';
import { parseTraceParent } from './trace-context.ts';

describe('parseTraceParent', () => {
  it.each([
    {
      header: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      expected: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' },
    },
    {
      header: '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00-future',
      expected: { traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7' },
    },
    { header: undefined, expected: undefined },
    { header: '', expected: undefined },
    { header: 'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01', expected: undefined },
    { header: '00-00000000000000000000000000000000-00f067aa0ba902b7-01', expected: undefined },
    { header: '00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01', expected: undefined },
    { header: '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01', expected: undefined },
    { header: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra', expected: undefined },
    { header: '00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01', expected: undefined },
    {
      header:
        '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01, 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      expected: undefined,
    },
  ])('$header', ({ header, expected }) => {
    expect(parseTraceParent(header)).toEqual(expected);
  });
});
