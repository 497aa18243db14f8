import { once } from 'node:events';
import { parseArgs } from 'node:util';
import type { CommandIo } from '../../kernel/command-io.ts';
import { parseCommandLine } from '../../kernel/parse-command-line.ts';
import { formatIssues, loadConfigFile } from '../config/load-config-file.ts';
import { IngestTally } from '../ingest/ingest-tally.ts';
import { compileRepo } from '../pipeline/compile-pipeline.ts';
import type { CompiledPipeline, LineContext, LineOutcome } from '../pipeline/line-outcome.ts';

const PIPELINE_USAGE = `usage: sluice pipeline --config FILE --repo NAME [options] < lines.jsonl

Runs every line of standard input through the repo's compiled pipeline and
prints what it becomes, one JSON line per input line; produces nothing.

  --config FILE          gateway config (YAML), validated like the gateway does
  --repo NAME            the repo whose pipeline to run
  --revision R           config revision (default: the config's)
  --client-address A     client address seen by the pipeline (default 127.0.0.1)
  --header 'NAME: VALUE' a request header (repeatable), e.g. traceparent
  --received-at TIME     receive time, ISO-8601 or epoch ms (default: now)

Output: {"line":n,"outcome":"accepted","topic":…,"key":…,"value":{…}},
{"line":n,"outcome":"dropped","reason":…} or
{"line":n,"outcome":"invalid","reason":…,"message":…[,"deadLetter":topic]};
a summary line (counts by outcome and reason) on standard error.
Exit status: 0 when the lines were run, 1 for an invalid config or unknown
repo, 2 for a usage error.`;

const LF = 0x0a;
const CR = 0x0d;

/**
 * The dry run: `sluice pipeline --config FILE --repo NAME < sample.jsonl`.
 * Lines are split like the gateway splits a body (LF or CRLF, blank lines
 * skipped, a leading BOM ignored, a missing final newline accepted); a line
 * longer than the config's server.maxLineBytes is reported (the gateway would
 * refuse the whole request with 413) and the run goes on.
 */
export async function runPipelineCommand(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandLine(() => parseOptions(argv), PIPELINE_USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const { options } = parsed;
  if (options === undefined) return 0; // --help, already answered
  const loaded = await loadConfigFile(options.config);
  if (!loaded.ok) {
    io.stderr.write(`${formatIssues(options.config, loaded)}\n`);
    return 1;
  }
  const config = loaded.config;
  const repo = Object.hasOwn(config.repos, options.repo) ? config.repos[options.repo] : undefined;
  if (repo === undefined) {
    const known = Object.keys(config.repos).join(', ') || 'none';
    io.stderr.write(`no repo "${options.repo}" in ${options.config} (repos: ${known})\n`);
    return 1;
  }
  const compiled = compileRepo(repo, { name: options.repo, revision: options.revision ?? config.revision });
  if (!compiled.ok) {
    io.stderr.write(`${formatIssues(options.config, compiled)}\n`);
    return 1;
  }
  const context: LineContext = {
    repo: options.repo,
    receivedAt: options.receivedAt,
    clientAddress: options.clientAddress,
    headers: options.headers,
  };
  const tally = new IngestTally(0);
  await runLines(io, config.server.maxLineBytes, compiled.pipeline, context, tally);
  const { errors: _errors, ...summary } = tally.summary();
  io.stderr.write(`${JSON.stringify(summary)}\n`);
  return 0;
}

interface PipelineOptions {
  readonly config: string;
  readonly repo: string;
  readonly revision: string | undefined;
  readonly clientAddress: string;
  readonly headers: Record<string, string | string[]>;
  readonly receivedAt: number;
}

/** `options` is undefined only with --help. */
interface ParsedOptions {
  readonly values: { readonly help: boolean };
  readonly options: PipelineOptions | undefined;
}

function parseOptions(argv: string[]): ParsedOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c' },
      repo: { type: 'string', short: 'r' },
      revision: { type: 'string' },
      'client-address': { type: 'string', default: '127.0.0.1' },
      header: { type: 'string', multiple: true, default: [] },
      'received-at': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
  });
  if (values.help) return { values, options: undefined };
  if (values.config === undefined) throw new Error('--config FILE is required');
  if (values.repo === undefined) throw new Error('--repo NAME is required');
  return {
    values,
    options: {
      config: values.config,
      repo: values.repo,
      revision: values.revision,
      clientAddress: values['client-address'],
      headers: parseHeaders(values.header),
      receivedAt: parseReceivedAt(values['received-at']),
    },
  };
}

function parseHeaders(lines: readonly string[]): Record<string, string | string[]> {
  const headers: Record<string, string | string[]> = Object.create(null);
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`--header expects "NAME: VALUE" (got "${line}")`);
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const existing = headers[name];
    headers[name] =
      existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  return headers;
}

function parseReceivedAt(text: string | undefined): number {
  if (text === undefined) return Date.now();
  const ms = /^-?[0-9]+$/.test(text) ? Number(text) : Date.parse(text);
  if (!Number.isFinite(ms)) throw new Error(`--received-at expects ISO-8601 or epoch ms (got "${text}")`);
  return ms;
}

async function runLines(
  io: CommandIo,
  maxLineBytes: number,
  pipeline: CompiledPipeline,
  context: LineContext,
  tally: IngestTally,
): Promise<void> {
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let oversized = false;
  let lineNumber = 0;
  let first = true;

  const emit = async (record: Record<string, unknown>) => {
    if (!io.stdout.write(`${render(record)}\n`)) await once(io.stdout, 'drain');
  };
  const finishLine = async () => {
    lineNumber += 1;
    let line = pending.length === 1 ? (pending[0] as Buffer) : Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    if (first) {
      first = false;
      if (line.length >= 3 && line[0] === 0xef && line[1] === 0xbb && line[2] === 0xbf)
        line = line.subarray(3);
    }
    if (line.length > 0 && line[line.length - 1] === CR) line = line.subarray(0, -1);
    if (oversized || line.length > maxLineBytes) {
      oversized = false;
      await emit({ line: lineNumber, outcome: 'too_large', message: `line exceeds ${maxLineBytes} bytes` });
      return;
    }
    if (isBlank(line)) return;
    const outcome = pipeline(line, context);
    tally.record(outcome, lineNumber);
    await emit(describe(lineNumber, outcome));
  };

  for await (const chunk of io.stdin) {
    let data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    for (let newline = data.indexOf(LF); newline !== -1; newline = data.indexOf(LF)) {
      append(data.subarray(0, newline));
      await finishLine();
      data = data.subarray(newline + 1);
    }
    append(data);
  }
  if (pendingBytes > 0 || oversized) await finishLine();

  function append(part: Buffer): void {
    if (part.length === 0 || oversized) return;
    // Past the limit the rest of the line is only skipped, never held in memory.
    if (pendingBytes + part.length > maxLineBytes + 1) {
      oversized = true;
      pending = [];
      pendingBytes = 0;
      return;
    }
    pending.push(part);
    pendingBytes += part.length;
  }
}

/** JSON text of an output line; a value nested too deeply for JSON.stringify is left out. */
function render(record: Record<string, unknown>): string {
  try {
    return JSON.stringify(record);
  } catch {
    return JSON.stringify({ ...record, value: null, note: 'value nests too deeply to display' });
  }
}

function isBlank(line: Buffer): boolean {
  for (const byte of line) if (byte !== 0x20 && byte !== 0x09 && byte !== CR) return false;
  return true;
}

function describe(line: number, outcome: LineOutcome): Record<string, unknown> {
  switch (outcome.kind) {
    case 'accepted':
      return {
        line,
        outcome: 'accepted',
        topic: outcome.topic,
        key: outcome.key,
        value: JSON.parse(outcome.value.toString('utf8')),
      };
    case 'dropped':
      return { line, outcome: 'dropped', reason: outcome.reason };
    case 'invalid':
      return {
        line,
        outcome: 'invalid',
        reason: outcome.reason,
        message: outcome.message,
        ...(outcome.deadLetter ? { deadLetter: outcome.deadLetter.topic } : {}),
      };
  }
}
