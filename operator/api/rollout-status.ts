import { type Static, Type } from '@sinclair/typebox';

const TrackMeasureSchema = Type.Object(
  {
    requests: Type.Integer({ description: 'Requests in the step window.' }),
    lines: Type.Integer({ description: 'Lines received in the step window.' }),
    retryableFailureRate: Type.Number({ description: 'Percent of requests answered 5xx or 429.' }),
    invalidRate: Type.Number({ description: 'Percent of lines the pipeline refused.' }),
    deliveryFailureRate: Type.Number({ description: 'Percent of lines Kafka did not acknowledge.' }),
    p99LatencyMs: Type.Union([Type.Number(), Type.Null()], {
      description: 'p99 request latency from the histogram (null without requests).',
    }),
  },
  { description: "One track's figures for this repo over the step window." },
);

/** A LogRepo's `status.rollout`: where its progressive rollout stands. Written by the operator only. */
export const RolloutStatusSchema = Type.Object(
  {
    state: Type.Union(
      ['Progressing', 'Paused', 'Promoting', 'Promoted', 'RolledBack', 'Aborted'].map((state) =>
        Type.Literal(state),
      ),
      {
        description:
          'Progressing (a step is running or waiting for traffic), Paused (by annotation, or by onFailure: Pause), Promoting (stable is taking the new pipeline), Promoted (stable runs the last change), RolledBack (a threshold failed), Aborted (by annotation).',
      },
    ),
    target: Type.String({ description: 'Digest of the pipeline being rolled out (or last rolled out).' }),
    promoted: Type.String({ description: 'Digest of the pipeline the stable track serves.' }),
    step: Type.Integer({
      description: 'Index of the current step (0-based); equal to steps once all passed.',
    }),
    steps: Type.Integer({ description: 'Number of steps of spec.rollout.' }),
    weight: Type.Integer({ description: 'Canary share the rollout asks for now (%).' }),
    stepStartedAt: Type.Optional(
      Type.String({ description: "When the route started carrying the step's weight (RFC 3339)." }),
    ),
    lastAnalysisAt: Type.Optional(Type.String({ description: 'When the step was last judged (RFC 3339).' })),
    pausedBy: Type.Optional(
      Type.Union([Type.Literal('annotation'), Type.Literal('failure')], {
        description: 'Why the rollout is paused.',
      }),
    ),
    measured: Type.Optional(
      Type.Object(
        { canary: TrackMeasureSchema, stable: TrackMeasureSchema },
        { description: 'The last judgement’s figures for both tracks.' },
      ),
    ),
    failed: Type.Optional(
      Type.Object(
        {
          threshold: Type.String({ description: 'The analysis field that failed.' }),
          canary: Type.Number({ description: 'What the canary track measured.' }),
          stable: Type.Number({ description: 'What the stable track measured.' }),
          limit: Type.Number({ description: 'The largest canary value the threshold allowed.' }),
        },
        { description: 'The threshold that rolled the change back, with the figures of both tracks.' },
      ),
    ),
    message: Type.String({ description: 'What is happening, in words.' }),
  },
  {
    description:
      'Progress of the rollout of spec.rollout; the last promoted pipeline itself is kept in the ConfigMap sluice-rollout-<repo>.',
  },
);
export type RolloutStatus = Static<typeof RolloutStatusSchema>;
export type RolloutState = RolloutStatus['state'];
