import { describe, expect, it } from 'vitest';
import { parsePodReport } from './pod-report.ts';

describe('parsePodReport', () => {
  it('reads the revision, each repo digest and the last refused reload', () => {
    const parsed = parsePodReport({
      pid: 7,
      revision: 'sha256-aaaa',
      draining: false,
      repos: [
        { name: 'access', digest: '0123456789abcdef' },
        { name: 'old', digest: null },
        { name: 'older' },
      ],
      reload: {
        lastResult: 'invalid',
        rejected: {
          revision: 'sha256-bbbb',
          at: '2026-12-03T10:00:00.000Z',
          result: 'invalid',
          message: '/repos/a: nope',
        },
      },
    });
    expect(parsed).toEqual({
      ok: true,
      report: {
        revision: 'sha256-aaaa',
        draining: false,
        repos: new Map([
          ['access', '0123456789abcdef'],
          ['old', null],
          ['older', null],
        ]),
        rejected: { revision: 'sha256-bbbb', at: '2026-12-03T10:00:00.000Z', message: '/repos/a: nope' },
      },
    });
  });

  it.each([
    ['null', null],
    ['an array', []],
    ['no repos', { revision: 'r' }],
    ['repos not a list', { repos: {} }],
  ])('refuses %s', (_name, body) => {
    expect(parsePodReport(body)).toMatchObject({ ok: false });
  });

  it('bounds a long refusal message', () => {
    const parsed = parsePodReport({ repos: [], reload: { rejected: { message: 'x'.repeat(5000) } } });
    expect(parsed.ok && parsed.report.rejected?.message.length).toBe(512);
  });
});
