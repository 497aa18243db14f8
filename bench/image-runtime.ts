// How the image starts the gateway, read from the Dockerfile itself, so the benchmark runs
// the gateway exactly as a pod does (the same environment, NODE_OPTIONS among it, the same
// entry point and subcommand) and cannot drift from it. Pure.

export interface ImageRuntime {
  /**
   * Every variable the final stage's ENV instructions set, the last value of each: NODE_OPTIONS
   * (e.g. --max-semi-space-size=8), NODE_ENV, …
   */
  readonly env: Readonly<Record<string, string>>;
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

/**
 * The variables of one ENV instruction: `K=V` pairs (a value in double quotes may hold
 * blanks), or the legacy `ENV K V` form (the rest of the line is the value).
 */
function envPairs(rest: string): Record<string, string> {
  const pairs: Record<string, string> = {};
  if (!/^[A-Za-z_][A-Za-z0-9_]*=/.test(rest)) {
    const legacy = /^([A-Za-z_][A-Za-z0-9_]*)\s+(.*)$/.exec(rest);
    if (legacy) pairs[legacy[1] as string] = legacy[2] as string;
    return pairs;
  }
  for (const match of rest.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("([^"]*)"|(\S*))/g)) {
    pairs[match[1] as string] = match[3] ?? match[4] ?? '';
  }
  return pairs;
}

/** The final stage's environment, ENTRYPOINT and CMD. */
export function parseImageRuntime(dockerfile: string): ImageRuntimeResult {
  const all = instructions(dockerfile);
  const lastFrom = all.findLastIndex((line) => /^FROM\s/i.test(line));
  const final = all.slice(lastFrom + 1);
  const env: Record<string, string> = {};
  for (const line of final) {
    if (!/^ENV\s/i.test(line)) continue;
    Object.assign(env, envPairs(line.replace(/^ENV\s+/i, '')));
  }
  const entrypoint = execForm(final.findLast((line) => /^ENTRYPOINT\s/i.test(line)));
  const command = execForm(final.findLast((line) => /^CMD\s/i.test(line)));
  if (entrypoint === undefined) return { ok: false, message: 'the final stage has no exec-form ENTRYPOINT' };
  if (command === undefined) return { ok: false, message: 'the final stage has no exec-form CMD' };
  return { ok: true, runtime: { env, entrypoint, command } };
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

/** The environment as a shell would set it before a command: `A=1 B="two words"`. */
export function envText(env: Readonly<Record<string, string>>): string {
  return Object.entries(env)
    .map(([name, value]) => `${name}=${/[\s"]/.test(value) || value === '' ? JSON.stringify(value) : value}`)
    .join(' ');
}
