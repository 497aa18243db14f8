import { parseArgs } from 'node:util';
import type { CommandIo } from '../kernel/command-io.ts';
import { parseCommandLine } from '../kernel/parse-command-line.ts';
import type { RenderOptions } from '../operator/render/render-gateway-config.ts';
import { readManifestSources } from './manifest-sources.ts';
import { byNamespace, checkSources, type DocumentIssue, formatIssue } from './read-resources.ts';
import {
  type NamespaceConfigs,
  type NamespaceResources,
  renderConfigs,
  verdictIssues,
} from './render-manifests.ts';

const VALIDATE_USAGE = `usage: sluice validate [-f] FILE|DIR|- ...

Checks LogRepo, KafkaProducer and GatewayFleet manifests (YAML or JSON, several
documents per file allowed) the way the apiserver and the operator would: each
document against its CRD schema (with its defaults) and the CRD's CEL rules, then
every pipeline and producer with the gateway's own validation (InvalidPipeline,
InvalidSpec), per namespace; every problem of every document in one run. A LogRepo whose
KafkaProducer is not among the files is valid here (the producer may already be
in the cluster).

  FILE      a manifest file
  DIR       every *.yaml, *.yml and *.json below it, recursively
  -         standard input
  -f ARG    the same, as kubectl spells it (repeatable)

Objects of other API groups (Secrets, Namespaces, Kustomizations…) and documents
that are not Kubernetes objects are skipped, with a note on standard error.
Output: one line per problem, \`file:doc: path: message\` (doc counts from 1).
Exit status: 0 valid, 1 invalid, 2 usage error or unreadable file.`;

/** The files' resources of one namespace and the gateway configs they render to. */
export interface CheckedNamespace {
  readonly resources: NamespaceResources;
  readonly configs: NamespaceConfigs;
}

/**
 * Reads, schema-checks and deep-checks the manifests the arguments name (files,
 * directories, `-` for standard input): the shared first step of `validate` and `render`;
 * configs are rendered with `options` (render passes its fleet's). Writes read errors and
 * the notes on skipped documents itself; resolves with every issue (sorted by source and
 * document) and each namespace (sorted) as rendered, or an exit status when it could not
 * get that far.
 */
export async function checkFiles(
  args: readonly string[],
  io: Pick<CommandIo, 'stdin' | 'stderr'>,
  options: RenderOptions = {},
): Promise<{ namespaces: Map<string, CheckedNamespace>; issues: DocumentIssue[] } | number> {
  const read = await readManifestSources(args, io.stdin);
  if ('unreadable' in read) {
    io.stderr.write(`${read.unreadable}: cannot read (${read.message})\n`);
    return 2;
  }
  const checked = checkSources(read.sources);
  for (const note of checked.notes) io.stderr.write(`${formatIssue(note)}\n`);
  const issues = [...checked.issues];
  const namespaces = new Map<string, CheckedNamespace>();
  for (const [namespace, resources] of byNamespace(checked)) {
    const configs = renderConfigs(resources, options);
    issues.push(...verdictIssues(resources, configs));
    namespaces.set(namespace, { resources, configs });
  }
  const order = new Map(read.sources.map((source, index) => [source.name, index]));
  issues.sort((a, b) => (order.get(a.file) ?? 0) - (order.get(b.file) ?? 0) || a.doc - b.doc);
  return { namespaces, issues };
}

/** `sluice validate [-f] FILE|DIR|-...` */
export async function runValidateCommand(argv: string[], io: CommandIo): Promise<number> {
  const parsed = parseCommandLine(() => parse(argv), VALIDATE_USAGE, io);
  if (typeof parsed === 'number') return parsed;
  const args = [...(parsed.values.filename ?? []), ...parsed.positionals];
  if (args.length === 0) {
    io.stderr.write(`no files given\n\n${VALIDATE_USAGE}\n`);
    return 2;
  }
  const checked = await checkFiles(args, io);
  if (typeof checked === 'number') return checked;
  for (const issue of checked.issues) io.stdout.write(`${formatIssue(issue)}\n`);
  return checked.issues.length === 0 ? 0 : 1;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      filename: { type: 'string', short: 'f', multiple: true },
      help: { type: 'boolean', short: 'h' },
    },
  });
}
