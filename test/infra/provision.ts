// Fetches what the integration tests run against before vitest starts, so the download time
// (minutes on a cold machine) is spent, and reported, outside any test timeout. Idempotent:
// with everything cached it only checks and prints. Usage: node test/infra/provision.ts
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureJava, ensureKafkaDistribution, kafkaVersion } from './kafka-broker.ts';
import { ensureKcat } from './kcat.ts';

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
  }
  const t = Date.now();
  const kcat = await ensureKcat();
  say(`kcat: ${kcat} (${seconds(t)})`);
  say(`done in ${seconds(started)}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`[provision] FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
