import { parseArgs } from 'node:util';
import { parseCommandLine } from '../gateway/cli/parse-command-line.ts';
import type { CommandIo } from '../gateway/cli/pipeline-command.ts';
import type { RenderOptions } from '../operator/render/render-gateway-config.ts';
import { byNamespace, type DocumentIssue, formatIssue, readResources } from './read-resources.ts';
import {
  type NamespaceConfigs,
  type NamespaceResources,
  renderConfigs,
  verdictIssues,
} from './render-manifests.ts';

const VALIDATE_USAGE = `usage: sluice validate FILE...

Checks LogRepo and KafkaProducer manifests (YAML, several documents per file allowed)
the way the operator would: each document against its CRD schema, then every
pipeline and producer with the gateway's own validation (InvalidPipeline,
InvalidSpec), per namespace. A LogRepo whose KafkaProducer is not among the files
is valid here (the producer may already be in the cluster).

Output: one line per problem, \`file:doc: path: message\` (doc counts from 1).
Exit status: 0 valid, 1 invalid, 2 usage error or unreadable file.`;

/** The files' resources of one namespace and the gateway configs they render to. */
export interface CheckedNamespace {
  readonly resources: NamespaceResources;
  readonly configs: NamespaceConfigs;
}

/**
 * Reads, schema-checks and deep-checks the files: the shared first step of `validate` and
 * `render`; configs are rendered with `options` (render passes its fleet's). Writes read errors itself; resolves with every issue (sorted by file and
 * document) and each namespace (sorted) as rendered, or an exit status when it could not
 * get that far.
 */
export async function checkFiles(
  files: readonly string[],
  io: Pick<CommandIo, 'stderr'>,
  options: RenderOptions = {},
): Promise<{ namespaces: Map<string, CheckedNamespace>; issues: DocumentIssue[] } | number> {
  const read = await readResources(files);
  if ('unreadable' in read) {
    io.stderr.write(`${read.unreadable}: cannot read (${read.message})\n`);
    return 2;
  }
  const issues = [...read.issues];
  const namespaces = new Map<string, CheckedNamespace>();
  for (const [namespace, resources] of byNamespace(read)) {
    const configs = renderConfigs(resources, options);
    issues.push(...verdictIssues(resources, configs));
    namespaces.set(namespace, { resources, configs });
  }
  const order = new Map(files.map((file, index) => [file, index]));
  issues.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || a.doc - b.doc);
  return { namespaces, issues };
}

/** `sluice validate FILE...` */
export async function runValidateCommand(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandLine(() => parse(argv), VALIDATE_USAGE, io);
  if (typeof parsed === 'number') return parsed;
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
