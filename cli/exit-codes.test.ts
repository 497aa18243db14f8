import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../test/support/capture-io.ts';
import { runSluice } from './sluice-command.ts';

// Every exit status each command's usage text states, produced by a command line that
// should produce it, and no status the usage does not state. Runs in-process, no cluster:
// the operator's "cannot use the cluster" is an apiserver address nothing listens on.

let dir: string;
const at = (name: string) => join(dir, name);
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-exit-'));
  await writeFile(at('bad-gateway.yaml'), 'server: { port: "eighty" }\n');
  await writeFile(
    at('unreachable-kubeconfig.yaml'),
    JSON.stringify({
      'current-context': 'c',
      contexts: [{ name: 'c', context: { cluster: 'k', user: 'u' } }],
      // Port 1 on loopback: connection refused at once.
      clusters: [{ name: 'k', cluster: { server: 'https://127.0.0.1:1' } }],
      users: [{ name: 'u', user: { token: 't' } }],
    }),
  );
  await writeFile(
    at('invalid-producer.yaml'),
    'apiVersion: sluice.dev/v1alpha1\nkind: KafkaProducer\nmetadata: { name: p }\nspec: { brokers: [k:9092], compression: brotli }\n',
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

interface Case {
  readonly command: string;
  readonly code: number;
  readonly when: string;
  readonly argv: () => string[];
  readonly stdin?: string;
}

const QUICKSTART = 'examples/quickstart/';
const GATEWAY_CONFIG = 'examples/cdn-access-log/gateway-local.yaml';
const SAMPLE_LINE = '{"host":"edge-1","status":200}\n';

const CASES: Case[] = [
  { command: 'sluice', code: 0, when: '--help', argv: () => ['--help'] },
  {
    command: 'sluice',
    code: 1,
    when: 'a subcommand failed',
    argv: () => ['validate', at('invalid-producer.yaml')],
  },
  { command: 'sluice', code: 2, when: 'an unknown command', argv: () => ['deploy'] },
  { command: 'gateway', code: 0, when: '--help', argv: () => ['gateway', '--help'] },
  {
    command: 'gateway',
    code: 1,
    when: 'an invalid config',
    argv: () => ['gateway', '--config', at('bad-gateway.yaml')],
  },
  { command: 'gateway', code: 2, when: 'an unknown option', argv: () => ['gateway', '--bogus'] },
  { command: 'operator', code: 0, when: '--help', argv: () => ['operator', '--help'] },
  {
    command: 'operator',
    code: 1,
    when: 'an unreachable apiserver',
    argv: () => ['operator', '--kubeconfig', at('unreachable-kubeconfig.yaml'), '--route-provider', 'none'],
  },
  {
    command: 'operator',
    code: 2,
    when: 'a missing kubeconfig',
    argv: () => ['operator', '--kubeconfig', at('missing')],
  },
  {
    command: 'pipeline',
    code: 0,
    when: 'the lines were run',
    argv: () => ['pipeline', '--config', GATEWAY_CONFIG, '--repo', 'cdn-access'],
    stdin: SAMPLE_LINE,
  },
  {
    command: 'pipeline',
    code: 1,
    when: 'an unknown repo',
    argv: () => ['pipeline', '--config', GATEWAY_CONFIG, '--repo', 'nope'],
    stdin: SAMPLE_LINE,
  },
  { command: 'pipeline', code: 2, when: 'no --repo', argv: () => ['pipeline', '--config', GATEWAY_CONFIG] },
  { command: 'validate', code: 0, when: 'valid manifests', argv: () => ['validate', QUICKSTART] },
  {
    command: 'validate',
    code: 1,
    when: 'an invalid manifest',
    argv: () => ['validate', at('invalid-producer.yaml')],
  },
  { command: 'validate', code: 2, when: 'an unreadable file', argv: () => ['validate', at('missing.yaml')] },
  { command: 'render', code: 0, when: 'rendered', argv: () => ['render', QUICKSTART] },
  {
    command: 'render',
    code: 1,
    when: 'an invalid manifest',
    argv: () => ['render', at('invalid-producer.yaml')],
  },
  { command: 'render', code: 2, when: 'no files', argv: () => ['render'] },
];

const run = async (argv: string[], stdin = '') => {
  const io = captureIo(stdin);
  const code = await runSluice(argv, io);
  return { code, out: io.out(), err: io.err() };
};

/** The statuses an "Exit status: 0 …, 1 …; 2 …" paragraph names. */
function statedCodes(usage: string): number[] {
  const paragraph = usage.slice(usage.indexOf('Exit status:'));
  return [...paragraph.matchAll(/(?:status:|[,;])\s+(\d)\s/g)].map((match) => Number(match[1]));
}

describe('exit status', () => {
  it.each(CASES)('$command exits $code on $when', async ({ argv, code, stdin }) => {
    const result = await run(argv(), stdin);
    expect({ code: result.code, err: result.err }).toMatchObject({ code });
    // Whatever went wrong, never a stack trace.
    expect(result.err).not.toMatch(/\n\s+at .+:\d+:\d+/);
  });

  it.each(['sluice', 'gateway', 'operator', 'pipeline', 'validate', 'render'])(
    '%s --help states exactly the statuses the table produces',
    async (command) => {
      const help = await run(command === 'sluice' ? ['--help'] : [command, '--help']);
      expect(help.out).toContain('Exit status:');
      const tabled = CASES.filter((c) => c.command === command).map((c) => c.code);
      expect(statedCodes(help.out)).toEqual([...new Set(tabled)].sort());
    },
  );

  it('sluice operator names the problem and the remedy in one line', async () => {
    const unreachable = await run([
      'operator',
      '--kubeconfig',
      at('unreachable-kubeconfig.yaml'),
      '--route-provider',
      'none',
    ]);
    expect(unreachable.err).toMatch(
      /^sluice operator: cannot reach the apiserver at https:\/\/127\.0\.0\.1:1 \(ECONNREFUSED\); check that the cluster is running[^\n]*\n$/,
    );
    const missing = await run(['operator', '--kubeconfig', at('missing')]);
    expect(missing.err).toMatch(
      /^sluice operator: cannot read kubeconfig \S+missing \(ENOENT\); pass --kubeconfig FILE[^\n]*\n$/,
    );
  });
});
