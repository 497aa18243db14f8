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
