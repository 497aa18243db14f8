import { type Static, Type } from '@sinclair/typebox';
import {
  ConstraintSchema,
  DeadLetterSchema,
  DecoderSchema,
  described,
  ExecutersSchema,
  FieldPathSchema,
  OnExecuterErrorSchema,
} from './pipeline-schema.ts';

// The single source of truth for the gateway configuration file. The gateway
// validates its file with these schemas, the operator renders config that
// satisfies them, and the CRD OpenAPI schemas are generated from them, so every
// field carries a description that reads well in `kubectl explain`.

const KiB = 1024;
const MiB = 1024 * KiB;

export const CompressionSchema = Type.Union(
  [
    Type.Literal('none'),
    Type.Literal('gzip'),
    Type.Literal('snappy'),
    Type.Literal('lz4'),
    Type.Literal('zstd'),
  ],
  {
    description:
      'Compression codec for record batches. All codecs interoperate with librdkafka and Java consumers.',
    default: 'lz4',
  },
);
export type Compression = Static<typeof CompressionSchema>;

export const AcksSchema = Type.Union([Type.Literal('all'), Type.Literal('leader'), Type.Literal('none')], {
  description:
    'Acknowledgement the broker gives before a batch counts as delivered: all in-sync replicas (all), the partition leader only (leader), or none. Sync-mode 200 responses are only as durable as this setting.',
  default: 'all',
});
export type Acks = Static<typeof AcksSchema>;

export const BatchSchema = Type.Object(
  {
    maxMessages: Type.Integer({
      minimum: 1,
      maximum: 100_000,
      default: 1000,
      description: 'Flush a batch once it holds this many messages.',
    }),
    maxBytes: Type.Integer({
      minimum: 1 * KiB,
      maximum: 64 * MiB,
      default: 1 * MiB,
      description: 'Flush a batch once its uncompressed message bytes reach this size.',
    }),
    lingerMs: Type.Integer({
      minimum: 0,
      maximum: 1000,
      default: 5,
      description:
        'Longest time a message waits for its batch to fill. Always bounded so a size threshold never holds a request hostage.',
    }),
  },
  { additionalProperties: false, description: 'Batching accumulator limits, per producer and topic.' },
);
export type BatchConfig = Static<typeof BatchSchema>;

export const TlsSchema = Type.Object(
  {
    enabled: Type.Boolean({ default: true, description: 'Connect to the brokers over TLS.' }),
    caFile: Type.Optional(
      Type.String({ description: 'Path of a PEM CA bundle (a mounted Secret or ConfigMap).' }),
    ),
    certFile: Type.Optional(Type.String({ description: 'Path of a PEM client certificate for mutual TLS.' })),
    keyFile: Type.Optional(Type.String({ description: 'Path of the PEM private key for mutual TLS.' })),
    rejectUnauthorized: Type.Boolean({
      default: true,
      description: 'Verify the broker certificate chain and host name.',
    }),
  },
  { additionalProperties: false, description: 'TLS settings for broker connections.' },
);

export const SaslSchema = Type.Object(
  {
    mechanism: Type.Union(
      [Type.Literal('plain'), Type.Literal('scram-sha-256'), Type.Literal('scram-sha-512')],
      { description: 'SASL mechanism.' },
    ),
    usernameFile: Type.String({
      minLength: 1,
      description: 'Path of a file holding the user name (a mounted Secret key). Never inline.',
    }),
    passwordFile: Type.String({
      minLength: 1,
      description: 'Path of a file holding the password (a mounted Secret key). Never inline.',
    }),
  },
  {
    additionalProperties: false,
    description: 'SASL authentication; credentials are read from mounted files.',
  },
);

export const KafkaProducerSchema = Type.Object(
  {
    type: Type.Literal('kafka', { description: 'Produce to Apache Kafka.' }),
    engine: Type.Union([Type.Literal('kafkajs'), Type.Literal('platformatic'), Type.Literal('librdkafka')], {
      // platformatic: about 40 % less CPU per line and higher throughput in `npm run bench`
      // (docs/benchmarks/README.md), with the same reliability suite passing on both.
      default: 'platformatic',
      description:
        'Kafka client library behind the producer interface: kafkajs, @platformatic/kafka (platformatic), or librdkafka through @confluentinc/kafka-javascript (librdkafka; an optional native addon built at install time). All honour every setting of this producer and write batches that librdkafka and Java consumers read.',
    }),
    brokers: Type.Array(Type.String({ minLength: 1, pattern: '^[^\\s:]+:[0-9]{1,5}$' }), {
      minItems: 1,
      maxItems: 100,
      description: 'Bootstrap brokers as host:port.',
    }),
    clientId: Type.String({
      minLength: 1,
      maxLength: 255,
      default: 'sluice',
      description: 'Kafka client.id.',
    }),
    compression: CompressionSchema,
    acks: AcksSchema,
    idempotent: Type.Boolean({
      default: false,
      description: 'Enable the idempotent producer (requires acks=all; limits in-flight requests to one).',
    }),
    batch: Type.Object(BatchSchema.properties, {
      additionalProperties: false,
      default: {},
      description: BatchSchema.description,
    }),
    requestTimeoutMs: Type.Integer({
      minimum: 100,
      maximum: 300_000,
      default: 10_000,
      description: 'Timeout of one produce request to a broker.',
    }),
    retries: Type.Integer({
      minimum: 0,
      maximum: 100,
      default: 5,
      description: 'Retries of a failed produce request before the batch fails.',
    }),
    maxPendingBytes: Type.Integer({
      minimum: 64 * KiB,
      maximum: 4096 * MiB,
      default: 64 * MiB,
      description:
        'Cap on message bytes accepted but not yet acknowledged by Kafka. Past it, requests are refused with 429 and Retry-After instead of growing memory.',
    }),
    tls: Type.Optional(TlsSchema),
    sasl: Type.Optional(SaslSchema),
  },
  { additionalProperties: false, description: 'A Kafka producer shared by repos.' },
);
export type KafkaProducerConfig = Static<typeof KafkaProducerSchema>;

export const StreamSinkProducerSchema = Type.Object(
  {
    type: Type.Union([Type.Literal('stdout'), Type.Literal('file')], {
      description: 'Write records as JSON lines to standard output or to a file (no Kafka needed).',
    }),
    path: Type.Optional(Type.String({ minLength: 1, description: 'File to append to when type is file.' })),
    maxPendingBytes: Type.Integer({
      minimum: 64 * KiB,
      maximum: 4096 * MiB,
      default: 16 * MiB,
      description: 'Cap on bytes accepted but not yet written.',
    }),
  },
  { additionalProperties: false, description: 'An embedded sink for demos and local development.' },
);
export type StreamSinkProducerConfig = Static<typeof StreamSinkProducerSchema>;

export const ProducerSchema = Type.Union([KafkaProducerSchema, StreamSinkProducerSchema]);
export type ProducerConfig = Static<typeof ProducerSchema>;

export const NameSchema = Type.String({
  minLength: 1,
  maxLength: 63,
  pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
  description: 'A DNS-1123 label.',
});

export const TopicSchema = Type.String({
  minLength: 1,
  maxLength: 249,
  pattern: '^[a-zA-Z0-9._-]+$',
  description: 'A Kafka topic name.',
});

export const RepoAuthSchema = Type.Object(
  {
    tokensFile: Type.String({
      minLength: 1,
      description:
        'Path of a file holding the bearer tokens this repo accepts, one per line (a mounted Secret key; several lines let a rotation overlap). Never inline. Re-read on every config reload and whenever the file changes.',
    }),
  },
  {
    additionalProperties: false,
    description:
      'Requires `Authorization: Bearer <token>` on ingest requests; missing or wrong tokens answer 401.',
  },
);
export type RepoAuthConfig = Static<typeof RepoAuthSchema>;

export const RepoLimitsSchema = Type.Object(
  {
    bodyLimitBytes: Type.Optional(
      Type.Integer({
        minimum: 1 * KiB,
        maximum: 1024 * MiB,
        description:
          'Largest request body on the wire (possibly compressed) for this repo; at most server.bodyLimitBytes. Larger answers 413 BODY_TOO_LARGE.',
      }),
    ),
    maxDecompressedBytes: Type.Optional(
      Type.Integer({
        minimum: 1 * KiB,
        maximum: 4096 * MiB,
        description:
          'Largest body after decompression for this repo; at most server.maxDecompressedBytes. Larger answers 413 DECOMPRESSED_TOO_LARGE.',
      }),
    ),
    maxLineBytes: Type.Optional(
      Type.Integer({
        minimum: 64,
        maximum: 256 * MiB,
        description:
          'Largest single line for this repo; at most server.maxLineBytes. A longer line answers 413 LINE_TOO_LARGE.',
      }),
    ),
    maxLinesPerRequest: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100_000_000,
        description:
          'Most non-empty lines one request may carry for this repo; at most server.maxLinesPerRequest. More answers 413 TOO_MANY_LINES before anything is produced.',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      "Limits of this repo, tighter than the server-wide ones (a value above the server's is a config error). A limit left out is the server's.",
  },
);
export type RepoLimitsConfig = Static<typeof RepoLimitsSchema>;

export const RepoHeadersSchema = Type.Object(
  {
    traceContext: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          "Copy the request's W3C trace context into every accepted record: traceparent (only when it is valid) and tracestate (only with it, at most 512 characters) as Kafka headers of the same names.",
      }),
    ),
    fromFields: Type.Optional(
      Type.Record(
        Type.String({ minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._-]+$' }),
        described(
          FieldPathSchema,
          'The record field (a name or dotted path) whose value the header carries.',
        ),
        {
          // additionalProperties: false makes the name pattern binding.
          additionalProperties: false,
          maxProperties: 32,
          description:
            "Map of Kafka header name (letters, digits, . _ -) to record field, read after the executers ran: a string field's text, or a number's or boolean's JSON text, becomes the header value; an absent, null, object or array field adds no header. The field stays in the record.",
        },
      ),
    ),
  },
  {
    additionalProperties: false,
    description: "Kafka record headers on this repo's accepted lines (dead letters keep their own).",
  },
);
export type RepoHeadersConfig = Static<typeof RepoHeadersSchema>;

export const RepoSchema = Type.Object(
  {
    producer: Type.String({ minLength: 1, description: 'Name of the producer this repo sends through.' }),
    topic: TopicSchema,
    mode: Type.Union([Type.Literal('sync'), Type.Literal('async')], {
      default: 'sync',
      description:
        'sync: answer 200 only after Kafka acknowledged every accepted line. async: answer 202 once the lines are queued in the bounded buffer.',
    }),
    key: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 256,
        description:
          'Field whose value becomes the message key (same value, same partition): a top-level name or a dotted path into nested objects (edge.node). Strings are used as they are, other values in their JSON text; absent or null: no key.',
      }),
    ),
    headers: Type.Optional(RepoHeadersSchema),
    decoder: Type.Optional(DecoderSchema),
    constraint: Type.Optional(ConstraintSchema),
    executers: Type.Optional(ExecutersSchema),
    onExecuterError: Type.Optional(OnExecuterErrorSchema),
    deadLetter: Type.Optional(DeadLetterSchema),
    auth: Type.Optional(RepoAuthSchema),
    limits: Type.Optional(RepoLimitsSchema),
    // Optional in the static type (configs built in code need not spell them); defaulted on load.
    suspend: Type.Optional(
      Type.Boolean({
        default: false,
        description:
          'Stop taking lines without deleting the repo. What senders get is whileSuspended; resuming (false) applies with the next config reload, no restart.',
      }),
    ),
    whileSuspended: Type.Optional(
      Type.Union([Type.Literal('reject'), Type.Literal('drop')], {
        default: 'reject',
        description:
          'While suspended: reject (answer 503 SUSPENDED with Retry-After without reading the lines, so senders keep and resend them) or drop (read the lines, count them as dropped under reason suspended and answer 200; nothing is produced).',
      }),
    ),
  },
  { additionalProperties: false, description: 'A log stream accepted at POST /log/repo/{name}.' },
);
export type RepoConfig = Static<typeof RepoSchema>;

export const ListenerTlsSchema = Type.Object(
  {
    certFile: Type.String({
      minLength: 1,
      description: 'Path of the PEM certificate chain the listener presents (a mounted Secret key).',
    }),
    keyFile: Type.String({
      minLength: 1,
      description: 'Path of the PEM private key of that certificate (a mounted Secret key).',
    }),
  },
  {
    additionalProperties: false,
    description:
      'Serve HTTPS. The certificate is re-read when its files change or the config reloads; new connections get the new one, open ones keep theirs. Turning TLS on or off applies on restart only.',
  },
);
export type ListenerTlsConfig = Static<typeof ListenerTlsSchema>;

export const ServerSchema = Type.Object(
  {
    host: Type.String({ default: '0.0.0.0', description: 'Listen address.' }),
    port: Type.Integer({ minimum: 0, maximum: 65535, default: 8080, description: 'Listen port.' }),
    bodyLimitBytes: Type.Integer({
      minimum: 1 * KiB,
      maximum: 1024 * MiB,
      default: 10 * MiB,
      description: 'Largest request body on the wire (possibly compressed); larger answers 413.',
    }),
    maxDecompressedBytes: Type.Integer({
      minimum: 1 * KiB,
      maximum: 4096 * MiB,
      default: 64 * MiB,
      description: 'Largest body after decompression; protects against compression bombs (413).',
    }),
    maxLineBytes: Type.Integer({
      minimum: 64,
      maximum: 256 * MiB,
      default: 1 * MiB,
      description: 'Largest single line; a longer line makes the request answer 413.',
    }),
    maxLinesPerRequest: Type.Integer({
      minimum: 1,
      maximum: 100_000_000,
      default: 1_000_000,
      description:
        'Most non-empty lines one request may carry; more answers 413 TOO_MANY_LINES before anything is produced.',
    }),
    requestTimeoutMs: Type.Integer({
      minimum: 100,
      maximum: 600_000,
      default: 10_000,
      description:
        'Deadline for a sync request to be acknowledged; past it the answer is 503 with Retry-After.',
    }),
    retryAfterSeconds: Type.Integer({
      minimum: 1,
      maximum: 3600,
      default: 1,
      description: 'Retry-After value sent with 429 and 503 answers.',
    }),
    maxLineErrors: Type.Integer({
      minimum: 0,
      maximum: 100,
      default: 5,
      description: 'How many line errors the response body details.',
    }),
    shutdownTimeoutMs: Type.Integer({
      minimum: 0,
      maximum: 600_000,
      default: 25_000,
      description: 'Bound on graceful shutdown: finish requests, flush producers, exit.',
    }),
    shutdownDelayMs: Type.Integer({
      minimum: 0,
      maximum: 60_000,
      default: 0,
      description: 'Time to keep serving while not ready after SIGTERM, so load balancers stop routing here.',
    }),
    trustedProxies: Type.Array(
      Type.String({
        minLength: 1,
        maxLength: 64,
        description: 'An IPv4 or IPv6 CIDR (10.0.0.0/8, fd00::/8) or a single address.',
      }),
      {
        maxItems: 256,
        default: [],
        description:
          'Reverse proxies (APISIX, a load balancer) whose Forwarded, X-Forwarded-For and X-Real-IP headers are believed. From any other TCP peer those headers are ignored and the peer is the client address. From a trusted peer the hops are read from the right past every trusted proxy; the first other address is the client (what from: clientAddress writes). Empty (the default): the TCP peer is always the client. Applies on reload.',
      },
    ),
    tls: Type.Optional(ListenerTlsSchema),
  },
  { additionalProperties: false, default: {}, description: 'HTTP listener and request limits.' },
);
export type ServerConfig = Static<typeof ServerSchema>;

export const GatewayConfigSchema = Type.Object(
  {
    revision: Type.String({
      default: 'unversioned',
      maxLength: 128,
      description: 'Content revision of this config, written by the operator; reported by every gateway pod.',
    }),
    server: ServerSchema,
    // additionalProperties: false makes the name pattern binding (without it, a
    // name that does not match is merely not validated).
    producers: Type.Record(NameSchema, ProducerSchema, {
      additionalProperties: false,
      description: 'Named producers that repos send through.',
    }),
    repos: Type.Record(NameSchema, RepoSchema, {
      additionalProperties: false,
      description: 'Named log repos, one per ingest path.',
    }),
  },
  { additionalProperties: false, description: 'Sluice gateway configuration.' },
);
export type GatewayConfig = Static<typeof GatewayConfigSchema>;
