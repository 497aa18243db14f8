import type { Logger } from 'pino';
import type { OperatorOptions } from './controller/operator-controller.ts';
import { createEventRecorder } from './kube/event-recorder.ts';
import type { KubeClient } from './kube/kube-client.ts';
import type { OperatorConfig } from './operator-config.ts';

/**
 * startOperator's options for the operator `config` describes, as operator/main.ts runs it:
 * its namespaces, workers, gateway fleet and routes, Events through `client`, and the Lease
 * when leader election is on. `identity` names the Lease holder (default: host name and pid).
 */
export function configuredOperatorOptions(
  config: OperatorConfig,
  client: KubeClient,
  logger: Logger,
  identity?: string,
): OperatorOptions {
  return {
    client,
    logger,
    events: createEventRecorder(client, logger),
    namespaces: config.namespaces,
    workers: config.workers,
    fleet: { settings: config.fleet, routes: config.routes },
    ...(config.leaderElection
      ? {
          leaderElection: {
            namespace: config.leaseNamespace,
            name: config.leaseName,
            ...(identity === undefined ? {} : { identity }),
          },
        }
      : {}),
  };
}
