import type { KafkaControlInfo } from './kafka-control.ts';

// Values test/infra/kafka-global-setup.ts provides to the `integration` project; tests read
// them with vitest's inject().
declare module 'vitest' {
  export interface ProvidedContext {
    /** Bootstrap servers, comma separated (also in process.env.KAFKA_BROKERS). */
    kafkaBrokers: string;
    /** Where the broker came from. */
    kafkaSource: 'external' | 'testcontainers' | 'local';
    /** Control of the local broker for fault tests; null when the broker is not ours to stop. */
    kafkaControl: KafkaControlInfo | null;
  }
}
