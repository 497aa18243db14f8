import { join } from 'node:path';
import type { KubeApiserverHandle } from './kube-apiserver.ts';
import type { KubeBinaries } from './kube-binaries.ts';
import { kubectlOk } from './kubectl.ts';
import { ManagedProcess } from './managed-process.ts';
import { freePort } from './system-tools.ts';

// The real kube-controller-manager against a test apiserver of a test file's own
// (startKubeApiserver), with just the controllers a test names. It acts on every namespace
// of that apiserver, which is why it never runs against the run's shared one.

/** What Deployments, PodDisruptionBudgets and owner references need; no node lifecycle, no pod GC. */
export const FLEET_CONTROLLERS = [
  'deployment-controller',
  'replicaset-controller',
  'garbage-collector-controller',
  'disruption-controller',
  'serviceaccount-controller',
  'serviceaccount-token-controller',
  'namespace-controller',
] as const;

/** Starts kube-controller-manager with `controllers`; the caller stops it with `shutdown()`. */
export async function startControllerManager(
  apiserver: KubeApiserverHandle,
  binaries: KubeBinaries,
  controllers: readonly string[],
): Promise<ManagedProcess> {
  const manager = new ManagedProcess({
    name: 'kube-controller-manager',
    command: binaries.controllerManager,
    args: [
      `--kubeconfig=${apiserver.kubeconfig}`,
      `--authentication-kubeconfig=${apiserver.kubeconfig}`,
      `--authorization-kubeconfig=${apiserver.kubeconfig}`,
      `--service-account-private-key-file=${apiserver.serviceAccountKeyFile}`,
      `--root-ca-file=${apiserver.caFile}`,
      `--cluster-signing-cert-file=${apiserver.caFile}`,
      `--cluster-signing-key-file=${apiserver.caKeyFile}`,
      '--use-service-account-credentials',
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${await freePort()}`,
      `--controllers=${controllers.join(',')}`,
    ],
    cwd: apiserver.dir,
    logFile: join(apiserver.dir, 'kube-controller-manager.log'),
    cleanupDir: apiserver.dir,
  });
  manager.start();
  return manager;
}

/**
 * Registers a Node object that reports Ready, as a kubelet would on joining, so pods can be
 * bound to it and the EndpointSlice controller finds their node. No heartbeats follow: run
 * the controller manager without the node-lifecycle controller.
 */
export async function registerFakeNode(
  kubeconfig: string,
  name: string,
  options: { address?: string; message?: string } = {},
): Promise<void> {
  await kubectlOk(['apply', '-f', '-'], {
    kubeconfig,
    input: `apiVersion: v1\nkind: Node\nmetadata: { name: ${name}, labels: { kubernetes.io/hostname: ${name}, topology.kubernetes.io/zone: zone-a } }\n`,
  });
  const status = {
    conditions: [
      { type: 'Ready', status: 'True', reason: 'KubeletReady', message: options.message ?? 'fake node' },
    ],
    ...(options.address === undefined
      ? {}
      : { addresses: [{ type: 'InternalIP', address: options.address }] }),
    allocatable: { cpu: '8', memory: '16Gi', pods: '110' },
    capacity: { cpu: '8', memory: '16Gi', pods: '110' },
  };
  await kubectlOk(
    ['patch', 'node', name, '--subresource=status', '--type=merge', '-p', JSON.stringify({ status })],
    {
      kubeconfig,
    },
  );
}

/** Resolves once the ServiceAccount controller gave `namespace` its `default` account: the manager is up. */
export async function controllerManagerServes(
  kubeconfig: string,
  namespace: string,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await kubectlOk(
      ['get', 'serviceaccount', 'default', '-n', namespace, '--ignore-not-found', '-o', 'name'],
      {
        kubeconfig,
      },
    );
    if (found.trim() !== '') return;
    if (Date.now() > deadline)
      throw new Error(`kube-controller-manager gave ${namespace} no default ServiceAccount in time`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
