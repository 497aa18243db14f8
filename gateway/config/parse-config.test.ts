import { describe, expect, it } from 'vitest';
import { contentRevision, parseConfigText } from './parse-config.ts';

const minimal = `
revision: r1
producers:
  main: { type: kafka, brokers: ["k:9092"] }
repos:
  access: { producer: main, topic: logs.access }
`;

/** The minimal config with `fields` added to the producer `main`. */
const withProducer = (fields: string) =>
  minimal.replace('brokers: ["k:9092"]', `brokers: ["k:9092"], ${fields}`);

const issuesOf = (text: string) => {
  const result = parseConfigText(text);
  return result.ok ? [] : result.issues;
};

describe('parseConfigText', () => {
  it('fills every default', () => {
    const result = parseConfigText(minimal);
    if (!result.ok) throw new Error(`minimal config refused: ${JSON.stringify(result.issues)}`);
    expect(result.config.server).toMatchObject({
      port: 8080,
      bodyLimitBytes: 10 * 1024 * 1024,
      requestTimeoutMs: 10_000,
    });
    expect(result.config.producers.main).toMatchObject({
      engine: 'platformatic',
      compression: 'lz4',
      acks: 'all',
      idempotent: false,
      batch: { maxMessages: 1000, maxBytes: 1024 * 1024, lingerMs: 5 },
    });
    expect(result.config.repos.access).toMatchObject({ mode: 'sync' });
  });

  it('parses JSON (the operator renders JSON) exactly like the same YAML', () => {
    const json = JSON.stringify({
      revision: 'r1',
      producers: { main: { type: 'kafka', brokers: ['k:9092'] } },
      repos: { access: { producer: 'main', topic: 'logs.access' } },
    });
    expect(parseConfigText(json)).toEqual(parseConfigText(minimal));
  });

  it('derives a content revision when the file names none', () => {
    const text = minimal.replace('revision: r1\n', '');
    const result = parseConfigText(text);
    expect(result.ok && result.config.revision).toBe(contentRevision(text));
  });

  it.each([
    {
      name: 'an unknown enum value',
      text: withProducer('compression: brotli'),
      issue: {
        path: '/producers/main/compression',
        message: 'expected one of none, gzip, snappy, lz4, zstd (got "brotli")',
      },
    },
    {
      name: 'an unknown field',
      text: minimal.replace('topic: logs.access', 'topic: logs.access, topik: x'),
      issue: { path: '/repos/access/topik', message: expect.stringContaining('unknown field') },
    },
    {
      name: 'a missing required field',
      text: minimal.replace('producer: main, topic: logs.access', 'producer: main'),
      issue: { path: '/repos/access/topic', message: 'required field is missing' },
    },
    {
      name: 'a repo name that is not a DNS label',
      text: minimal.replace('  access:', '  Access_Log:'),
      issue: { path: '/repos/Access_Log', message: expect.stringContaining('invalid name') },
    },
    {
      name: 'an empty broker list',
      text: minimal.replace('brokers: ["k:9092"]', 'brokers: []'),
      issue: { path: '/producers/main/brokers', message: expect.stringContaining('got 0 items') },
    },
    {
      name: 'a broker without a port',
      text: minimal.replace('"k:9092"', '"kafka"'),
      issue: { path: '/producers/main/brokers/0', message: expect.stringContaining('to match') },
    },
    {
      name: 'an unknown producer type',
      text: minimal.replace('type: kafka', 'type: pulsar'),
      issue: { path: '/producers/main/type', message: expect.stringContaining('kafka, stdout, file') },
    },
    {
      name: 'a repo naming an unknown producer',
      text: minimal.replace('producer: main', 'producer: ghost'),
      issue: { path: '/repos/access/producer', message: 'unknown producer "ghost" (known: main)' },
    },
    {
      name: 'an idempotent producer without acks all',
      text: withProducer('idempotent: true, acks: leader'),
      issue: { path: '/producers/main/acks', message: 'an idempotent producer requires acks: all' },
    },
    {
      name: 'an idempotent producer without retries',
      text: withProducer('idempotent: true, retries: 0'),
      issue: {
        path: '/producers/main/retries',
        message: 'an idempotent producer requires retries of at least 1',
      },
    },
    {
      name: 'a file producer without a path',
      text: minimal.replace('type: kafka, brokers: ["k:9092"]', 'type: file'),
      issue: { path: '/producers/main/path', message: 'a file producer needs a path' },
    },
    {
      name: 'a linger above the bound',
      text: withProducer('batch: { lingerMs: 5000 }'),
      issue: { path: '/producers/main/batch/lingerMs', message: expect.stringContaining('1000') },
    },
    {
      name: 'broken YAML',
      text: 'producers: [',
      issue: { path: '/', message: expect.stringContaining('not valid YAML') },
    },
    {
      name: 'a list instead of a mapping',
      text: '- a\n- b\n',
      issue: { path: '/', message: expect.stringContaining('mapping') },
    },
  ])('rejects $name with the path and what was expected', ({ text, issue }) => {
    expect(issuesOf(text)).toContainEqual(issue);
  });

  it('refuses YAML alias bombs', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
      .concat(
        Array.from(
          { length: 12 },
          (_, i) =>
            `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10)
              .fill(`*${String.fromCharCode(97 + i)}`)
              .join(',')}]`,
        ),
      )
      .join('\n');
    expect(parseConfigText(bomb).ok).toBe(false);
    // Refused as a bomb, not merely as a config without producers and repos.
    expect(issuesOf(bomb)).toEqual([
      { path: '/', message: expect.stringMatching(/not valid YAML: .*alias/) },
    ]);
  });
});
