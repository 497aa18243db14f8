import { describe, expect, it } from 'vitest';
import { RepoSchema } from '../../kernel/config-schema.ts';
import { parseConfigText, validateConfig } from '../config/parse-config.ts';

// The pipeline vocabulary as part of the gateway config: defaults, schema
// errors with paths and expected values, and the compile-time checks.

const config = (repo: Record<string, unknown>) => ({
  revision: 'test',
  producers: { main: { type: 'stdout' } },
  repos: { access: { producer: 'main', topic: 'logs.access', ...repo } },
});

describe('pipeline config', () => {
  it('fills defaults inside executers, the decoder and the constraint', () => {
    const result = validateConfig(
      config({
        constraint: { field: 'a', exists: true },
        executers: [
          { type: 'timestamp', field: 'ts' },
          { type: 'mask', keys: ['password'] },
          { type: 'drop-if', when: { field: 'a', equals: 'x' } },
          { type: 'assigner', field: 'p', names: ['a'] },
        ],
      }),
    );
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    const repo = result.config.repos.access;
    expect(repo?.decoder).toEqual({ type: 'json' });
    expect(repo?.onExecuterError).toBe('drop');
    expect(repo?.constraint).toEqual({ field: 'a', exists: true, reason: 'constraint' });
    expect(repo?.executers).toEqual([
      { type: 'timestamp', field: 'ts', format: 'iso8601', output: 'iso' },
      { type: 'mask', keys: ['password'], replacement: '***' },
      { type: 'drop-if', when: { field: 'a', equals: 'x' }, reason: 'drop_if' },
      { type: 'assigner', field: 'p', names: ['a'], keepSource: false },
    ]);
  });

  it.each([
    {
      repo: { executers: [{ type: 'explode' }] },
      path: '/repos/access/executers/0/type',
      message: /expected type to be one of splitter, assigner, .*drop-if/,
    },
    {
      repo: { executers: [{ type: 'splitter', field: 'a' }] },
      path: '/repos/access/executers/0/separator',
      message: /required/,
    },
    {
      repo: { executers: [{ type: 'splitter', field: 'a', separator: ' ', extra: 1 }] },
      path: '/repos/access/executers/0/extra',
      message: /unknown field/,
    },
    {
      repo: { executers: [{ type: 'convert', fields: { a: 'decimal' } }] },
      path: '/repos/access/executers/0/fields/a',
      message: /expected one of int, float, bool, string/,
    },
    { repo: { onExecuterError: 'retry' }, path: '/repos/access/onExecuterError', message: /drop, pass/ },
    {
      repo: { executers: Array.from({ length: 65 }, () => ({ type: 'sample', percent: 50 })) },
      path: '/repos/access/executers',
      message: /less or equal to 64 \(got 65 items\)/,
    },
    {
      repo: { constraint: { all: [] } },
      path: '/repos/access/constraint/all',
      message: /greater or equal to 1/,
    },
    {
      repo: { deadLetter: { topic: 'bad topic' } },
      path: '/repos/access/deadLetter/topic',
      message: /to match/,
    },
    { repo: { decoder: 'json' }, path: '/repos/access/decoder/type', message: /json, raw/ },
    {
      repo: { constraint: { field: 'a', equals: 404 } },
      path: '/repos/access/constraint/equals',
      message: /string/,
    },
    {
      repo: { constraint: { field: 'a', regex: '(?=x)' } },
      path: '/repos/access/constraint/regex',
      message: /RE2/,
    },
    {
      repo: { executers: [{ type: 'sample', percent: 101 }] },
      path: '/repos/access/executers/0/percent',
      message: /100/,
    },
    {
      repo: { executers: [{ type: 'drop-if', when: { field: 'a', exists: true }, reason: 'x'.repeat(41) }] },
      path: '/repos/access/executers/0/reason',
      message: /40/,
    },
    {
      repo: { executers: [{ type: 'remove', fields: ['a.__proto__'] }] },
      path: '/repos/access/executers/0/fields/0',
      message: /__proto__/,
    },
  ])('refuses $repo at $path', ({ repo, path, message }) => {
    const result = validateConfig(config(repo));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues).toContainEqual({ path, message: expect.stringMatching(message) });
  });

  it('reads the whole vocabulary from YAML', () => {
    const result = parseConfigText(`
revision: r1
producers: { main: { type: stdout } }
repos:
  access:
    producer: main
    topic: logs.access
    constraint:
      all:
        - { field: status, exists: true }
        - not: { field: host, in: [localhost] }
    executers:
      - { type: splitter, field: request, separator: " ", limit: 3 }
      - { type: assigner, field: request, names: [method, path, protocol] }
      - { type: drop-if, when: { field: path, equals: /healthz }, reason: health_check }
      - type: route
        rules:
          - when: { field: status, gte: 500 }
            topic: logs.errors
    onExecuterError: pass
    deadLetter: { topic: logs.dead }
`);
    expect(result.ok).toBe(true);
  });
});

describe('pipeline schema', () => {
  it('describes every field, for kubectl explain', () => {
    const missing: string[] = [];
    const visit = (schema: Record<string, unknown>, path: string, depth: number): void => {
      if (depth > 12) return;
      const properties = schema.properties as Record<string, Record<string, unknown>> | undefined;
      for (const [name, property] of Object.entries(properties ?? {})) {
        if (typeof property.description !== 'string' || property.description === '')
          missing.push(`${path}/${name}`);
        visit(property, `${path}/${name}`, depth + 1);
      }
      for (const variant of (schema.anyOf as Record<string, unknown>[] | undefined) ?? [])
        visit(variant, path, depth + 1);
      const items = schema.items as Record<string, unknown> | undefined;
      if (items) visit(items, `${path}/*`, depth + 1);
      const pattern = schema.patternProperties as Record<string, Record<string, unknown>> | undefined;
      for (const value of Object.values(pattern ?? {})) visit(value, `${path}/*`, depth + 1);
    };
    const repo = RepoSchema.properties;
    for (const name of ['decoder', 'constraint', 'executers', 'onExecuterError', 'deadLetter'] as const) {
      const schema = repo[name] as unknown as Record<string, unknown>;
      if (typeof schema.description !== 'string') missing.push(`/${name}`);
      visit(schema, `/${name}`, 0);
    }
    expect(missing).toEqual([]);
  });
});
