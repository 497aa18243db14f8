import type { KubeControlInfo } from './kube-control.ts';

// Values test/infra/kube-global-setup.ts provides to the `kube` project; tests read them with
// vitest's inject().
declare module 'vitest' {
  export interface ProvidedContext {
    /** Path of a kubeconfig for the test cluster (also in process.env.KUBECONFIG). */
    kubeconfig: string;
    /** Where the cluster came from. */
    kubeSource: 'external' | 'testcontainers' | 'local';
    /** Control of the local apiserver for restart tests; null when it is not ours to restart. */
    kubeControl: KubeControlInfo | null;
  }
}
