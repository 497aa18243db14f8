import pino from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { createFakeKubeClient, type FakeRequest } from '../../test/support/fake-kube-client.ts';
import type { KubeClient, KubeObject } from '../kube/kube-client.ts';
import { LEASES } from './leader-election.ts';
import { type OperatorOptions, startOperator } from './operator-controller.ts';
import { CONFIG_MAPS, KAFKA_PRODUCERS, LOG_REPOS } from './resources.ts';

const producer: KubeObject = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'KafkaProducer',
  metadata: { name: 'main', namespace: 'logs', generation: 1 },
  spec: { brokers: ['kafka:9092'] },
};
const repo: KubeObject = {
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'LogRepo',
  metadata: { name: 'access', namespace: 'logs', generation: 1 },
  spec: { kafka: { producer: 'main', topic: 'logs.access', mode: 'sync' } },
};

/** A fake API whose ConfigMap applies wait until their signal aborts: only cancellation lets them go. */
function heldWorld() {
  let entered!: (request: FakeRequest) => void;
  const held = new Promise<FakeRequest>((resolve) => {
    entered = resolve;
  });
  let first = true;
  // The first ConfigMap apply only: later ones (a new leadership term) go through.
  const onRequest = async (request: FakeRequest) => {
    if (request.verb !== 'PATCH' || request.ref !== CONFIG_MAPS || !first) return;
    first = false;
    entered(request);
    const { signal } = request;
    if (signal === undefined) throw new Error('the reconcile passed no signal to the client');
    await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
  };
  const client = createFakeKubeClient(
    [
      [KAFKA_PRODUCERS, producer],
      [LOG_REPOS, repo],
    ],
    { onRequest },
  );
  return { client, held };
}

const start = (client: KubeClient, options: Partial<OperatorOptions> = {}) =>
  startOperator({
    client,
    events: { record: async () => undefined },
    logger: pino({ level: 'silent' }),
    namespaces: ['logs'],
    workers: 1,
    ...options,
  });

describe('startOperator cancellation', () => {
  it('aborts a reconcile in flight on stop: the held request is cancelled and nothing is written', async () => {
    const { client, held } = heldWorld();
    const operator = start(client);
    const request = await held;
    expect(request.signal?.aborted).toBe(false);

    await operator.stop();
    expect(request.signal?.aborted).toBe(true);
    expect(client.writes).toEqual([]);
    const reconciles = await operator.metrics.reconciles.get();
    expect(reconciles.values).toEqual([
      expect.objectContaining({ labels: { result: 'cancelled' }, value: 1 }),
    ]);
  });

  it('aborts a reconcile in flight when another replica takes the lease, and reconciles again once it leads again', async () => {
    const { client, held } = heldWorld();
    let lost!: () => void;
    const lostLeadership = new Promise<void>((resolve) => {
      lost = resolve;
    });
    const operator = start(client, {
      leaderElection: {
        namespace: 'sluice-system',
        name: 'sluice-operator',
        identity: 'me',
        retryPeriodMs: 20,
      },
      onLostLeadership: lost,
    });
    const request = await held;
    const lease = client.peek(LEASES, 'sluice-system', 'sluice-operator');
    expect(lease?.spec).toMatchObject({ holderIdentity: 'me' });
    client.put(LEASES, {
      ...(lease as KubeObject),
      spec: { holderIdentity: 'other', leaseDurationSeconds: 15, renewTime: new Date().toISOString() },
    });

    await lostLeadership;
    expect(request.signal?.aborted).toBe(true);
    const written = () => client.writes.filter((write) => !write.includes('leases/'));
    expect(written()).toEqual([]);

    // The other replica goes away: this one takes the lease and a new term reconciles.
    client.remove(LEASES, 'sluice-system', 'sluice-operator');
    await vi.waitFor(() => expect(written()).toContain('apply configmaps/sluice-gateway-config'), {
      timeout: 5000,
    });
    expect(operator.isLeader).toBe(true);
    await operator.stop();
  });
});
