import { describe, expect, it } from 'vitest';
import { fullDecodePipelineOf, pipelineOf, repoOf, testContext } from '../../test/support/pipeline-kit.ts';
import { readOnlyRepos } from '../../test/support/read-only-repos.ts';
import { compileRepo } from './compile-pipeline.ts';
import { decodeJsonObject } from './decode-line.ts';
import type { LineOutcome } from './line-outcome.ts';

// A pipeline that changes no record forwards each accepted line's original bytes; when it
// reads no field either, it decodes with the read-only decoder (a grammar check that builds
// nothing). Whatever it decodes with, every line must end as it does with the whole-object
// decoder: the same outcome, reason, topic, key and headers, and as the value the very
// bytes the client sent (which the general path forwards for such pipelines too: nothing
// differs). Repos that read fields are in the table as well, to hold that they still agree.

const ok = '{"status":200,"host":"a.example","path":"/","service":"a","edge":{"pop":"fra1","ids":[0,2]}}';
const lineCorpus: Array<[string, Buffer]> = [
  ['a typical line', ok],
  ['a 5xx line', '{"status":503,"host":"b.example","path":"/x","ua":"curl/8"}'],
  ['a health check', '{"status":200,"path":"/healthz/live"}'],
  ['no fields read', '{"other":true}'],
  ['an empty object', '{}'],
  ['invalid JSON', '{"status":200,'],
  ['not JSON at all', 'GET / HTTP/1.1'],
  ['a JSON array', '[{"status":200}]'],
  ['a JSON string', '"status"'],
  ['a number', '12345678901234567890'],
  ['null', 'null'],
  ['a BOM before the object', '\ufeff{"status":200}'],
  ['a CR inside (CRLF ends are cut by the splitter)', '{"status":200,\r"host":"h"}\r'],
  ['unicode keys and values', '{"status":200,"host":"ünïcödé.example","path":"/😀","é":"\u2028"}'],
  ['escaped field names', '{"st\\u0061tus":503,"h\\u006fst":"esc.example","\\u0073ervice":"constructor"}'],
  ['a huge number', '{"status":12345678901234567890,"host":12345678901234567890}'],
  ['a number of many digits as a key', '{"host":1.0000000000000000001e2,"status":-0}'],
  ['duplicate keys (the last wins)', '{"status":200,"host":"first","status":"dup","host":"last"}'],
  ['a __proto__ key', '{"__proto__":{"status":500,"polluted":1},"host":"p.example"}'],
  ['prototype-named members', '{"toString":"own","constructor":{"prototype":1},"status":1}'],
  ['nested values read by path', '{"edge":{"pop":"ams2","ids":[1,1]},"status":"600"}'],
  ['a deep value', `{"status":1,"edge":${'{"pop":'.repeat(5000)}1${'}'.repeat(5000)}}`],
  ['whitespace everywhere', ' { "status" : 500 , "host" :\t"w" } '],
  ['non-breaking space as a blank', '{"status":\u00a0200}'],
  ['a raw control character in a string', '{"host":"a\u0001b"}'],
  ['a lone surrogate escape', '{"host":"\\ud800","status":200}'],
].map(([name, text]) => [name as string, Buffer.from(text as string)]);

/** Invalid UTF-8 lines (checked per line when the body was not checked whole). */
const invalidUtf8: Array<[string, Buffer]> = [
  ['an overlong slash', Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xc0, 0xaf, 0x22, 0x7d])],
  ['a stray 0xff', Buffer.from([0x7b, 0xff, 0x7d])],
];

function run(fields: Record<string, unknown>, lines: readonly Buffer[], full: boolean): LineOutcome[] {
  const pipeline = full ? fullDecodePipelineOf(fields) : pipelineOf(fields);
  return lines.map((line) => pipeline(line, testContext));
}

describe.each(readOnlyRepos)('a read-only repo (%s)', (_name, fields) => {
  it.each([...lineCorpus, ...invalidUtf8])('%s: ends as with the whole-object decoder', (_line, line) => {
    // Each line after the whole corpus, so samplers and routes see the same history.
    const lines = [...lineCorpus.map(([, each]) => each), line];
    const fast = run(fields, lines, false);
    expect(fast).toEqual(run(fields, lines, true));
    const last = fast.at(-1) as LineOutcome;
    if (last.kind === 'accepted') expect(last.value.equals(line)).toBe(true);
  });

  it('with the body checked as UTF-8 once, agrees line by line', () => {
    const fast = pipelineOf(fields);
    const full = fullDecodePipelineOf(fields);
    for (const [, line] of lineCorpus)
      expect(fast(line, testContext, true)).toEqual(full(line, testContext, true));
  });
});

describe('which repos decode read-only', () => {
  const decoderOf = (fields: Record<string, unknown>) => {
    const compiled = compileRepo(repoOf(fields), { name: 'access', revision: 'r1' });
    if (!compiled.ok) throw new Error('does not compile');
    return compiled.decode;
  };

  it.each([
    ['pass-through', {}, true],
    ['a sampler', { executers: [{ type: 'sample', percent: 10 }] }, true],
    ['trace-context headers only', { headers: { traceContext: true } }, true],
    ['a key', { key: 'host' }, false],
    ['a constraint', { constraint: { field: 'status', exists: true } }, false],
    [
      'a route by rules',
      { executers: [{ type: 'route', rules: [{ when: { field: 's', gte: 1 }, topic: 't' }] }] },
      false,
    ],
    ['a header from a field', { headers: { fromFields: { 'x-h': 'host' } } }, false],
    ['a record-changing executer', { executers: [{ type: 'remove', fields: ['referer'] }] }, false],
  ])('%s: scans without building the record: %s', (_name, fields, scans) => {
    expect(decoderOf(fields) !== decodeJsonObject).toBe(scans);
  });

  it('a record-changing executer still re-serializes the whole record', () => {
    const fields = { executers: [{ type: 'remove', fields: ['referer'] }] };
    const line = Buffer.from('{ "status" : 200, "referer":"-" }');
    const outcome = pipelineOf(fields)(line, testContext);
    expect(outcome).toEqual(fullDecodePipelineOf(fields)(line, testContext));
    expect(outcome.kind === 'accepted' && outcome.value.toString()).toBe('{"status":200}');
  });
});
