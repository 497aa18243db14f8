import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { KubeApiError, type KubeClient, type KubeObject, type ResourceRef } from '../kube/kube-client.ts';
import { decideLease, type LeaseSpec } from './lease-decision.ts';

export const LEASES: ResourceRef = {
  groupVersionPath: '/apis/coordination.k8s.io/v1',
  plural: 'leases',
  namespaced: true,
};

export interface LeaderElectionOptions {
  readonly client: KubeClient;
  readonly namespace: string;
  readonly name: string;
  readonly identity: string;
  readonly logger: Logger;
  readonly leaseDurationSeconds?: number;
  readonly retryPeriodMs?: number;
  /** A leader that cannot renew for this long steps down (must be shorter than the lease duration). */
  readonly renewDeadlineMs?: number;
  readonly now?: () => number;
}

/**
 * Lease-based leader election (coordination.k8s.io/v1), so two operator
 * replicas never reconcile at once. Updates use the lease's resourceVersion:
 * of two candidates racing for a free lease, one gets 409 Conflict and waits.
 * `run` resolves `leading` once this replica leads and returns a promise that
 * resolves when leadership is lost (the caller should then exit, as a stale
 * leader must not keep writing) or `stop` was called.
 */
export function runLeaderElection(options: LeaderElectionOptions) {
  const duration = options.leaseDurationSeconds ?? 15;
  const retryMs = options.retryPeriodMs ?? 2000;
  const renewDeadlineMs = options.renewDeadlineMs ?? 10_000;
  const now = options.now ?? Date.now;
  const { client, logger } = options;
  const controller = new AbortController();
  let markLeading!: () => void;
  const leading = new Promise<void>((resolve) => {
    markLeading = resolve;
  });
  let isLeader = false;

  const tryOnce = async (): Promise<boolean> => {
    // The election's own signal: stop() cancels a lease request in flight instead of waiting on it.
    const call = { signal: controller.signal };
    const existing = await client.get(LEASES, options.namespace, options.name, call);
    const decision = decideLease(existing?.spec as LeaseSpec | undefined, options.identity, now(), duration);
    if (decision.action === 'wait') return false;
    const lease: KubeObject = {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        name: options.name,
        namespace: options.namespace,
        ...(existing?.metadata.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
      },
      spec: decision.spec,
    };
    try {
      if (existing) await client.replace(LEASES, lease, call);
      else await client.create(LEASES, lease, call);
      return true;
    } catch (error) {
      if (error instanceof KubeApiError && (error.status === 409 || error.status === 422)) return false;
      throw error;
    }
  };

  const lost = (async () => {
    let lastRenew = now();
    while (!controller.signal.aborted) {
      try {
        const held = await tryOnce();
        if (held) {
          lastRenew = now();
          if (!isLeader) {
            isLeader = true;
            logger.info({ identity: options.identity, lease: options.name }, 'became leader');
            markLeading();
          }
        } else if (isLeader) {
          logger.warn({ identity: options.identity }, 'lost the lease to another replica');
          return;
        }
      } catch (error) {
        if (controller.signal.aborted) break;
        logger.warn({ err: error }, 'lease update failed');
        if (isLeader && now() - lastRenew > renewDeadlineMs) {
          logger.error('could not renew the lease before the deadline; stepping down');
          return;
        }
      }
      await sleep(retryMs, undefined, { signal: controller.signal }).catch(() => undefined);
    }
  })();

  return {
    leading,
    lost,
    get isLeader() {
      return isLeader;
    },
    /** Stops renewing; on a clean shutdown the lease is released so another replica takes over at once. */
    async stop(): Promise<void> {
      controller.abort();
      await lost;
      if (!isLeader) return;
      const existing = await client.get(LEASES, options.namespace, options.name).catch(() => undefined);
      if (existing && (existing.spec as LeaseSpec | undefined)?.holderIdentity === options.identity) {
        const released = {
          ...existing,
          spec: { ...(existing.spec as LeaseSpec), holderIdentity: '', leaseDurationSeconds: 1 },
        };
        await client.replace(LEASES, released).catch(() => undefined);
      }
    },
  };
}
