import { type Static, Type } from '@sinclair/typebox';
import { RepoSchema, TopicSchema } from '../../kernel/config-schema.ts';
import { ConstraintSchema, described, ExecutersSchema } from '../../kernel/pipeline-schema.ts';
import { DNS_LABEL_PATTERN } from './dns-label.ts';

// The LogRepo resource: one log stream, served at POST /log/repo/{metadata.name}.
// Its pipeline fields are the gateway's own repo schema; where it sends is
// grouped under `kafka`; `canary` drives the fleet and routing issue.

// `auth` is left out: the gateway's form names a token file, the resource names a Secret.
const {
  producer: _producer,
  topic,
  mode,
  key,
  headers,
  auth: _auth,
  ...pipelineFields
} = RepoSchema.properties;

export const LogRepoAuthSchema = Type.Object(
  {
    secretRef: Type.Object(
      {
        name: Type.String({
          minLength: 1,
          maxLength: 253,
          pattern: '^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$',
          description: 'Name of a Secret in the same namespace; the gateway pods mount it.',
        }),
        key: Type.String({
          minLength: 1,
          maxLength: 253,
          pattern: '^[-._a-zA-Z0-9]+$',
          default: 'tokens',
          description:
            'Key of the Secret holding the accepted tokens, one per line (several lines let a rotation overlap).',
        }),
      },
      { additionalProperties: false, description: 'The Secret holding the bearer tokens.' },
    ),
  },
  {
    additionalProperties: false,
    description:
      'Requires `Authorization: Bearer <token>` on this repo; a missing or wrong token answers 401. Tokens never appear in the gateway ConfigMap: it names the mounted file.',
  },
);

export const LogRepoKafkaSchema = Type.Object(
  {
    producer: Type.String({
      minLength: 1,
      maxLength: 63,
      pattern: DNS_LABEL_PATTERN,
      description: 'Name of a KafkaProducer in the same namespace.',
    }),
    topic,
    mode,
    key,
    headers,
  },
  { additionalProperties: false, description: 'Where and how accepted lines are produced.' },
);

export const LogRepoCanarySchema = Type.Object(
  {
    weight: Type.Integer({
      minimum: 0,
      maximum: 100,
      default: 0,
      description:
        "Percentage of this repo's requests routed to the canary gateway track (0 turns the canary off).",
    }),
    topic: Type.Optional(
      described(TopicSchema, 'Topic the canary track produces to instead of kafka.topic.'),
    ),
    constraint: Type.Optional(
      described(
        ConstraintSchema,
        `Canary track only: replaces the constraint. ${ConstraintSchema.description}`,
      ),
    ),
    executers: Type.Optional(
      described(ExecutersSchema, `Canary track only: replaces the executers. ${ExecutersSchema.description}`),
    ),
  },
  {
    additionalProperties: false,
    description: 'Canary rollout of this repo: traffic weight and pipeline overrides for the canary track.',
  },
);

export const LogRepoSpecSchema = Type.Object(
  {
    kafka: LogRepoKafkaSchema,
    ...pipelineFields,
    sampling: Type.Optional(
      Type.Object(
        {
          percent: Type.Integer({
            minimum: 0,
            maximum: 100,
            description:
              'Percentage of lines kept, deterministically (exactly percent out of every 100 consecutive lines).',
          }),
        },
        {
          additionalProperties: false,
          description: 'Keeps a fixed share of the lines, before the executers run.',
        },
      ),
    ),
    canary: Type.Optional(LogRepoCanarySchema),
    auth: Type.Optional(LogRepoAuthSchema),
  },
  {
    additionalProperties: false,
    description: 'A log stream: what it accepts, how each line is reshaped, and where it goes in Kafka.',
    'x-kubernetes-validations': [
      {
        rule: '!has(self.deadLetter) || self.deadLetter.topic != self.kafka.topic',
        message: 'deadLetter.topic must differ from kafka.topic',
      },
      {
        rule: '!has(self.canary) || !has(self.canary.topic) || self.canary.topic != self.kafka.topic',
        message: 'canary.topic, when set, must differ from kafka.topic (leave it out to keep the topic)',
      },
    ],
  },
);
export type LogRepoSpec = Static<typeof LogRepoSpecSchema>;

export const StatusConditionSchema = Type.Object(
  {
    type: Type.String({ description: 'Condition type, e.g. Ready.' }),
    status: Type.Union([Type.Literal('True'), Type.Literal('False'), Type.Literal('Unknown')], {
      description: 'True, False or Unknown.',
    }),
    reason: Type.String({ description: 'Machine-readable CamelCase reason.' }),
    message: Type.String({ description: 'Human-readable details.' }),
    observedGeneration: Type.Integer({
      description: 'The generation of the spec this condition was computed for.',
    }),
    lastTransitionTime: Type.String({ format: 'date-time', description: 'When the status last changed.' }),
  },
  { description: 'A standard status condition.' },
);

export const ResourceStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(
      Type.Integer({ description: 'The generation of the spec last reconciled.' }),
    ),
    configRevision: Type.Optional(
      Type.String({
        description: 'Revision of the gateway config that includes this object (empty when left out).',
      }),
    ),
    configDigest: Type.Optional(
      Type.String({
        description: "Digest of this object's part of the gateway config; configRevision moves when it does.",
      }),
    ),
    conditions: Type.Optional(
      Type.Array(StatusConditionSchema, {
        maxItems: 16,
        description: 'Current state: Ready and what led to it.',
      }),
    ),
  },
  { description: 'Observed state, written by the operator.' },
);

const TrackStatusSchema = Type.Object(
  {
    replicas: Type.Integer({ description: 'Gateway pods this track should run.' }),
    readyReplicas: Type.Integer({ description: 'Gateway pods of this track that are ready.' }),
  },
  { description: 'A gateway track as its Deployment reports it.' },
);

/** A LogRepo's status: the common fields plus where its traffic goes. */
export const LogRepoStatusSchema = Type.Object(
  {
    ...ResourceStatusSchema.properties,
    route: Type.Optional(
      Type.Object(
        {
          kind: Type.String({ description: 'ApisixRoute or HTTPRoute.' }),
          name: Type.String({ description: 'Name of the route, in the LogRepo namespace.' }),
        },
        { description: 'The route that sends POST /log/repo/{name} to the gateway tracks.' },
      ),
    ),
    weights: Type.Optional(
      Type.Object(
        {
          stable: Type.Integer({ description: 'Percent of requests routed to the stable track.' }),
          canary: Type.Integer({
            description:
              'Percent routed to the canary track: spec.canary.weight while the canary track runs and accepts this repo, else 0.',
          }),
        },
        { description: 'The weights the route applies now (effective, not just asked for).' },
      ),
    ),
    tracks: Type.Optional(
      Type.Object(
        { stable: Type.Optional(TrackStatusSchema), canary: Type.Optional(TrackStatusSchema) },
        { description: 'The gateway tracks serving this namespace; canary only while it exists.' },
      ),
    ),
  },
  { description: 'Observed state, written by the operator.' },
);
