// Fetches and builds what the integration and kube tests run against before vitest starts, so
// the download and build time (minutes on a cold machine: the Kubernetes build alone takes
// tens of minutes on 2 cores) is spent, and reported, outside any test timeout. Idempotent:
// with everything cached it only checks and prints. Usage: node test/infra/provision.ts
import { dirname, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureHadolint } from './hadolint.ts';
import { ensureHelm, prometheusOperatorCrdDir } from './helm.ts';
import { ensureJava, ensureKafkaDistribution, kafkaVersion } from './kafka-broker.ts';
import { KAFKA_VERSIONS } from './kafka-versions.ts';
import { ensureKcat } from './kcat.ts';
import { ensureKubeBinaries, KUBE_COMPONENTS } from './kube-binaries.ts';
import { bindingLoads } from './librdkafka-binding.ts';
import { checkPodNetworkSupport } from './pod-network.ts';
import { ensurePromtool } from './promtool.ts';
import { ensureOpenssl } from './test-pki.ts';
import { ensureTraefik } from './traefik.ts';
import { upstreamCrdDir } from './upstream-crds.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const say = (line: string) => process.stdout.write(`[provision] ${line}\n`);
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)} s`;

async function main(): Promise<void> {
  const started = Date.now();
  if (process.env.KAFKA_BROKERS) {
    say(`kafka: KAFKA_BROKERS=${process.env.KAFKA_BROKERS} is set; no local broker needed`);
  } else {
    const t = Date.now();
    const libs = await ensureKafkaDistribution({ log: (line) => say(`kafka: ${line}`) });
    const java = await ensureJava();
    say(
      `kafka: Apache Kafka ${await kafkaVersion()} ready in ${relative(root, libs)}, java ${java} (${seconds(t)})`,
    );
    // The compatibility run (SLUICE_KAFKA_VERSION) needs every pinned version's jars.
    for (const version of new Set(Object.values(KAFKA_VERSIONS))) {
      const other = await ensureKafkaDistribution({ version, log: (line) => say(`kafka: ${line}`) });
      say(`kafka: Apache Kafka ${version} ready in ${relative(root, other)}`);
    }
  }
  // The librdkafka engine's binding: built by npm install's postinstall; its suites need it.
  const tb = Date.now();
  if (!bindingLoads(root, process.execPath)) {
    throw new Error(
      '@confluentinc/kafka-javascript does not load (the librdkafka engine and its test suites need it): ' +
        'run `npm run build:librdkafka` and see its output',
    );
  }
  say(`librdkafka: @confluentinc/kafka-javascript loads (${seconds(tb)})`);
  const t = Date.now();
  const kcat = await ensureKcat();
  say(`kcat: ${kcat} (${seconds(t)})`);

  // With KUBECONFIG set the kube tests use that cluster and need only kubectl.
  const tk = Date.now();
  const external = Boolean(process.env.KUBECONFIG);
  const components = external ? (['kubectl'] as const) : KUBE_COMPONENTS;
  const kube = await ensureKubeBinaries({ components, log: (line) => say(`kube: ${line}`) });
  say(
    `kube: Kubernetes ${kube.kubernetesVersion} (${components.join(', ')}; etcd ${kube.etcdVersion}) ` +
      `ready in ${relative(root, dirname(kube.kubectl))} (${seconds(tk)})`,
  );
  if (!external) say(`kube: openssl ${await ensureOpenssl()}`);

  // The chart tests: helm, and the prometheus-operator CRDs the monitoring objects need.
  const th = Date.now();
  const helm = await ensureHelm({ log: (line) => say(`helm: ${line}`) });
  await prometheusOperatorCrdDir();
  say(`helm: ${helm.version} ready in ${relative(root, dirname(helm.path))} (${seconds(th)})`);
  // The routing layers' real CRDs (Gateway API, APISIX) for the kube and e2e tests.
  const tu = Date.now();
  say(`upstream CRDs: ${relative(root, await upstreamCrdDir())} (${seconds(tu)})`);
  // The e2e tests through a real proxy: Traefik, and pods in network namespaces.
  const tt = Date.now();
  const traefik = await ensureTraefik({ log: (line) => say(`traefik: ${line}`) });
  say(`traefik: ${traefik.version} ready in ${relative(root, dirname(traefik.path))} (${seconds(tt)})`);
  say(`pod network: network namespaces work (${await checkPodNetworkSupport()})`);
  const tl = Date.now();
  const hadolint = await ensureHadolint({ log: (line) => say(`hadolint: ${line}`) });
  say(`hadolint: ${relative(root, hadolint)} (${seconds(tl)})`);
  // The alert-rule tests: promtool, built like helm.
  const tp = Date.now();
  const prom = await ensurePromtool({ log: (line) => say(`promtool: ${line}`) });
  say(`promtool: ${prom.version} ready in ${relative(root, dirname(prom.path))} (${seconds(tp)})`);
  say(`done in ${seconds(started)}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`[provision] FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
