import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { ensureJava, ensureKafkaDistribution, kafkaVersion } from './kafka-broker.ts';
import type { KafkaControlInfo } from './kafka-control.ts';
import { runCommand, tail } from './system-tools.ts';

// What the broker stored, read from its log segments with Kafka's own DumpLogSegments (in
// the provisioned jars). Consumers such as kcat decompress transparently, so they cannot tell
// whether a batch travelled compressed; the segment's batch header can, and it also shows
// whether the producer that wrote a batch was idempotent (a producer id and sequence).

/** One record batch as DumpLogSegments describes it. */
export interface StoredBatch {
  readonly baseOffset: number;
  readonly lastOffset: number;
  readonly count: number;
  /** -1 for a producer that is not idempotent. */
  readonly producerId: number;
  readonly producerEpoch: number;
  /** -1 for a producer that is not idempotent. */
  readonly baseSequence: number;
  /** The batch's compression codec as the broker names it: none, gzip, snappy, lz4, zstd. */
  readonly codec: string;
}

/**
 * The record batches of every segment of one partition, in offset order. Needs the local
 * broker of the integration setup (its log directory); with any other broker this throws,
 * so such a test fails rather than skips.
 */
export async function storedBatches(
  control: KafkaControlInfo | null | undefined,
  topic: string,
  partition = 0,
): Promise<StoredBatch[]> {
  if (control === null || control === undefined) {
    throw new Error(
      "Reading the broker's log segments needs the local broker started by " +
        'test/infra/kafka-global-setup.ts. Unset KAFKA_BROKERS and run with SLUICE_KAFKA=local.',
    );
  }
  const dir = join(control.dataDir, `${topic}-${partition}`);
  const segments = (await readdir(dir)).filter((name) => name.endsWith('.log')).sort();
  if (segments.length === 0) throw new Error(`no log segment in ${dir}`);
  const [java, libs] = await Promise.all([ensureJava(), ensureKafkaDistribution()]);
  const result = await runCommand(
    java,
    [
      '-Xmx128m',
      '-cp',
      join(libs, '*'),
      // Kafka 4 moved the tool from the Scala core (kafka.tools) into kafka-tools.
      (await kafkaVersion()).startsWith('3.')
        ? 'kafka.tools.DumpLogSegments'
        : 'org.apache.kafka.tools.DumpLogSegments',
      '--files',
      segments.map((name) => join(dir, name)).join(','),
    ],
    { timeoutMs: 120_000 },
  );
  if (result.code !== 0) {
    throw new Error(
      `DumpLogSegments failed (exit ${result.code ?? result.signal}):\n${tail(`${result.stdout}\n${result.stderr}`, 30)}`,
    );
  }
  return parseDumpLogSegments(result.stdout);
}

const FIELD = (name: string) => new RegExp(`(?:^|\\s)${name}: (\\S+)`);

/** The batch lines of DumpLogSegments output (`baseOffset: … compresscodec: …`). */
export function parseDumpLogSegments(output: string): StoredBatch[] {
  const batches: StoredBatch[] = [];
  for (const line of output.split('\n')) {
    if (!line.startsWith('baseOffset:')) continue;
    const field = (name: string) => {
      const match = FIELD(name).exec(line);
      if (match?.[1] === undefined) throw new Error(`DumpLogSegments line without ${name}: ${line}`);
      return match[1];
    };
    batches.push({
      baseOffset: Number(field('baseOffset')),
      lastOffset: Number(field('lastOffset')),
      count: Number(field('count')),
      producerId: Number(field('producerId')),
      producerEpoch: Number(field('producerEpoch')),
      baseSequence: Number(field('baseSequence')),
      codec: field('compresscodec').toLowerCase(),
    });
  }
  return batches;
}
