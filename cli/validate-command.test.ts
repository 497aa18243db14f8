import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkDocuments } from './read-resources.ts';
import { captureIo } from './test-io.ts';
import { runValidateCommand } from './validate-command.ts';

const QUICKSTART = [
  'examples/quickstart/kafka-producer.yaml',
  'examples/quickstart/log-repo-access.yaml',
  'examples/quickstart/log-repo-errors.yaml',
];

const producer = (name: string, namespace: string, extra = '') => `apiVersion: sluice.dev/v1alpha1
kind: KafkaProducer
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  brokers: ["kafka:9092"]
${extra}`;
const repo = (
  name: string,
  namespace: string,
  producerName: string,
  extra = '',
) => `apiVersion: sluice.dev/v1alpha1
kind: LogRepo
metadata: { name: ${name}, namespace: ${namespace} }
spec:
  kafka: { producer: ${producerName}, topic: t.${name} }
${extra}`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-validate-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const file = async (name: string, text: string) => {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
};
const validate = async (...argv: string[]) => {
  const io = captureIo();
  const code = await runValidateCommand(argv, io);
  return { code, out: io.out(), err: io.err() };
};

describe('sluice validate', () => {
  it('accepts the quickstart manifests', async () => {
    expect(await validate(...QUICKSTART)).toEqual({ code: 0, out: '', err: '' });
  });

  it('accepts a LogRepo whose KafkaProducer is not among the files (it may be in the cluster)', async () => {
    const path = await file('orphan.yaml', repo('orphan', 'logs', 'elsewhere'));
    expect(await validate(path)).toEqual({ code: 0, out: '', err: '' });
  });

  it.each([
    [
      'a bad enum',
      producer('main', 'logs', '  compression: brotli\n'),
      '1: /spec/compression: expected one of none, gzip, snappy, lz4, zstd (got "brotli")',
    ],
    [
      'a regex RE2 cannot run in linear time (InvalidPipeline)',
      `${producer('p', 'logs')}---\n${repo('greedy', 'logs', 'p', '  constraint: { field: msg, regex: "(a)\\\\1" }\n')}`,
      '2: /spec: InvalidPipeline: /constraint/regex: invalid RE2 pattern: error parsing regexp: invalid escape sequence: `\\1`',
    ],
    [
      'an unknown kind',
      'apiVersion: v1\nkind: ConfigMap\nmetadata: { name: x }\n',
      '1: /apiVersion: expected sluice.dev/v1alpha1 (got "v1")\n{file}:1: /kind: expected one of LogRepo, KafkaProducer (got "ConfigMap")',
    ],
    [
      'a missing name',
      'apiVersion: sluice.dev/v1alpha1\nkind: LogRepo\nspec: { kafka: { producer: p, topic: t } }\n',
      '1: /metadata/name: required',
    ],
    [
      'a duplicate',
      `${producer('p', 'logs')}---\n${producer('p', 'logs')}`,
      '2: /metadata/name: KafkaProducer logs/p is also defined at {file}:1',
    ],
    ['broken YAML', 'kind: [LogRepo\n', '1: /: invalid YAML: '],
  ])('reports %s as file:doc: path: message, exit 1', async (_name, text, expected) => {
    const path = await file('bad.yaml', text);
    const result = await validate(path);
    expect(result.code).toBe(1);
    expect(result.err).toBe('');
    const wanted = `${path}:${expected.replaceAll('{file}', path)}`;
    if (wanted.endsWith(': ')) expect(result.out.startsWith(wanted)).toBe(true);
    else expect(result.out).toBe(`${wanted}\n`);
  });

  it('checks a canary override with the gateway validation too', async () => {
    const canary = '  canary:\n    weight: 10\n    constraint: { field: msg, regex: "(?=x)" }\n';
    const path = await file('canary.yaml', `${producer('p', 'logs')}---\n${repo('c', 'logs', 'p', canary)}`);
    const result = await validate(path);
    expect(result.code).toBe(1);
    expect(result.out).toMatch(
      new RegExp(`^${path}:2: /spec/canary: InvalidPipeline \\(canary track\\): /constraint/regex: `),
    );
  });

  it.each([
    [[], 'no files given'],
    [['--bogus'], "Unknown option '--bogus'"],
  ])('exits 2 on a usage error %j', async (argv, message) => {
    const result = await validate(...argv);
    expect(result.code).toBe(2);
    expect(result.err).toContain(message);
    expect(result.err).toContain('usage: sluice validate FILE...');
  });

  it('exits 2 on an unreadable file', async () => {
    const path = join(dir, 'missing.yaml');
    expect(await validate(path)).toEqual({ code: 2, out: '', err: `${path}: cannot read (ENOENT)\n` });
  });

  it('prints help on --help, exit 0', async () => {
    const result = await validate('--help');
    expect(result.code).toBe(0);
    expect(result.out).toContain('usage: sluice validate FILE...');
  });
});

describe('checkDocuments', () => {
  it('skips empty documents and fills CRD defaults', () => {
    const read = checkDocuments('f', `---\n---\n${producer('p', 'ns')}---\n`);
    expect(read.issues).toEqual([]);
    expect(read.producers).toHaveLength(1);
    expect(read.producers[0]?.spec.compression).toBe('lz4');
    expect(read.producers[0]?.doc).toBe(2);
  });

  it('puts documents without a namespace in default', () => {
    const read = checkDocuments(
      'f',
      'apiVersion: sluice.dev/v1alpha1\nkind: KafkaProducer\nmetadata: { name: p }\nspec: { brokers: [k:9092] }\n',
    );
    expect(read.producers[0]?.namespace).toBe('default');
  });
});
