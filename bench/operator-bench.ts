import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { GATEWAY_CONFIG_KEY, GATEWAY_CONFIG_MAP } from '../operator/api/constants.ts';
import { CONFIG_MAPS, LOG_REPOS } from '../operator/controller/resources.ts';
import { createKubeClient, type KubeObject, loadKubeConfig } from '../operator/kube/kube-client.ts';
import { startKubeApiserver } from '../test/infra/kube-apiserver.ts';
import { applyManifests, installCrds, kubectlOk } from '../test/infra/kubectl.ts';
import { freePort, sleep } from '../test/infra/system-tools.ts';
import { summarizeLatencies } from './bench-stats.ts';
import { readProcessMemory } from './proc-stats.ts';

// Operator benchmark on a real kube-apiserver: N LogRepos and P KafkaProducers in one
// namespace; time from operator start to a converged ConfigMap and Ready statuses, API
// requests made, the operator's peak RSS; then single-repo edits and the latency from the
// edit to the ConfigMap carrying it. The operator runs as its own process.

const { values } = parseArgs({
  options: {
    repos: { type: 'string', default: '1000' },
    producers: { type: 'string', default: '20' },
    edits: { type: 'string', default: '100' },
  },
});
const repoCount = Number(values.repos);
const producerCount = Number(values.producers);
const editCount = Number(values.edits);
const ns = 'bench';
// Extra Node flags for the operator process, e.g. heap limits: SLUICE_BENCH_OPERATOR_NODE_ARGS.
const nodeArgs = (process.env.SLUICE_BENCH_OPERATOR_NODE_ARGS ?? '').split(' ').filter(Boolean);

const peakRssMb = async (pid: number) =>
  ((await readProcessMemory(pid))?.peakRssBytes ?? Number.NaN) / 1024 ** 2;

/** Each LogRepo the benchmark creates, and what each edit applies (with a new topic). */
const logRepo = (name: string, producer: string, topic: string) => ({
  apiVersion: 'sluice.dev/v1alpha1',
  kind: 'LogRepo',
  metadata: { name, namespace: ns },
  spec: {
    kafka: { producer, topic, mode: 'sync', key: 'host' },
    constraint: { field: 'status', exists: true },
    executers: [
      { type: 'splitter', field: 'request', separator: ' ', limit: 3 },
      { type: 'assigner', field: 'request', names: ['method', 'path', 'protocol'] },
    ],
  },
});

const apiserver = await startKubeApiserver();
let operator: ChildProcess | undefined;
try {
  await installCrds(join(import.meta.dirname, '..', 'crds'), { kubeconfig: apiserver.kubeconfig });
  const kubeconfig = { kubeconfig: apiserver.kubeconfig };
  await kubectlOk(['create', 'namespace', ns], kubeconfig);
  const documents: string[] = [];
  for (let p = 0; p < producerCount; p++) {
    documents.push(
      `apiVersion: sluice.dev/v1alpha1\nkind: KafkaProducer\nmetadata: { name: p${p}, namespace: ${ns} }\nspec: { brokers: ["kafka-${p}:9092"], compression: lz4 }`,
    );
  }
  // JSON is YAML.
  for (let r = 0; r < repoCount; r++) {
    documents.push(JSON.stringify(logRepo(`repo-${r}`, `p${r % producerCount}`, `logs.repo-${r}`)));
  }
  const created = performance.now();
  await applyManifests({ yaml: documents.join('\n---\n') }, { ...kubeconfig, fieldManager: 'bench' });
  console.log(
    `created ${producerCount} KafkaProducers and ${repoCount} LogRepos in ${((performance.now() - created) / 1000).toFixed(1)} s`,
  );

  const client = createKubeClient(loadKubeConfig(apiserver.kubeconfig));
  const healthPort = await freePort();
  const started = performance.now();
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      'operator/main.ts',
      '--kubeconfig',
      apiserver.kubeconfig,
      '--namespaces',
      ns,
      '--health-port',
      String(healthPort),
      '--no-leader-election',
      '--route-provider',
      'none',
    ],
    { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, LOG_LEVEL: 'warn' } },
  );
  operator = child;

  const converged = async () => {
    const map = await client.get(CONFIG_MAPS, ns, GATEWAY_CONFIG_MAP);
    const text = (map?.data as Record<string, string> | undefined)?.[GATEWAY_CONFIG_KEY];
    if (!text || Object.keys(JSON.parse(text).repos).length !== repoCount) return false;
    const { items } = await client.list(LOG_REPOS, ns);
    return items.every(
      (repo: KubeObject) =>
        (repo.status as { conditions?: Array<{ status: string }> } | undefined)?.conditions?.[0]?.status ===
        'True',
    );
  };
  while (!(await converged())) {
    if (performance.now() - started > 300_000) throw new Error('did not converge within 5 minutes');
    await sleep(200);
  }
  const convergeSeconds = (performance.now() - started) / 1000;
  const metrics = await (await fetch(`http://127.0.0.1:${healthPort}/metrics`)).text();
  const requests = [...metrics.matchAll(/sluice_operator_api_requests\{verb="(\w+)"\} (\d+)/g)].map(
    ([, verb, count]) => `${verb} ${count}`,
  );
  console.log(
    `converged in ${convergeSeconds.toFixed(1)} s; API requests: ${requests.join(', ')}; peak RSS ${(await peakRssMb(child.pid as number)).toFixed(1)} MB`,
  );

  const latencies: number[] = [];
  for (let edit = 0; edit < editCount; edit++) {
    const r = (edit * 7) % repoCount;
    const topic = `logs.edited-${edit}`;
    await client.apply(LOG_REPOS, logRepo(`repo-${r}`, `p${r % producerCount}`, topic), 'bench');
    const editedAt = performance.now();
    for (;;) {
      const map = await client.get(CONFIG_MAPS, ns, GATEWAY_CONFIG_MAP);
      const text = (map?.data as Record<string, string> | undefined)?.[GATEWAY_CONFIG_KEY] ?? '';
      if (text.includes(`"topic":"${topic}"`)) break;
      if (performance.now() - editedAt > 30_000) throw new Error(`edit ${edit} not applied within 30 s`);
      await sleep(10);
    }
    latencies.push(performance.now() - editedAt);
  }
  const edits = summarizeLatencies(latencies);
  console.log(
    `${editCount} single-repo edits → ConfigMap: p50 ${edits.p50.toFixed(0)} ms, p90 ${edits.p90.toFixed(0)} ms, max ${edits.max.toFixed(0)} ms; operator peak RSS ${(await peakRssMb(child.pid as number)).toFixed(1)} MB`,
  );
} finally {
  operator?.kill('SIGTERM');
  await sleep(500);
  await apiserver.stop();
}
