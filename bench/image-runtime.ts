// How the image starts the gateway, read from the Dockerfile itself, so the benchmark runs
// the gateway exactly as a pod does (same NODE_OPTIONS, same entry point and subcommand)
// and cannot drift from it. Pure.

export interface ImageRuntime {
  /** The image's NODE_OPTIONS (e.g. --max-semi-space-size=8); '' when it sets none. */
  readonly nodeOptions: string;
  /** ENTRYPOINT in exec form, e.g. ["node", "bin/sluice.ts"]. */
  readonly entrypoint: readonly string[];
  /** CMD in exec form, e.g. ["gateway", "--config", "/etc/sluice/config/gateway.yaml"]. */
  readonly command: readonly string[];
}

export type ImageRuntimeResult =
  | { readonly ok: true; readonly runtime: ImageRuntime }
  | { readonly ok: false; readonly message: string };

/** Joins backslash-continued lines so an instruction is one line. */
const instructions = (dockerfile: string): string[] =>
  dockerfile
    .replace(/\\\r?\n/g, ' ')
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));

function execForm(instruction: string | undefined): string[] | undefined {
  if (instruction === undefined) return undefined;
  try {
    const value: unknown = JSON.parse(instruction.replace(/^\S+\s+/, ''));
    return Array.isArray(value) && value.every((v) => typeof v === 'string') ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The final stage's NODE_OPTIONS, ENTRYPOINT and CMD. */
export function parseImageRuntime(dockerfile: string): ImageRuntimeResult {
  const all = instructions(dockerfile);
  const lastFrom = all.findLastIndex((line) => /^FROM\s/i.test(line));
  const final = all.slice(lastFrom + 1);
  let nodeOptions = '';
  for (const line of final) {
    if (!/^ENV\s/i.test(line)) continue;
    const match = /(?:^ENV\s+|\s)NODE_OPTIONS=("([^"]*)"|(\S*))/.exec(line);
    if (match) nodeOptions = match[2] ?? match[3] ?? '';
  }
  const entrypoint = execForm(final.findLast((line) => /^ENTRYPOINT\s/i.test(line)));
  const command = execForm(final.findLast((line) => /^CMD\s/i.test(line)));
  if (entrypoint === undefined) return { ok: false, message: 'the final stage has no exec-form ENTRYPOINT' };
  if (command === undefined) return { ok: false, message: 'the final stage has no exec-form CMD' };
  return { ok: true, runtime: { nodeOptions, entrypoint, command } };
}

/**
 * The image's command line for a gateway with `configFile`: the entry point's script, the
 * CMD's subcommand and flags with `--config` pointed at `configFile`.
 */
export function gatewayCommandLine(runtime: ImageRuntime, configFile: string): string[] {
  const [, ...script] = runtime.entrypoint;
  const command = [...runtime.command];
  const at = command.indexOf('--config');
  if (at === -1) command.push('--config', configFile);
  else command[at + 1] = configFile;
  return [...script, ...command];
}
