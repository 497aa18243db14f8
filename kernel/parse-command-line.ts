interface UsageIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

/**
 * Parses a command line with the conventions every `sluice` command shares: a parse error
 * (unknown option, missing value) prints its message and the usage on standard error,
 * exit 2; `--help` prints the usage on standard output, exit 0. Resolves with the parsed
 * arguments, or with that exit status.
 */
export function parseCommandLine<Parsed extends { readonly values: { readonly help?: boolean | undefined } }>(
  parse: () => Parsed,
  usage: string,
  io: UsageIo,
): Parsed | number {
  let parsed: Parsed;
  try {
    parsed = parse();
  } catch (error) {
    io.stderr.write(`${(error as Error).message}\n\n${usage}\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.stdout.write(`${usage}\n`);
    return 0;
  }
  return parsed;
}
