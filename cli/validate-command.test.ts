import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../test/support/capture-io.ts';
import { checkDocuments } from './read-resources.ts';
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
      'an unknown kind of the sluice.dev group',
      'apiVersion: sluice.dev/v1alpha1\nkind: LogStream\nmetadata: { name: x }\n',
      '1: /kind: expected one of LogRepo, KafkaProducer, GatewayFleet (got "LogStream")',
    ],
    [
      'a LogRepo of another API version',
      'apiVersion: sluice.dev/v1\nkind: LogRepo\nmetadata: { name: x }\nspec: { kafka: { producer: p, topic: t } }\n',
      '1: /apiVersion: expected sluice.dev/v1alpha1 (got "sluice.dev/v1")',
    ],
    [
      'a CEL rule: dead-letter topic equal to the topic',
      repo('dl', 'logs', 'p', '  deadLetter: { topic: t.dl }\n'),
      '1: /spec: deadLetter.topic must differ from kafka.topic',
    ],
    [
      'a CEL rule: idempotent without acks all',
      producer('p', 'logs', '  idempotent: true\n  acks: leader\n'),
      '1: /spec: idempotent requires acks: all\n{file}:1: /spec: InvalidSpec: /acks: an idempotent producer requires acks: all',
    ],
    [
      'a CEL rule: idempotent without retries',
      producer('p', 'logs', '  idempotent: true\n  retries: 0\n'),
      '1: /spec: idempotent requires retries of at least 1\n{file}:1: /spec: InvalidSpec: /retries: an idempotent producer requires retries of at least 1',
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
    [
      'a GatewayFleet CEL rule: replicas with autoscaling',
      'apiVersion: sluice.dev/v1alpha1\nkind: GatewayFleet\nmetadata: { name: f }\nspec:\n  stable: { replicas: 2, autoscaling: { minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 70 } }\n',
      '1: /spec/stable: replicas and autoscaling exclude each other: with autoscaling the autoscaler sets the replicas',
    ],
    [
      'a GatewayFleet schema error: a rollout without steps',
      'apiVersion: sluice.dev/v1alpha1\nkind: GatewayFleet\nmetadata: { name: f }\nspec: { imageRollout: { steps: [] } }\n',
      '1: /spec/imageRollout/steps: ',
    ],
    [
      'a duplicate GatewayFleet',
      'apiVersion: sluice.dev/v1alpha1\nkind: GatewayFleet\nmetadata: { name: f, namespace: logs }\nspec: {}\n---\napiVersion: sluice.dev/v1alpha1\nkind: GatewayFleet\nmetadata: { name: f, namespace: logs }\nspec: {}\n',
      '2: /metadata/name: GatewayFleet logs/f is also defined at {file}:1',
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
    expect(result.err).toContain('usage: sluice validate [-f] FILE|DIR|-');
  });

  it('exits 2 on an unreadable file', async () => {
    const path = join(dir, 'missing.yaml');
    expect(await validate(path)).toEqual({ code: 2, out: '', err: `${path}: cannot read (ENOENT)\n` });
  });

  it('prints help on --help, exit 0', async () => {
    const result = await validate('--help');
    expect(result.code).toBe(0);
    expect(result.out).toContain('usage: sluice validate [-f] FILE|DIR|-');
  });
});

describe('sluice validate: sources, skipped kinds and layers', () => {
  it('reads a directory recursively (*.yaml, *.yml, *.json), skipping other files', async () => {
    const tree = await mkdtemp(join(dir, 'tree-'));
    await mkdir(join(tree, 'nested', 'deeper'), { recursive: true });
    await writeFile(join(tree, 'a.yaml'), producer('p', 'logs'));
    await writeFile(join(tree, 'nested', 'b.yml'), repo('b', 'logs', 'p', '  deadLetter: { topic: t.b }\n'));
    await writeFile(
      join(tree, 'nested', 'deeper', 'c.json'),
      JSON.stringify({
        apiVersion: 'sluice.dev/v1alpha1',
        kind: 'KafkaProducer',
        metadata: { name: 'q', namespace: 'logs' },
        spec: { brokers: ['k:9092'], compression: 'brotli' },
      }),
    );
    await writeFile(join(tree, 'nested', 'notes.txt'), 'kind: [broken\n');
    const result = await validate(tree);
    expect(result.code).toBe(1);
    expect(result.out).toBe(
      `${join(tree, 'nested', 'b.yml')}:1: /spec: deadLetter.topic must differ from kafka.topic\n` +
        `${join(tree, 'nested', 'deeper', 'c.json')}:1: /spec/compression: expected one of none, gzip, snappy, lz4, zstd (got "brotli")\n`,
    );
  });

  it.each([[['-']], [['-f', '-']], [['--filename', '-']]])('reads standard input for %j', async (argv) => {
    const io = captureIo(producer('p', 'logs', '  compression: brotli\n'));
    const code = await runValidateCommand(argv, io);
    expect(code).toBe(1);
    expect(io.out()).toBe(
      '<stdin>:1: /spec/compression: expected one of none, gzip, snappy, lz4, zstd (got "brotli")\n',
    );
  });

  it('takes -f as often as given, with positionals after', async () => {
    const a = await file('f-a.yaml', producer('p', 'logs'));
    const b = await file('f-b.yaml', repo('r', 'logs', 'p'));
    expect(await validate('-f', a, '-f', b)).toEqual({ code: 0, out: '', err: '' });
  });

  it('skips objects that are not Sluice kinds, and non-objects, with a note on stderr; exit 0', async () => {
    const path = await file(
      'mixed.yaml',
      `apiVersion: v1\nkind: Secret\nmetadata: { name: s }\n---\n${producer('p', 'logs')}---\n` +
        'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n---\nserver: { port: 8080 }\n',
    );
    const result = await validate(path);
    expect(result).toEqual({
      code: 0,
      out: '',
      err:
        `${path}:1: /: skipped: Secret (v1) is not a Sluice kind\n` +
        `${path}:3: /: skipped: Kustomization (kustomize.config.k8s.io/v1beta1) is not a Sluice kind\n` +
        `${path}:4: /: skipped: not a Kubernetes object (no apiVersion, no kind)\n`,
    });
  });

  it('checks the items of a v1 List', async () => {
    const list = {
      apiVersion: 'v1',
      kind: 'List',
      items: [
        { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' } },
        {
          apiVersion: 'sluice.dev/v1alpha1',
          kind: 'KafkaProducer',
          metadata: { name: 'p' },
          spec: { brokers: ['k:9092'], acks: 'none', idempotent: true },
        },
      ],
    };
    const path = await file('list.json', JSON.stringify(list));
    const result = await validate(path);
    expect(result.code).toBe(1);
    expect(result.out).toBe(
      `${path}:1: /items/1/spec: idempotent requires acks: all\n` +
        `${path}:1: /items/1/spec: InvalidSpec: /acks: an idempotent producer requires acks: all\n`,
    );
    expect(result.err).toBe(`${path}:1: /items/0: skipped: ConfigMap (v1) is not a Sluice kind\n`);
  });

  it('reports every problem of every layer in one run: schema, CEL and the gateway checks', async () => {
    const path = await file(
      'layers.yaml',
      `${producer('p', 'logs', '  compression: brotli\n  idempotent: true\n  acks: leader\n')}---\n` +
        repo(
          'r',
          'logs',
          'p',
          '  deadLetter: { topic: t.r }\n  constraint: { field: msg, regex: "(a)\\\\1" }\n  executers: [{ type: splitter, separator: " " }]\n',
        ) +
        `---\n${producer('ok', 'logs')}---\n${repo('s', 'logs', 'ok', '  deadLetter: { topic: t.s }\n  constraint: { field: msg, regex: "(a)\\\\1" }\n')}`,
    );
    const result = await validate(path);
    expect(result.code).toBe(1);
    expect(result.out.split('\n').filter(Boolean)).toEqual([
      `${path}:1: /spec/compression: expected one of none, gzip, snappy, lz4, zstd (got "brotli")`,
      `${path}:1: /spec: idempotent requires acks: all`,
      `${path}:2: /spec/executers/0/field: required field is missing`,
      `${path}:2: /spec: deadLetter.topic must differ from kafka.topic`,
      `${path}:2: /spec/executers/0: type splitter requires field`,
      `${path}:4: /spec: deadLetter.topic must differ from kafka.topic`,
      expect.stringMatching(new RegExp(`^${path}:4: /spec: InvalidPipeline: /constraint/regex: invalid RE2`)),
    ]);
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
