import type { KafkaControlInfo } from './kafka-control.ts';
import type { KafkaSecurityInfo } from './kafka-security.ts';
import type { PodNetworkInfo } from './pod-network.ts';

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
    /**
     * The local broker's SASL_PLAINTEXT and SSL listeners with their users and CA; null when
     * the broker is not ours (KAFKA_BROKERS, testcontainers).
     */
    kafkaSecurity: KafkaSecurityInfo | null;
    /** The run's pod network (pod-network.ts), on which the local broker also listens; null without one. */
    podNetwork: PodNetworkInfo | null;
    /** Bootstrap servers reachable from the pod network's namespaces; null without one. */
    kafkaPodBrokers: string | null;
    /** Why there is no pod network (null when there is one): what the tests needing it fail with. */
    podNetworkProblem: string | null;
  }
}
