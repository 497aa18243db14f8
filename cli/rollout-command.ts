import { parseArgs } from 'node:util';
import type { CommandIo } from '../kernel/command-io.ts';
import { parseCommandLine } from '../kernel/parse-command-line.ts';
import { ANNOTATIONS, API_VERSION, LOG_REPO } from '../operator/api/constants.ts';
import type { RolloutStatus } from '../operator/api/rollout-status.ts';
import { LOG_REPOS, type LogRepoObject } from '../operator/controller/resources.ts';
import { connectionProblem } from '../operator/kube/connection-problem.ts';
import { createKubeClient, KubeApiError, type KubeClient } from '../operator/kube/kube-client.ts';
import { loadKubeCredentials } from '../operator/kube/kube-credentials.ts';

const ACTIONS = ['status', 'pause', 'resume', 'promote', 'abort'] as const;
type Action = (typeof ACTIONS)[number];

/** The field manager of the annotations this command sets, so `resume` removes only what `pause` set. */
export const ROLLOUT_FIELD_MANAGER = 'sluice-rollout-cli';

const usage = (program: string) => `usage: ${program} ACTION REPO [-n NAMESPACE] [--kubeconfig FILE]

Shows or steers the progressive rollout of a LogRepo's pipeline (spec.rollout). The
operator reads the annotations this sets; it never writes them, nor the spec.

  status    where the rollout stands: state, step, canary share, the last figures
  pause     hold the current step (annotation ${ANNOTATIONS.rolloutPaused}=true)
  resume    go on from where it was paused (removes that annotation)
  promote   give stable the new pipeline now (${ANNOTATIONS.rolloutPromote}=<target>)
  abort     roll the change back now (${ANNOTATIONS.rolloutAbort}=<target>)

promote and abort name the change they act on (status.rollout.target), so they never act
on a later change. Without this command: kubectl annotate logrepo REPO KEY=VALUE.

  -n, --namespace NS   the LogRepo's namespace (default: default)
  --kubeconfig FILE    kubeconfig (default: $KUBECONFIG, ~/.kube/config, in-cluster)

Exit status: 0 done, 1 no such repo, no rollout to act on, or the cluster refused,
2 usage error or no usable kubeconfig.`;

/** `sluice rollout ACTION REPO`: one line of output or error, an exit status, never a stack trace. */
export async function runRolloutCommand(
  argv: string[],
  io: CommandIo,
  program = 'sluice rollout',
  connect: (
    kubeconfig: string | undefined,
  ) => { ok: true; client: KubeClient } | { ok: false; line: string } = defaultConnect,
): Promise<number> {
  const parsed = parseCommandLine(
    () =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          namespace: { type: 'string', short: 'n', default: 'default' },
          kubeconfig: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      }),
    usage(program),
    io,
  );
  if (typeof parsed === 'number') return parsed;
  const [action, repo, ...extra] = parsed.positionals;
  if (!ACTIONS.includes(action as Action) || repo === undefined || extra.length > 0) {
    io.stderr.write(
      `${action === undefined ? 'an ACTION and a REPO are required' : !ACTIONS.includes(action as Action) ? `unknown action: ${action}` : repo === undefined ? 'a REPO is required' : `unexpected argument: ${extra[0]}`}\n\n${usage(program)}\n`,
    );
    return 2;
  }
  const connected = connect(parsed.values.kubeconfig);
  if (!connected.ok) {
    io.stderr.write(`${program}: ${connected.line}\n`);
    return 2;
  }
  const namespace = parsed.values.namespace ?? 'default';
  try {
    return await act(action as Action, connected.client, namespace, repo, io, program);
  } catch (error) {
    const line =
      error instanceof KubeApiError
        ? `the cluster refused: ${error.message} (HTTP ${error.status})`
        : (connectionProblem(error)?.line ?? (error as Error).message);
    io.stderr.write(`${program}: ${line.split('\n')[0]}\n`);
    return 1;
  }
}

async function act(
  action: Action,
  client: KubeClient,
  namespace: string,
  name: string,
  io: CommandIo,
  program: string,
) {
  const repo = await client.get(LOG_REPOS, namespace, name);
  if (repo === undefined) {
    io.stderr.write(`${program}: no LogRepo ${name} in namespace ${namespace}\n`);
    return 1;
  }
  const rollout = (repo.status as { rollout?: RolloutStatus } | undefined)?.rollout;
  if (action === 'status') {
    io.stdout.write(`${describeRollout(repo, rollout)}\n`);
    return 0;
  }
  if (repo.spec.rollout === undefined) {
    io.stderr.write(`${program}: LogRepo ${namespace}/${name} has no spec.rollout\n`);
    return 1;
  }
  const inFlight = rollout !== undefined && ['Progressing', 'Paused'].includes(rollout.state);
  if ((action === 'promote' || action === 'abort') && (!inFlight || rollout === undefined)) {
    io.stderr.write(
      `${program}: no rollout in progress for ${namespace}/${name} (state: ${rollout?.state ?? 'none'})\n`,
    );
    return 1;
  }
  const mine = ownAnnotations(repo);
  const annotations = { ...mine };
  if (action === 'pause') annotations[ANNOTATIONS.rolloutPaused] = 'true';
  if (action === 'resume') delete annotations[ANNOTATIONS.rolloutPaused];
  if (action === 'promote' && rollout) annotations[ANNOTATIONS.rolloutPromote] = rollout.target;
  if (action === 'abort' && rollout) annotations[ANNOTATIONS.rolloutAbort] = rollout.target;
  if (
    action === 'resume' &&
    repo.metadata.annotations?.[ANNOTATIONS.rolloutPaused] === 'true' &&
    mine[ANNOTATIONS.rolloutPaused] === undefined
  ) {
    io.stderr.write(
      `${program}: the pause of ${namespace}/${name} was set by someone else (kubectl, a GitOps tool); remove it there: kubectl annotate logrepo ${name} -n ${namespace} ${ANNOTATIONS.rolloutPaused}-\n`,
    );
    return 1;
  }
  await client.apply(
    LOG_REPOS,
    { apiVersion: API_VERSION, kind: LOG_REPO.kind, metadata: { name, namespace, annotations } },
    ROLLOUT_FIELD_MANAGER,
  );
  const done: Record<Exclude<Action, 'status'>, string> = {
    pause: 'paused',
    resume: 'resumed',
    promote: `promotion of ${rollout?.target} requested`,
    abort: `rollback of ${rollout?.target} requested`,
  };
  io.stdout.write(`logrepo ${namespace}/${name}: ${done[action]}\n`);
  return 0;
}

/** The rollout annotations this command set before (managed by its field manager); the rest is left alone. */
function ownAnnotations(repo: LogRepoObject): Record<string, string> {
  const managed = (repo.metadata.managedFields ?? []) as Array<{
    manager?: string;
    fieldsV1?: { 'f:metadata'?: { 'f:annotations'?: Record<string, unknown> } };
  }>;
  const fields =
    managed.find((entry) => entry.manager === ROLLOUT_FIELD_MANAGER)?.fieldsV1?.['f:metadata']?.[
      'f:annotations'
    ] ?? {};
  const out: Record<string, string> = {};
  for (const key of Object.keys(fields)) {
    const annotation = key.replace(/^f:/, '');
    const value = repo.metadata.annotations?.[annotation];
    if (value !== undefined) out[annotation] = value;
  }
  return out;
}

/** One line per fact: what `sluice rollout status` prints. Pure. */
export function describeRollout(repo: LogRepoObject, rollout: RolloutStatus | undefined): string {
  const name = `${repo.metadata.namespace}/${repo.metadata.name}`;
  if (repo.spec.rollout === undefined)
    return `${name}: no spec.rollout (the canary share is spec.canary.weight)`;
  if (rollout === undefined) return `${name}: no rollout recorded yet (the operator has not reconciled it)`;
  const lines = [
    `${name}: ${rollout.state}, step ${Math.min(rollout.step + 1, rollout.steps)}/${rollout.steps}, canary ${rollout.weight}%`,
    `  target ${rollout.target}, stable serves ${rollout.promoted}`,
    `  ${rollout.message}`,
  ];
  if (rollout.measured) {
    for (const track of ['canary', 'stable'] as const) {
      const m = rollout.measured[track];
      lines.push(
        `  ${track.padEnd(6)} ${m.requests} requests, ${m.lines} lines; retryable ${m.retryableFailureRate}%, invalid ${m.invalidRate}%, delivery failed ${m.deliveryFailureRate}%, p99 ${m.p99LatencyMs ?? '-'} ms`,
      );
    }
  }
  return lines.join('\n');
}

function defaultConnect(
  kubeconfig: string | undefined,
): { ok: true; client: KubeClient } | { ok: false; line: string } {
  const loaded = loadKubeCredentials(kubeconfig);
  if (!loaded.ok) return { ok: false, line: connectionProblem(loaded.error)?.line ?? loaded.error.message };
  return { ok: true, client: createKubeClient(loaded.credentials) };
}
