import { type Static, Type } from '@sinclair/typebox';
import { RepoSchema, TopicSchema } from '../../kernel/config-schema.ts';
import { ConstraintSchema, described, ExecutersSchema } from '../../kernel/pipeline-schema.ts';
import { DNS_LABEL_PATTERN } from './dns-label.ts';
import { RolloutStatusSchema } from './rollout-status.ts';

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

const percentPoints = (description: string, defaultValue: number) =>
  Type.Number({ minimum: 0, maximum: 100, default: defaultValue, description });

export const RolloutStepSchema = Type.Object(
  {
    weight: Type.Integer({
      minimum: 1,
      maximum: 100,
      description:
        "Percentage of the repo's requests the canary track serves with the new pipeline at this step.",
    }),
    pauseSeconds: Type.Integer({
      minimum: 0,
      maximum: 86_400,
      default: 60,
      description:
        'Least time at this weight before the step may pass (its analysis must pass too); the step clock starts when the route carries the weight.',
    }),
  },
  { additionalProperties: false, description: 'One step of a rollout: a canary weight held for a while.' },
);

export const RolloutAnalysisSchema = Type.Object(
  {
    intervalSeconds: Type.Integer({
      minimum: 5,
      maximum: 3600,
      default: 30,
      description:
        'How often a step is judged on the pods’ metrics (the operator reads them every observation round).',
    }),
    minRequests: Type.Integer({
      minimum: 0,
      maximum: 10_000_000,
      default: 50,
      description: 'Requests the canary track must have served in the step before it is judged.',
    }),
    minLines: Type.Integer({
      minimum: 0,
      maximum: 1_000_000_000,
      default: 500,
      description: 'Lines the canary track must have received in the step before it is judged.',
    }),
    maxRetryableFailureIncrease: percentPoints(
      "Percentage points by which the canary's retryable-failure rate (5xx and 429 per request) may exceed stable's.",
      1,
    ),
    maxInvalidIncrease: percentPoints(
      "Percentage points by which the canary's invalid-line rate (lines the pipeline refused, dead-lettered or not, per line) may exceed stable's.",
      1,
    ),
    maxDeliveryFailureIncrease: percentPoints(
      "Percentage points by which the canary's Kafka delivery-failure rate (lines Kafka did not acknowledge, per line) may exceed stable's.",
      0.5,
    ),
    maxP99LatencyRatio: Type.Number({
      minimum: 1,
      maximum: 100,
      default: 2,
      description: "The canary's p99 request latency may be at most this multiple of stable's…",
    }),
    p99LatencyToleranceMs: Type.Integer({
      minimum: 0,
      maximum: 60_000,
      default: 50,
      description:
        "…and a canary p99 within this many milliseconds of stable's always passes (histogram resolution).",
    }),
    maxWaitSeconds: Type.Integer({
      minimum: 0,
      maximum: 604_800,
      default: 900,
      description:
        'How long a step waits for the minimum sample; then `onLowTraffic` decides (0 decides at the first judgement).',
    }),
    onLowTraffic: Type.Union([Type.Literal('Pause'), Type.Literal('Promote'), Type.Literal('Rollback')], {
      default: 'Pause',
      description:
        'After maxWaitSeconds without the minimum sample: Pause (hold the step and say so in status; promote or abort by hand), Promote (treat the step as passed) or Rollback.',
    }),
  },
  {
    additionalProperties: false,
    description:
      'How each step is judged: the canary track against the stable track, for this repo only. No Prometheus needed: the operator reads the pods.',
  },
);

export const LogRepoRolloutSchema = Type.Object(
  {
    steps: Type.Array(RolloutStepSchema, {
      minItems: 1,
      maxItems: 20,
      description:
        'The canary weights a pipeline change goes through, in order; after the last passes, stable gets it.',
    }),
    analysis: Type.Optional(RolloutAnalysisSchema),
    onFailure: Type.Union([Type.Literal('Rollback'), Type.Literal('Pause')], {
      default: 'Rollback',
      description:
        'When a threshold fails: Rollback (the canary share goes to 0 at once; stable keeps the last promoted pipeline) or Pause (hold the step for a human).',
    }),
  },
  {
    additionalProperties: false,
    description:
      "Progressive rollout of pipeline changes: with it, an edit of this repo's pipeline or Kafka settings does not reach the stable track at once. The canary track serves the new version at each step's weight under analysis; the operator promotes it after the last step, or rolls it back. Progress is in status.rollout; manual controls are annotations (docs/canary.md). Excludes spec.canary.",
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
    rollout: Type.Optional(LogRepoRolloutSchema),
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
      {
        rule: '!has(self.rollout) || !has(self.canary)',
        message:
          'rollout and canary exclude each other: with rollout the operator sets the canary share and the canary track serves the new pipeline',
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
    applied: Type.Optional(
      Type.Integer({
        description:
          "Ready pods of this track that report running this repo's current config on /status (while the track carries the repo).",
      }),
    ),
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
    rollout: Type.Optional(RolloutStatusSchema),
    applied: Type.Optional(
      Type.String({
        description:
          "Per track that carries the repo: ready pods running its current config / ready pods, e.g. 'stable 2/2, canary 1/1'.",
      }),
    ),
  },
  { description: 'Observed state, written by the operator.' },
);
