import type { Logger } from 'pino';
import { startOperator } from '../../operator/controller/operator-controller.ts';
import { createEventRecorder } from '../../operator/kube/event-recorder.ts';
import { createKubeClient, loadKubeConfig } from '../../operator/kube/kube-client.ts';
import type { FleetSettings, RouteSettings } from '../../operator/operator-config.ts';

const resources = { requests: { cpu: '100m', memory: '128Mi' } };

/**
 * The operator in the test process, as the identity of `kubeconfig`, watching `namespace`:
 * the fleet of the e2e tests (2 stable replicas, 1 canary, one image) with `fleet` over it.
 * Resolves once it leads.
 */
export async function startInProcessOperator(options: {
  readonly kubeconfig: string;
  readonly namespace: string;
  readonly logger: Logger;
  readonly routes: RouteSettings;
  readonly fleet?: Partial<FleetSettings>;
  /** How often the operator polls the gateway pods (its default otherwise). */
  readonly observeIntervalMs?: number;
}): Promise<ReturnType<typeof startOperator>> {
  const client = createKubeClient(loadKubeConfig(options.kubeconfig));
  const operator = startOperator({
    client,
    logger: options.logger,
    events: createEventRecorder(client, options.logger),
    namespaces: [options.namespace],
    fleet: {
      settings: {
        stable: { image: 'sluice/gateway:0.1.0', replicas: 2, resources },
        canary: { image: 'sluice/gateway:0.1.0', replicas: 1, resources },
        canaryGraceSeconds: 60,
        ...options.fleet,
      },
      routes: options.routes,
      ...(options.observeIntervalMs === undefined
        ? {}
        : { observe: { intervalMs: options.observeIntervalMs, timeoutMs: 2000 } }),
    },
  });
  await operator.leading;
  return operator;
}
