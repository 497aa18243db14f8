import { describe, expect, it } from 'vitest';
import type { KafkaProducerSpec } from '../api/kafka-producer-spec.ts';
import { gatewaySecretNames, secretVolumeName } from './gateway-secret-names.ts';
import type { SpecObject } from './render-gateway-config.ts';

const producer = (spec: Partial<KafkaProducerSpec>): SpecObject<KafkaProducerSpec> => ({
  metadata: { name: 'p' },
  spec: { brokers: ['k:9092'], ...spec } as KafkaProducerSpec,
});
const sasl = (name: string) =>
  ({
    mechanism: 'plain',
    secretRef: { name, usernameKey: 'username', passwordKey: 'password' },
  }) as KafkaProducerSpec['sasl'];

describe('gatewaySecretNames', () => {
  it.each([
    { name: 'no secrets', producers: [producer({})], secrets: [] },
    { name: 'SASL', producers: [producer({ sasl: sasl('kafka-user') })], secrets: ['kafka-user'] },
    {
      name: 'TLS CA and client certificate, sorted, unique across producers',
      producers: [
        producer({
          tls: {
            enabled: true,
            rejectUnauthorized: true,
            caSecretRef: { name: 'kafka-ca', key: 'ca.crt' },
            clientCertSecretRef: { name: 'client', certKey: 'tls.crt', keyKey: 'tls.key' },
          } as KafkaProducerSpec['tls'],
        }),
        producer({ sasl: sasl('kafka-ca') }),
      ],
      secrets: ['client', 'kafka-ca'],
    },
  ])('$name', ({ producers, secrets }) => {
    expect(gatewaySecretNames(producers)).toEqual(secrets);
  });
});

describe('gatewaySecretNames with repos and fleet Secrets', () => {
  it.each([
    { name: 'repo without auth', repos: [{}], extra: [], secrets: ['kafka-user'] },
    {
      name: 'repo token Secrets join the producer ones, unique and sorted',
      repos: [
        { auth: { secretRef: { name: 'ingest-tokens', key: 'tokens' } } },
        { auth: { secretRef: { name: 'kafka-user', key: 'tokens' } } },
      ],
      extra: [],
      secrets: ['ingest-tokens', 'kafka-user'],
    },
    {
      name: 'fleet listener certificate',
      repos: [],
      extra: ['gateway-tls'],
      secrets: ['gateway-tls', 'kafka-user'],
    },
  ])('$name', ({ repos, extra, secrets }) => {
    const producers = [producer({ sasl: sasl('kafka-user') })];
    const repoObjects = repos.map((spec, i) => ({ metadata: { name: `r${i}` }, spec }));
    expect(gatewaySecretNames(producers, repoObjects as never, extra)).toEqual(secrets);
  });
});

describe('secretVolumeName', () => {
  it.each([
    { secret: 'kafka-user', volume: /^secret-kafka-user$/ },
    { secret: 'kafka.user', volume: /^secret-[0-9a-f]{16}$/ },
    { secret: 'x'.repeat(60), volume: /^secret-[0-9a-f]{16}$/ },
  ])('$secret → a DNS-1123 label', ({ secret, volume }) => {
    expect(secretVolumeName(secret)).toMatch(volume);
    expect(secretVolumeName(secret).length).toBeLessThanOrEqual(63);
  });
});
