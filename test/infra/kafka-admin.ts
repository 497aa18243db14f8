import { randomBytes } from 'node:crypto';
import kafkajs, { type Admin } from 'kafkajs';
import { sleep } from './system-tools.ts';

const { Kafka, logLevel } = kafkajs;

export interface AdminOptions {
  clientId?: string;
  connectionTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** kafkajs retries per call; probes use 0 so each attempt fails fast and the caller decides. */
  retries?: number;
}

/**
 * A kafkajs admin client that stays silent: kafkajs logs every refused connection at ERROR,
 * which would bury test output while a broker is still starting or deliberately stopped.
 */
export function createKafkaAdmin(brokers: string, options: AdminOptions = {}): Admin {
  const kafka = new Kafka({
    clientId: options.clientId ?? 'sluice-test-admin',
    brokers: splitBrokers(brokers),
    logLevel: logLevel.NOTHING,
    connectionTimeout: options.connectionTimeoutMs ?? 3_000,
    requestTimeout: options.requestTimeoutMs ?? 10_000,
    retry: { retries: options.retries ?? 5, initialRetryTime: 100, maxRetryTime: 2_000 },
  });
  return kafka.admin();
}

export function splitBrokers(brokers: string): string[] {
  return brokers
    .split(',')
    .map((b) => b.trim())
    .filter((b) => b !== '');
}

/** Runs `fn` with a connected admin client and always disconnects it. */
export async function withKafkaAdmin<T>(
  brokers: string,
  fn: (admin: Admin) => Promise<T>,
  options?: AdminOptions,
): Promise<T> {
  const admin = createKafkaAdmin(brokers, options);
  await admin.connect();
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * One readiness probe: true when the cluster answers a metadata request that lists at least
 * one broker. A KRaft broker only opens its client listener once it is unfenced, so this is
 * the point where produce and topic creation work. Bounded even against a paused broker,
 * which accepts TCP connections but never answers.
 */
export async function probeKafka(brokers: string, timeoutMs = 5_000): Promise<boolean> {
  const admin = createKafkaAdmin(brokers, {
    connectionTimeoutMs: Math.min(1_000, timeoutMs),
    requestTimeoutMs: timeoutMs,
    retries: 0,
  });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const probe = (async () => {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0;
  })().catch(() => false);
  try {
    return await Promise.race([probe, timeout]);
  } finally {
    clearTimeout(timer);
    void admin.disconnect().catch(() => undefined);
  }
}

/** Polls until the cluster answers metadata requests; throws after `timeoutMs`. */
export async function waitForKafka(brokers: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await probeKafka(brokers, Math.max(500, Math.min(5_000, deadline - Date.now())))) return;
    if (Date.now() >= deadline) {
      throw new Error(`Kafka at ${brokers} did not answer a metadata request within ${timeoutMs} ms`);
    }
    await sleep(250);
  }
}

/** A topic name no other test (or earlier run against the same cluster) uses. */
export function uniqueTopicName(prefix = 'test'): string {
  return `sluice-${prefix}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
}

export interface CreateTopicOptions {
  replicationFactor?: number;
  configs?: Record<string, string>;
}

/**
 * Creates a topic and resolves once every partition has a leader, so a produce right after
 * does not race the topic's creation. An already existing topic is left as it is.
 */
export async function createTopic(
  brokers: string,
  topic: string,
  partitions = 3,
  options: CreateTopicOptions = {},
): Promise<void> {
  await withKafkaAdmin(brokers, async (admin) => {
    // kafkajs refreshes the new topic's metadata after creating it and retries only
    // LEADER_NOT_AVAILABLE; a Kafka 4 broker answers UNKNOWN_TOPIC_OR_PARTITION until the
    // topic reached its metadata cache. That answer means "not yet": the poll below waits.
    const notYet = (error: unknown) => (error as { type?: unknown }).type === 'UNKNOWN_TOPIC_OR_PARTITION';
    await admin
      .createTopics({
        timeout: 30_000,
        topics: [
          {
            topic,
            numPartitions: partitions,
            replicationFactor: options.replicationFactor ?? 1,
            configEntries: Object.entries(options.configs ?? {}).map(([name, value]) => ({ name, value })),
          },
        ],
      })
      .catch((error: unknown) => {
        if (!notYet(error)) throw error;
      });
    const deadline = Date.now() + 30_000;
    for (;;) {
      const ready = await admin
        .fetchTopicMetadata({ topics: [topic] })
        .then((metadata) => {
          const found = metadata.topics[0]?.partitions ?? [];
          return found.length >= partitions && found.every((partition) => partition.leader >= 0);
        })
        .catch(() => false);
      if (ready) return;
      if (Date.now() > deadline) throw new Error(`topic ${topic}: no leader for every partition within 30 s`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  });
}

export async function deleteTopic(brokers: string, topic: string): Promise<void> {
  await withKafkaAdmin(brokers, (admin) => admin.deleteTopics({ topics: [topic], timeout: 30_000 }));
}
