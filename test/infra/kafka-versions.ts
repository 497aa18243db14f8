// The Apache Kafka broker versions the tests run against: the one place they are pinned.
// The default is the current 4.x line; 3.9 is the compatibility run (the last line before
// 4.0 removed old protocol versions, and what many clusters still run). Both run KRaft
// with a static quorum (controller.quorum.voters), so the storage format is the same.

export const KAFKA_VERSIONS = { default: '4.4.0', compatibility: '3.9.2' } as const;

export type KafkaVersionResult = { ok: true; version: string } | { ok: false; message: string };

/**
 * The version a run uses: SLUICE_KAFKA_VERSION when set (a pinned version, or `default` /
 * `compatibility`, so scripts need not repeat a version number), else the default.
 */
export function selectKafkaVersion(env: NodeJS.ProcessEnv): KafkaVersionResult {
  const wanted = env.SLUICE_KAFKA_VERSION?.trim();
  if (!wanted) return { ok: true, version: KAFKA_VERSIONS.default };
  if (Object.hasOwn(KAFKA_VERSIONS, wanted)) {
    return { ok: true, version: KAFKA_VERSIONS[wanted as keyof typeof KAFKA_VERSIONS] };
  }
  const pinned: readonly string[] = Object.values(KAFKA_VERSIONS);
  if (!pinned.includes(wanted)) {
    return {
      ok: false,
      message: `SLUICE_KAFKA_VERSION=${wanted} is not one of the pinned versions ${pinned.join(', ')}`,
    };
  }
  return { ok: true, version: wanted };
}

/**
 * How a broker line logs: 3.x through slf4j 1.7 and reload4j (log4j 1.2 properties), 4.x
 * through log4j2 (its own properties format and system property).
 */
export type BrokerLogging = 'reload4j' | 'log4j2';

export function brokerLogging(version: string): BrokerLogging {
  return Number.parseInt(version, 10) >= 4 ? 'log4j2' : 'reload4j';
}
