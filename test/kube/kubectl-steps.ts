import { readFile } from 'node:fs/promises';
import { kubectlOk } from '../infra/kubectl.ts';

// What a platform engineer types, shared by the kube and e2e tests.

const QUICKSTART = ['kafka-producer.yaml', 'log-repo-access.yaml', 'log-repo-errors.yaml'];

/** `kubectl apply`s examples/quickstart (a KafkaProducer and two LogRepos) into `namespace`. */
export async function applyQuickstart(namespace: string): Promise<void> {
  for (const file of QUICKSTART) {
    const text = await readFile(`examples/quickstart/${file}`, 'utf8');
    await kubectlOk(['apply', '-f', '-'], {
      input: text.replaceAll('namespace: logs', `namespace: ${namespace}`),
    });
  }
}

/** `kubectl patch logrepo NAME --type merge -p PATCH`. */
export function patchLogRepo(
  namespace: string,
  name: string,
  patch: object,
  options: { kubeconfig?: string } = {},
): Promise<string> {
  return kubectlOk(
    ['patch', 'logrepo', name, '-n', namespace, '--type', 'merge', '-p', JSON.stringify(patch)],
    options,
  );
}

/**
 * Plays the Deployment controller where none runs (the shared test apiserver has no
 * kube-controller-manager and no kubelet): waits for Deployment `name` to exist, then writes
 * `replicas` ready and available pods into its status, as the controller would once the pods
 * came up. The operator routes a canary share only to a track with an available pod.
 */
export async function markDeploymentAvailable(
  namespace: string,
  name: string,
  replicas = 1,
  options: { kubeconfig?: string; timeoutMs?: number } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  const kubeconfig = options.kubeconfig === undefined ? {} : { kubeconfig: options.kubeconfig };
  for (;;) {
    const found = await kubectlOk(
      ['get', 'deployment', name, '-n', namespace, '--ignore-not-found', '-o', 'name'],
      kubeconfig,
    );
    if (found.trim() !== '') break;
    if (Date.now() > deadline) throw new Error(`deployment ${namespace}/${name} did not appear`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  const status = {
    replicas,
    readyReplicas: replicas,
    availableReplicas: replicas,
    updatedReplicas: replicas,
  };
  await kubectlOk(
    [
      'patch',
      'deployment',
      name,
      '-n',
      namespace,
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status }),
    ],
    kubeconfig,
  );
}
