/** A SASL user of the test broker. */
export interface KafkaTestUser {
  readonly username: string;
  readonly password: string;
}

/**
 * The secured listeners of the local test broker (test/infra/kafka-broker.ts with
 * `security`), provided to the integration project as inject('kafkaSecurity'). The
 * passwords are random per run.
 */
export interface KafkaSecurityInfo {
  /** SASL_PLAINTEXT listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), `127.0.0.1:<port>`. */
  readonly saslBrokers: string;
  /** SSL listener, `127.0.0.1:<port>`; its certificate names IP 127.0.0.1 and localhost. */
  readonly sslBrokers: string;
  /** PEM of the CA that signed the SSL listener's certificate. */
  readonly caFile: string;
  readonly users: {
    readonly plain: KafkaTestUser;
    readonly 'scram-sha-256': KafkaTestUser;
    readonly 'scram-sha-512': KafkaTestUser;
  };
}
