import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { issuesOf, pipelineOf, testContext } from '../../test/support/pipeline-kit.ts';
import type { LineContext } from './line-outcome.ts';
import { traceHeaders } from './record-headers.ts';

const TRACEPARENT = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
const contextWith = (headers: LineContext['headers']): LineContext => ({ ...testContext, headers });
const headersOf = (fields: Record<string, unknown>, line: string, context: LineContext = testContext) => {
  const outcome = pipelineOf(fields)(Buffer.from(line), context);
  if (outcome.kind !== 'accepted') throw new Error(`not accepted: ${JSON.stringify(outcome)}`);
  return outcome.headers;
};

describe('traceHeaders', () => {
  it.each([
    { headers: { traceparent: TRACEPARENT }, expected: { traceparent: TRACEPARENT } },
    {
      headers: { traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' },
      expected: { traceparent: TRACEPARENT, tracestate: 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7' },
    },
    {
      headers: { traceparent: TRACEPARENT, tracestate: ['a=1', 'b=2'] },
      expected: { traceparent: TRACEPARENT, tracestate: 'a=1,b=2' },
    },
    {
      headers: { traceparent: TRACEPARENT, tracestate: 'x'.repeat(513) },
      expected: { traceparent: TRACEPARENT },
    },
    { headers: { traceparent: TRACEPARENT, tracestate: '' }, expected: { traceparent: TRACEPARENT } },
    { headers: { tracestate: 'a=1' }, expected: undefined },
    { headers: { traceparent: 'not-a-traceparent', tracestate: 'a=1' }, expected: undefined },
    { headers: { traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` }, expected: undefined },
    { headers: { traceparent: [TRACEPARENT, TRACEPARENT] }, expected: undefined },
    { headers: {}, expected: undefined },
  ])('$headers → $expected', ({ headers, expected }) => {
    expect(traceHeaders(contextWith(headers))).toEqual(expected);
  });
});

describe('repo headers on accepted records', () => {
  it('adds nothing without headers config (no headers property at all)', () => {
    const outcome = pipelineOf({})(Buffer.from('{"a":1}'), testContext);
    expect(outcome).toEqual({
      kind: 'accepted',
      topic: 'logs.access',
      key: null,
      value: Buffer.from('{"a":1}'),
    });
  });

  it('carries the trace context when opted in, and not otherwise', () => {
    expect(headersOf({ headers: { traceContext: true } }, '{"a":1}')).toEqual({ traceparent: TRACEPARENT });
    expect(headersOf({ headers: { traceContext: false } }, '{"a":1}')).toBeUndefined();
    expect(headersOf({ headers: { traceContext: true } }, '{"a":1}', contextWith({}))).toBeUndefined();
  });

  it('shares one headers object among the records of a request', () => {
    const pipeline = pipelineOf({ headers: { traceContext: true } });
    const first = pipeline(Buffer.from('{"a":1}'), testContext);
    const second = pipeline(Buffer.from('{"a":2}'), testContext);
    expect(first.kind === 'accepted' && second.kind === 'accepted' && first.headers === second.headers).toBe(
      true,
    );
  });

  it.each([
    { line: '{"tenant":"acme","edge":{"pop":"fra1"}}', expected: { 'x-tenant': 'acme', pop: 'fra1' } },
    { line: '{"tenant":42,"edge":{"pop":true}}', expected: { 'x-tenant': '42', pop: 'true' } },
    { line: '{"tenant":{"id":1},"edge":null}', expected: undefined },
    { line: '{"other":1}', expected: undefined },
    { line: '{"tenant":"acme"}', expected: { 'x-tenant': 'acme' } },
  ])('copies fields: $line → $expected', ({ line, expected }) => {
    const fields = { headers: { fromFields: { 'x-tenant': 'tenant', pop: 'edge.pop' } } };
    expect(headersOf(fields, line)).toEqual(expected);
  });

  it('reads fields after the executers and keeps them in the record; passes the line through unchanged', () => {
    const outcome = pipelineOf({
      headers: { traceContext: true, fromFields: { region: 'meta.region' } },
      executers: [{ type: 'set', field: 'meta.region', value: 'eu' }],
    })(Buffer.from('{"a":1}'), testContext);
    expect(outcome).toMatchObject({ kind: 'accepted', headers: { traceparent: TRACEPARENT, region: 'eu' } });
    if (outcome.kind === 'accepted')
      expect(JSON.parse(outcome.value.toString())).toEqual({ a: 1, meta: { region: 'eu' } });
    const passed = pipelineOf({ headers: { fromFields: { h: 'a' } } })(
      Buffer.from('{ "a" : 1 }'),
      testContext,
    );
    expect(passed).toMatchObject({
      kind: 'accepted',
      value: Buffer.from('{ "a" : 1 }'),
      headers: { h: '1' },
    });
  });

  it.each([
    {
      headers: { traceContext: true, fromFields: { traceparent: 'a' } },
      path: '/repos/access/headers/fromFields/traceparent',
    },
    { headers: { fromFields: { h: '__proto__.x' } }, path: '/repos/access/headers/fromFields/h' },
    { headers: { fromFields: { 'bad name': 'a' } }, path: '/repos/access/headers/fromFields/bad name' },
    { headers: { traces: true }, path: '/repos/access/headers/traces' },
  ])('refuses $headers at $path', ({ headers, path }) => {
    expect(issuesOf({ headers }).map((issue) => issue.path)).toContain(path);
  });

  it('never throws, whatever the record and headers', () => {
    const pipeline = pipelineOf({ headers: { traceContext: true, fromFields: { h: 'a.b', k: 'c' } } });
    fc.assert(
      fc.property(fc.jsonValue(), fc.string(), fc.option(fc.string()), (record, traceparent, tracestate) => {
        const headers: Record<string, string> = { traceparent };
        if (tracestate !== null) headers.tracestate = tracestate;
        const outcome = pipeline(
          Buffer.from(JSON.stringify({ a: { b: record }, c: record })),
          contextWith(headers),
        );
        if (outcome.kind === 'accepted' && outcome.headers !== undefined) {
          for (const value of Object.values(outcome.headers)) expect(typeof value).toBe('string');
        }
      }),
    );
  });
});
