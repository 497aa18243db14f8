import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { captureIo } from '../../test/support/capture-io.ts';
import { runPipelineCommand } from './pipeline-command.ts';

const CONFIG = `
revision: r1
server: { maxLineBytes: 256 }
producers: { main: { type: stdout } }
repos:
  access:
    producer: main
    topic: logs.access
    key: host
    constraint: { field: status, exists: true }
    executers:
      - { type: splitter, field: request, separator: " ", limit: 3 }
      - { type: assigner, field: request, names: [method, path, protocol] }
      - { type: drop-if, when: { field: path, equals: /healthz }, reason: health_check }
      - { type: set, field: trace_id, from: traceId }
      - { type: set, field: received, from: receivedAt }
      - type: route
        rules: [{ when: { field: status, gte: 500 }, topic: logs.errors }]
    deadLetter: { topic: logs.dead }
`;

let dir: string;
let configFile: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-pipeline-'));
  configFile = join(dir, 'gateway.yaml');
  await writeFile(configFile, CONFIG);
  await writeFile(join(dir, 'bad.yaml'), CONFIG.replace('separator: " "', 'separator: ""'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function run(argv: string[], input: string | Buffer | Buffer[] = '') {
  const io = { ...captureIo(), stdin: Readable.from(Array.isArray(input) ? input : [Buffer.from(input)]) };
  const code = await runPipelineCommand(argv, io);
  const stdoutText = io.out();
  return {
    code,
    stdout: stdoutText,
    /** The output lines, parsed: only for runs that print JSON lines. */
    get lines() {
      return stdoutText
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
    },
    stderr: io.err(),
  };
}

const args = () => [
  '--config',
  configFile,
  '--repo',
  'access',
  '--received-at',
  '2024-06-01T12:00:00Z',
  '--header',
  'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
];

describe('sluice pipeline (dry run)', () => {
  it('prints what every line becomes, and a summary on stderr', async () => {
    const input = [
      '\ufeff{"host":"e1","status":200,"request":"GET /index.html HTTP/1.1"}',
      '{"host":"e2","status":503,"request":"POST /api HTTP/2.0"}\r',
      '',
      '{"host":"e3","status":200,"request":"GET /healthz HTTP/1.1"}',
      '{"host":"e4"}',
      'not json',
      '{"host":"e5","status":200,"request":"-"}',
    ].join('\n');
    const result = await run(args(), input);
    expect(result.code).toBe(0);
    expect(result.lines).toEqual([
      {
        line: 1,
        outcome: 'accepted',
        topic: 'logs.access',
        key: 'e1',
        value: {
          host: 'e1',
          status: 200,
          method: 'GET',
          path: '/index.html',
          protocol: 'HTTP/1.1',
          trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
          received: '2024-06-01T12:00:00.000Z',
        },
      },
      {
        line: 2,
        outcome: 'accepted',
        topic: 'logs.errors',
        key: 'e2',
        value: {
          host: 'e2',
          status: 503,
          method: 'POST',
          path: '/api',
          protocol: 'HTTP/2.0',
          trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
          received: '2024-06-01T12:00:00.000Z',
        },
      },
      { line: 4, outcome: 'dropped', reason: 'health_check' },
      { line: 5, outcome: 'dropped', reason: 'constraint' },
      {
        line: 6,
        outcome: 'invalid',
        reason: 'invalid_json',
        message: 'line is not valid JSON',
        deadLetter: 'logs.dead',
      },
      {
        line: 7,
        outcome: 'invalid',
        reason: 'assigner_failed',
        message: 'executers[1] (assigner): field request has fewer than 3 parts',
        deadLetter: 'logs.dead',
      },
    ]);
    expect(JSON.parse(result.stderr)).toEqual({
      received: 6,
      accepted: 2,
      dropped: { total: 2, byReason: { health_check: 1, constraint: 1 } },
      invalid: { total: 2, byReason: { invalid_json: 1, assigner_failed: 1 } },
    });
  });

  it('splits lines across chunks and reports a line over server.maxLineBytes, then goes on', async () => {
    const long = `{"status":200,"request":"GET /${'a'.repeat(400)} HTTP/1.1"}`;
    const ok = '{"status":200,"request":"GET / HTTP/1.1"}';
    const bytes = Buffer.from(`${ok}\n${long}\n${ok}`);
    const chunks = [bytes.subarray(0, 10), bytes.subarray(10, 200), bytes.subarray(200)];
    const result = await run(args(), chunks);
    expect(result.lines.map((line) => [line.line, line.outcome])).toEqual([
      [1, 'accepted'],
      [2, 'too_large'],
      [3, 'accepted'],
    ]);
  });

  it.each([
    { name: 'no --config', argv: ['--repo', 'access'], code: 2, error: /--config FILE is required/ },
    { name: 'an unknown option', argv: ['--bogus'], code: 2, error: /bogus/ },
    {
      name: 'a bad --header',
      argv: ['--config', 'x', '--repo', 'a', '--header', 'nocolon'],
      code: 2,
      error: /NAME: VALUE/,
    },
    {
      name: 'a missing config file',
      argv: ['--config', '/nonexistent.yaml', '--repo', 'a'],
      code: 1,
      error: /cannot read/,
    },
  ])('exits $code on $name', async ({ argv, code, error }) => {
    const result = await run(argv);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(error);
  });

  it('exits 1 on an unknown repo or an invalid pipeline, naming the path', async () => {
    const unknown = await run(['--config', configFile, '--repo', 'billing']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no repo "billing".*repos: access/);
    const invalid = await run(['--config', join(dir, 'bad.yaml'), '--repo', 'access']);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/\/repos\/access\/executers\/0\/separator/);
  });

  it('prints usage with --help', async () => {
    const result = await run(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^usage: sluice pipeline --config FILE --repo NAME/);
  });
});
