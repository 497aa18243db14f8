import { parseArgs } from 'node:util';
import type { CommandIo } from '../gateway/cli/pipeline-command.ts';
import {
  byNamespace,
  type DocumentIssue,
  formatIssue,
  type ReadResources,
  readResources,
} from './read-resources.ts';
import { renderConfigs, verdictIssues } from './render-manifests.ts';

export const VALIDATE_USAGE = `usage: sluice validate FILE...

Checks LogRepo and KafkaProducer manifests (YAML, several documents per file allowed)
the way the operator would: each document against its CRD schema, then every
pipeline and producer with the gateway's own validation (InvalidPipeline,
InvalidSpec), per namespace. A LogRepo whose KafkaProducer is not among the files
is valid here (the producer may already be in the cluster).

Output: one line per problem, \`file:doc: path: message\` (doc counts from 1).
Exit status: 0 valid, 1 invalid, 2 usage error or unreadable file.`;

/**
 * Reads, schema-checks and deep-checks the files: the shared first step of `validate` and
 * `render`. Writes usage and read errors itself; resolves with the resources and every
 * issue (sorted by file and document), or an exit status when it could not get that far.
 */
export async function checkFiles(
  files: readonly string[],
  io: Pick<CommandIo, 'stderr'>,
): Promise<{ read: ReadResources; issues: DocumentIssue[] } | number> {
  const read = await readResources(files);
  if ('unreadable' in read) {
    io.stderr.write(`${read.unreadable}: cannot read (${read.message})\n`);
    return 2;
  }
  const issues = [...read.issues];
  for (const resources of byNamespace(read).values()) {
    issues.push(...verdictIssues(resources, renderConfigs(resources)));
  }
  const order = new Map(files.map((file, index) => [file, index]));
  issues.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || a.doc - b.doc);
  return { read, issues };
}

/** `sluice validate FILE...` */
export async function runValidateCommand(argv: string[], io: CommandIo): Promise<number> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${VALIDATE_USAGE}\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.stdout.write(`${VALIDATE_USAGE}\n`);
    return 0;
  }
  if (parsed.positionals.length === 0) {
    io.stderr.write(`no files given\n\n${VALIDATE_USAGE}\n`);
    return 2;
  }
  const checked = await checkFiles(parsed.positionals, io);
  if (typeof checked === 'number') return checked;
  for (const issue of checked.issues) io.stdout.write(`${formatIssue(issue)}\n`);
  return checked.issues.length === 0 ? 0 : 1;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: { help: { type: 'boolean', short: 'h' } },
  });
}
