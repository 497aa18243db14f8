import { KafkaProducerSchema } from '../../kernel/config-schema.ts';

export type KafkaEngine = (typeof KafkaProducerSchema.properties.engine.anyOf)[number]['const'];

/**
 * Every Kafka engine the config schema offers, so the integration suite runs against each
 * one (a new engine is covered as soon as the schema lists it). SLUICE_TEST_ENGINES=a,b
 * narrows the list while working on one engine.
 */
export function kafkaEngines(): KafkaEngine[] {
  const all = KafkaProducerSchema.properties.engine.anyOf.map((literal) => literal.const);
  const raw = process.env.SLUICE_TEST_ENGINES?.trim();
  if (!raw) return all;
  const wanted = raw.split(',').map((name) => name.trim());
  const unknown = wanted.filter((name) => !all.includes(name as KafkaEngine));
  if (unknown.length > 0) throw new Error(`SLUICE_TEST_ENGINES: unknown engine(s) ${unknown.join(', ')}`);
  return all.filter((engine) => wanted.includes(engine));
}
