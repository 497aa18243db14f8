import type { TestProject } from 'vitest/node';
import { findDockerEngine } from './docker-engine.ts';
import { waitForKafka } from './kafka-admin.ts';
import { ensureKafkaDistribution, kafkaVersion, startKafkaBroker } from './kafka-broker.ts';
import { serveKafkaControl } from './kafka-control.ts';
import { createPodNetwork, type PodNetwork } from './pod-network.ts';
import { provideSharedPart, type StartedPart } from './shared-setup.ts';

// The integration project's globalSetup: it supplies one Kafka cluster for the whole run.
// Choice, first that applies:
//   1. KAFKA_BROKERS is set: that existing cluster (it must answer; there is no fallback,
//      since whoever set it meant it).
//   2. A Docker engine answers (and SLUICE_KAFKA is not 'local'): a broker from
//      @testcontainers/kafka. SLUICE_KAFKA=docker demands this branch.
//   3. Otherwise: a local single-node KRaft broker run from Maven Central's jars
//      (test/infra/kafka-broker.ts), the case on the project's build machines and CI.
// The choice reaches tests as inject('kafkaBrokers') and, for child processes such as a
// gateway under test, as KAFKA_BROKERS. Only the local broker can be stopped and restarted
// by tests: see kafka-control.ts for how, and inject('kafkaControl') is null otherwise.
// When no broker can be had the run fails, in CI and locally alike: integration tests never
// skip silently. Every project of one run shares the broker (shared-setup.ts).

const log = (line: string) => process.stderr.write(`[kafka] ${line}\n`);

export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return provideSharedPart('kafka', project, startKafka);
}

async function startKafka(): Promise<StartedPart> {
  const previousEnv = process.env.KAFKA_BROKERS;
  const restoreEnv = () => {
    if (previousEnv === undefined) delete process.env.KAFKA_BROKERS;
    else process.env.KAFKA_BROKERS = previousEnv;
  };
  const mode = process.env.SLUICE_KAFKA ?? 'auto';
  if (!['auto', 'local', 'docker'].includes(mode)) {
    throw new Error(`SLUICE_KAFKA must be 'local', 'docker' or unset, not '${mode}'`);
  }

  if (previousEnv !== undefined && previousEnv.trim() !== '') {
    const brokers = previousEnv.trim();
    try {
      await waitForKafka(brokers, 30_000);
    } catch (error) {
      throw noBroker(`KAFKA_BROKERS=${brokers} is set but does not answer`, error);
    }
    log(`using the existing cluster KAFKA_BROKERS=${brokers}`);
    return {
      provided: {
        kafkaBrokers: brokers,
        kafkaSource: 'external',
        kafkaControl: null,
        kafkaSecurity: null,
        ...noPodNetwork(`the broker is an outside one (KAFKA_BROKERS=${brokers})`),
      },
      teardown: async () => undefined,
    };
  }

  const docker = mode === 'local' ? null : await findDockerEngine();
  if (mode === 'docker' && docker === null) {
    throw noBroker('SLUICE_KAFKA=docker is set but no Docker engine answers', null);
  }
  if (docker !== null) {
    log(`Docker engine answers at ${docker}; starting Kafka with testcontainers`);
    let container: { stop(): Promise<unknown> } | undefined;
    try {
      const { KafkaContainer } = await import('@testcontainers/kafka');
      const started = await new KafkaContainer(
        process.env.SLUICE_KAFKA_IMAGE ?? 'confluentinc/cp-kafka:7.9.0',
      )
        .withKraft()
        .withEnvironment({ KAFKA_NUM_PARTITIONS: '3', KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'true' })
        .start();
      container = started;
      // 9093 is the plaintext listener @testcontainers/kafka advertises to the host.
      const brokers = `${started.getHost()}:${started.getMappedPort(9093)}`;
      await waitForKafka(brokers, 60_000);
      process.env.KAFKA_BROKERS = brokers;
      log(`testcontainers broker on ${brokers}`);
      const owned = started;
      return {
        provided: {
          kafkaBrokers: brokers,
          kafkaSource: 'testcontainers',
          kafkaControl: null,
          kafkaSecurity: null,
          ...noPodNetwork('the broker runs in a container'),
        },
        teardown: async () => {
          restoreEnv();
          await owned.stop();
        },
      };
    } catch (error) {
      await container?.stop().catch(() => undefined);
      throw noBroker('the Docker engine answers but the Kafka container did not start', error);
    }
  }

  // The pod network first: the broker listens on its host address too, for the gateway
  // processes that play pods in network namespaces (the e2e tests through a real proxy). Only
  // those tests need it, so a machine without it still runs the others; they fail with why.
  let network: PodNetwork | undefined;
  let networkError = '';
  try {
    network = await createPodNetwork();
    log(`pod network ${network.info.cidr} on bridge ${network.info.bridge}`);
  } catch (error) {
    networkError = error instanceof Error ? error.message : String(error);
    log(`no pod network: ${networkError}`);
  }
  let broker: Awaited<ReturnType<typeof startKafkaBroker>> | undefined;
  try {
    const libsDir = await ensureKafkaDistribution({ log });
    broker = await startKafkaBroker({
      libsDir,
      security: true,
      ...(network === undefined ? {} : { podListenerHost: network.info.hostAddress }),
    });
  } catch (error) {
    await network?.remove();
    throw noBroker(`the local Apache Kafka ${await kafkaVersion()} broker could not be started`, error);
  }
  const control = await serveKafkaControl(broker);
  log(
    `local Apache Kafka ${await kafkaVersion()} broker on ${broker.brokers}, ready in ` +
      `${(broker.lastStartMs / 1000).toFixed(1)} s (log: ${broker.logFile})`,
  );
  process.env.KAFKA_BROKERS = broker.brokers;
  const owned = broker;
  return {
    provided: {
      kafkaBrokers: broker.brokers,
      kafkaSource: 'local',
      kafkaControl: control.info,
      kafkaSecurity: broker.security ?? null,
      ...(network === undefined || owned.podBrokers === undefined
        ? noPodNetwork(networkError)
        : { podNetwork: network.info, kafkaPodBrokers: owned.podBrokers, podNetworkProblem: null }),
    },
    teardown: async () => {
      restoreEnv();
      await control.close();
      await owned.stop();
      await network?.remove();
    },
  };
}

function noPodNetwork(why: string) {
  return { podNetwork: null, kafkaPodBrokers: null, podNetworkProblem: why };
}

function noBroker(reason: string, cause: unknown): Error {
  const detail = cause instanceof Error ? `\n${cause.message}` : '';
  const where = process.env.CI ? 'CI run' : 'test run';
  return new Error(
    `No Kafka broker for the integration tests, so this ${where} fails: ${reason}.${detail}\n` +
      'Run `node test/infra/provision.ts` to fetch the broker (Java 17 and Maven needed), ' +
      'point KAFKA_BROKERS at a running cluster, or provide a Docker engine.',
    { cause },
  );
}
