import { describe, expect, it } from 'vitest';
import { LOG_REPOS } from '../operator/controller/resources.ts';
import type { KubeObject } from '../operator/kube/kube-client.ts';
import { captureIo } from '../test/support/capture-io.ts';
import { createFakeKubeClient } from '../test/support/fake-kube-client.ts';
import { runRolloutCommand } from './rollout-command.ts';

const repo = (rollout?: Record<string, unknown>, withSpec = true): KubeObject => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'LogRepo',
  metadata: { name: 'access', namespace: 'logs' },
  spec: {
    kafka: { producer: 'main', topic: 'logs.access', mode: 'sync' },
    ...(withSpec ? { rollout: { steps: [{ weight: 10, pauseSeconds: 60 }] } } : {}),
  },
  ...(rollout ? { status: { rollout } } : {}),
});
const progressing = {
  state: 'Progressing',
  target: 'aaaa000011112222',
  promoted: 'bbbb000011112222',
  step: 0,
  steps: 1,
  weight: 10,
  message: 'step 1/1: 10% on the canary',
  measured: {
    canary: {
      requests: 40,
      lines: 400,
      retryableFailureRate: 0,
      invalidRate: 0,
      deliveryFailureRate: 0,
      p99LatencyMs: 4.5,
    },
    stable: {
      requests: 400,
      lines: 4000,
      retryableFailureRate: 0,
      invalidRate: 0,
      deliveryFailureRate: 0,
      p99LatencyMs: 4.1,
    },
  },
};

async function run(argv: string[], seed: KubeObject | undefined) {
  const client = createFakeKubeClient(seed ? [[LOG_REPOS, seed]] : []);
  const io = captureIo();
  const code = await runRolloutCommand(argv, io, 'sluice rollout', () => ({ ok: true, client }));
  return { code, out: io.out(), err: io.err(), client };
}
const annotationsOf = (client: ReturnType<typeof createFakeKubeClient>) =>
  client.peek(LOG_REPOS, 'logs', 'access')?.metadata.annotations ?? {};

describe('sluice rollout', () => {
  it.each([
    ['pause', { 'sluice.dev/rollout-paused': 'true' }, 'logrepo logs/access: paused'],
    [
      'promote',
      { 'sluice.dev/rollout-promote': 'aaaa000011112222' },
      'promotion of aaaa000011112222 requested',
    ],
    ['abort', { 'sluice.dev/rollout-abort': 'aaaa000011112222' }, 'rollback of aaaa000011112222 requested'],
  ])(
    '%s sets the annotation the operator reads, naming the change it acts on',
    async (action, annotations, said) => {
      const { code, out, client } = await run([action, 'access', '-n', 'logs'], repo(progressing));
      expect(code).toBe(0);
      expect(out).toContain(said);
      expect(annotationsOf(client)).toMatchObject(annotations);
      expect(client.writes).toEqual(['apply logrepos/access']);
    },
  );

  it('status prints where the rollout stands, with both tracks’ figures', async () => {
    const { code, out } = await run(['status', 'access', '-n', 'logs'], repo(progressing));
    expect(code).toBe(0);
    expect(out).toMatch(/^logs\/access: Progressing, step 1\/1, canary 10%\n/);
    expect(out).toContain(
      'canary 40 requests, 400 lines; retryable 0%, invalid 0%, delivery failed 0%, p99 4.5 ms',
    );
  });

  it.each([
    [
      'no such repo',
      ['status', 'nope', '-n', 'logs'],
      repo(progressing),
      1,
      /no LogRepo nope in namespace logs/,
    ],
    ['no spec.rollout', ['pause', 'access', '-n', 'logs'], repo(undefined, false), 1, /has no spec.rollout/],
    [
      'nothing in progress to promote',
      ['promote', 'access', '-n', 'logs'],
      repo({ ...progressing, state: 'Promoted' }),
      1,
      /no rollout in progress for logs\/access \(state: Promoted\)/,
    ],
    ['an unknown action', ['widen', 'access'], repo(progressing), 2, /unknown action: widen/],
    ['no repo named', ['pause'], repo(progressing), 2, /a REPO is required/],
  ])('%s: one line and exit %i', async (_name, argv, seed, exit, message) => {
    const { code, err } = await run(argv, seed);
    expect(code).toBe(exit);
    expect(err).toMatch(message);
    expect(err).not.toMatch(/\n\s+at /);
  });

  it('a kubeconfig it cannot use is one line and exit 2', async () => {
    const io = captureIo();
    const code = await runRolloutCommand(['status', 'access'], io, 'sluice rollout', () => ({
      ok: false,
      line: 'cannot read the kubeconfig /nonexistent (ENOENT)',
    }));
    expect(code).toBe(2);
    expect(io.err()).toBe('sluice rollout: cannot read the kubeconfig /nonexistent (ENOENT)\n');
  });
});
