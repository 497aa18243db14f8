import type { CommandIo } from '../kernel/command-io.ts';

export type { CommandIo };

/** A subcommand; `program` (`sluice NAME`) is what its usage text calls it. */
type Command = (argv: string[], io: CommandIo, program: string) => Promise<number>;

// Subcommands load their modules only when chosen: `sluice validate` does not load the
// gateway's Kafka clients, `sluice gateway` not the Kubernetes client.
const COMMANDS: Record<string, { readonly summary: string; readonly load: () => Promise<Command> }> = {
  gateway: {
    summary: 'serve the ingest API from a gateway config (hot reload)',
    load: async () => (await import('../gateway/main.ts')).gatewayMain,
  },
  operator: {
    summary: 'run the Kubernetes operator (LogRepo, KafkaProducer → gateway fleet)',
    load: async () => (await import('../operator/main.ts')).operatorMain,
  },
  pipeline: {
    summary: "run lines from standard input through a repo's pipeline (dry run)",
    load: async () => (await import('../gateway/cli/pipeline-command.ts')).runPipelineCommand,
  },
  validate: {
    summary: 'check LogRepo/KafkaProducer manifests like the operator would',
    load: async () => (await import('./validate-command.ts')).runValidateCommand,
  },
  render: {
    summary: 'print the gateway config and objects the operator would apply',
    load: async () => (await import('./render-command.ts')).runRenderCommand,
  },
  rollout: {
    summary: "show, pause, resume, promote or abort a LogRepo's pipeline rollout",
    load: async () => (await import('./rollout-command.ts')).runRolloutCommand,
  },
};

const SLUICE_USAGE = `usage: sluice COMMAND [options]

Commands:
${Object.entries(COMMANDS)
  .map(([name, { summary }]) => `  ${name.padEnd(10)}${summary}`)
  .join('\n')}

\`sluice COMMAND --help\` describes a command.
Exit status: 0 success, 1 invalid input or a failure (\`sluice COMMAND --help\` says
which), 2 usage error.`;

/** The `sluice` command line: dispatches to a subcommand and resolves with its exit status. */
export async function runSluice(argv: string[], io: CommandIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.stderr.write(`${SLUICE_USAGE}\n`);
    return 2;
  }
  if (name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(`${SLUICE_USAGE}\n`);
    return 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    io.stderr.write(`unknown command: ${name}\n\n${SLUICE_USAGE}\n`);
    return 2;
  }
  try {
    return await (await command.load())(rest, io, `sluice ${name}`);
  } catch (error) {
    // The edge of the command: whatever a subcommand did not turn into a message of its own
    // is still one line, never a stack trace.
    const message = error instanceof Error ? error.message : String(error);
    io.stderr.write(`sluice ${name}: unexpected error: ${message.split('\n')[0]}\n`);
    return 1;
  }
}
