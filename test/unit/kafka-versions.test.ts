import { describe, expect, it } from 'vitest';
import { brokerLogging, KAFKA_VERSIONS, selectKafkaVersion } from '../infra/kafka-versions.ts';

describe('selectKafkaVersion', () => {
  it.each([
    [{}, { ok: true, version: KAFKA_VERSIONS.default }],
    [{ SLUICE_KAFKA_VERSION: ' ' }, { ok: true, version: KAFKA_VERSIONS.default }],
    [
      { SLUICE_KAFKA_VERSION: KAFKA_VERSIONS.compatibility },
      { ok: true, version: KAFKA_VERSIONS.compatibility },
    ],
  ])('%o → %o', (env, expected) => {
    expect(selectKafkaVersion(env)).toEqual(expected);
  });

  it('refuses a version that is not pinned', () => {
    const result = selectKafkaVersion({ SLUICE_KAFKA_VERSION: '2.8.1' });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toContain(KAFKA_VERSIONS.default);
  });
});

describe('brokerLogging', () => {
  it.each([
    ['3.9.2', 'reload4j'],
    ['4.0.0', 'log4j2'],
    ['4.4.0', 'log4j2'],
  ])('%s logs through %s', (version, logging) => {
    expect(brokerLogging(version)).toBe(logging);
  });
});
