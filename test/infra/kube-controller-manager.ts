import { join } from 'node:path';
import type { KubeApiserverHandle } from './kube-apiserver.ts';
import type { KubeBinaries } from './kube-binaries.ts';
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
