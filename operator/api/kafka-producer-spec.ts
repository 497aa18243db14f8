import { type Static, Type } from '@sinclair/typebox';
import { KafkaProducerSchema, SaslSchema, TlsSchema } from '../../kernel/config-schema.ts';

// The KafkaProducer resource: the gateway's Kafka producer settings (taken from
// the gateway schema itself, so the two cannot drift), with credentials as
// references to Secrets instead of file paths. The operator turns each
// reference into the path where gateway pods mount that Secret.

const SecretNameSchema = Type.String({
  minLength: 1,
  maxLength: 253,
  pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
  description: 'Name of a Secret in the namespace of this KafkaProducer.',
});
const SecretKeySchema = (fallback: string, what: string) =>
  Type.String({
    minLength: 1,
    maxLength: 253,
    pattern: '^[-._a-zA-Z0-9]+$',
    default: fallback,
    description: `Key of the Secret holding ${what}.`,
  });

export const KafkaTlsSpecSchema = Type.Object(
  {
    enabled: TlsSchema.properties.enabled,
    caSecretRef: Type.Optional(
      Type.Object(
        { name: SecretNameSchema, key: SecretKeySchema('ca.crt', 'the PEM CA bundle') },
        {
          additionalProperties: false,
          description: 'Secret with the CA bundle that signed the broker certificates.',
        },
      ),
    ),
    clientCertSecretRef: Type.Optional(
      Type.Object(
        {
          name: SecretNameSchema,
          certKey: SecretKeySchema('tls.crt', 'the PEM client certificate'),
          keyKey: SecretKeySchema('tls.key', 'the PEM private key'),
        },
        {
          additionalProperties: false,
          description: 'Secret with a client certificate and key for mutual TLS.',
        },
      ),
    ),
    rejectUnauthorized: TlsSchema.properties.rejectUnauthorized,
  },
  { additionalProperties: false, description: TlsSchema.description },
);

export const KafkaSaslSpecSchema = Type.Object(
  {
    mechanism: SaslSchema.properties.mechanism,
    secretRef: Type.Object(
      {
        name: SecretNameSchema,
        usernameKey: SecretKeySchema('username', 'the user name'),
        passwordKey: SecretKeySchema('password', 'the password'),
      },
      {
        additionalProperties: false,
        description:
          'Secret with the credentials. It is mounted into gateway pods, never copied into the config.',
      },
    ),
  },
  { additionalProperties: false, description: 'SASL authentication.' },
);

const { type: _type, tls: _tls, sasl: _sasl, ...producerFields } = KafkaProducerSchema.properties;

export const KafkaProducerSpecSchema = Type.Object(
  {
    ...producerFields,
    tls: Type.Optional(KafkaTlsSpecSchema),
    sasl: Type.Optional(KafkaSaslSpecSchema),
  },
  {
    additionalProperties: false,
    description: 'A Kafka producer that LogRepos of this namespace send through, shared by name.',
    'x-kubernetes-validations': [
      { rule: "!self.idempotent || self.acks == 'all'", message: 'idempotent requires acks: all' },
      { rule: '!self.idempotent || self.retries >= 1', message: 'idempotent requires retries of at least 1' },
    ],
  },
);
export type KafkaProducerSpec = Static<typeof KafkaProducerSpecSchema>;
