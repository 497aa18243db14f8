import { isDnsLabel } from '../api/dns-label.ts';
import type { KafkaProducerSpec } from '../api/kafka-producer-spec.ts';
import { digestOf } from './applied-digest.ts';
import type { SpecObject } from './render-gateway-config.ts';

/**
 * Every Secret the KafkaProducers of a namespace reference (SASL credentials, TLS CA and
 * client certificate), sorted and unique. Gateway pods mount each of them, whether the
 * producer is used yet or not, so adding a repo never changes the pod spec. Pure.
 */
export function referencedSecretNames(producers: readonly SpecObject<KafkaProducerSpec>[]): string[] {
  const names = new Set<string>();
  for (const { spec } of producers) {
    if (spec.sasl?.secretRef?.name) names.add(spec.sasl.secretRef.name);
    if (spec.tls?.caSecretRef?.name) names.add(spec.tls.caSecretRef.name);
    if (spec.tls?.clientCertSecretRef?.name) names.add(spec.tls.clientCertSecretRef.name);
  }
  return [...names].sort();
}

/**
 * The pod volume name of a Secret: `secret-<name>` when that is a DNS-1123 label, else
 * `secret-<digest>` (Secret names may hold dots and run to 253 characters). Deterministic.
 */
export function secretVolumeName(secret: string): string {
  const readable = `secret-${secret}`;
  return isDnsLabel(readable) ? readable : `secret-${digestOf(secret)}`;
}
