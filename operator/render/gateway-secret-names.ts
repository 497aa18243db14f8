import { digestOf } from '../../kernel/canonical-json.ts';
import { isDnsLabel } from '../api/dns-label.ts';
import type { KafkaProducerSpec } from '../api/kafka-producer-spec.ts';
import type { LogRepoSpec } from '../api/log-repo-spec.ts';
import type { SpecObject } from './render-gateway-config.ts';

/**
 * Every Secret the gateway pods of a namespace mount, sorted and unique: those the
 * KafkaProducers reference (SASL credentials, TLS CA and client certificate), those the
 * LogRepos reference (ingest bearer tokens) and `extra` ones (the fleet's listener
 * certificate). Each is mounted whether its object is in the config yet or not, so adding
 * a repo that reuses a Secret never changes the pod spec. Names only: the operator never
 * reads a Secret's data. Pure.
 */
export function gatewaySecretNames(
  producers: readonly SpecObject<KafkaProducerSpec>[],
  repos: readonly SpecObject<Pick<LogRepoSpec, 'auth'>>[] = [],
  extra: readonly string[] = [],
): string[] {
  const names = new Set<string>(extra);
  for (const { spec } of producers) {
    if (spec.sasl?.secretRef?.name) names.add(spec.sasl.secretRef.name);
    if (spec.tls?.caSecretRef?.name) names.add(spec.tls.caSecretRef.name);
    if (spec.tls?.clientCertSecretRef?.name) names.add(spec.tls.clientCertSecretRef.name);
  }
  for (const { spec } of repos) {
    if (spec.auth?.secretRef?.name) names.add(spec.auth.secretRef.name);
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
