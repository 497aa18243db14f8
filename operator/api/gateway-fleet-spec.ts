import { type Static, Type } from '@sinclair/typebox';
import { ResourcesSchema } from '../operator-config.ts';
import { DNS_LABEL_PATTERN } from './dns-label.ts';
import { RolloutAnalysisSchema, RolloutStepSchema, StatusConditionSchema } from './log-repo-spec.ts';
import { RolloutStatusSchema } from './rollout-status.ts';

// The GatewayFleet resource: the gateway fleet of one namespace (optional, one per namespace).
// Whatever it leaves out stays as the operator's flags say; its image rollout plan moves a new
// gateway image across the namespace's LogRepos one by one, each under the closed-loop
// analysis of LogRepo rollouts (RolloutStepSchema, RolloutAnalysisSchema reused as they are).

/** The custom metric a requests-per-second target scales on; a metrics adapter must serve it. */
export const REQUESTS_PER_SECOND_METRIC = 'sluice_requests_per_second';

export const AutoscalingSchema = Type.Object(
  {
    minReplicas: Type.Integer({
      minimum: 1,
      maximum: 1000,
      description:
        'Fewest gateway pods of the track (at least one: a route may send it traffic at any time).',
    }),
    maxReplicas: Type.Integer({
      minimum: 1,
      maximum: 1000,
      description: 'Most gateway pods of the track.',
    }),
    targetCPUUtilizationPercentage: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 100,
        description:
          "Average CPU use of the track's pods, in percent of their CPU request, the autoscaler keeps (resources.requests.cpu must be set).",
      }),
    ),
    targetRequestsPerSecond: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 1_000_000,
        description: `Average ingest requests per second per pod the autoscaler keeps: a Pods metric \`${REQUESTS_PER_SECOND_METRIC}\`, which a metrics adapter (e.g. prometheus-adapter, the rate of the gateways' sluice_requests_total) must serve on custom.metrics.k8s.io; without one the autoscaler reports it cannot read the metric and keeps the current size.`,
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'Scale the track with an autoscaling/v2 HorizontalPodAutoscaler (the operator renders it and stops owning the Deployment replicas), on exactly one target: CPU or requests per second.',
    'x-kubernetes-validations': [
      {
        rule: 'self.minReplicas <= self.maxReplicas',
        message: 'autoscaling.minReplicas must not exceed autoscaling.maxReplicas',
      },
      {
        rule: 'has(self.targetCPUUtilizationPercentage) != has(self.targetRequestsPerSecond)',
        message:
          'autoscaling needs exactly one target: targetCPUUtilizationPercentage or targetRequestsPerSecond',
      },
    ],
  },
);
export type Autoscaling = Static<typeof AutoscalingSchema>;

const trackOverride = (track: 'stable' | 'canary', description: string) =>
  Type.Object(
    {
      image: Type.Optional(
        Type.String({
          minLength: 1,
          maxLength: 512,
          description:
            track === 'stable'
              ? 'Gateway container image of the stable track. With spec.imageRollout, a change does not reach the stable Deployment at once: the canary track takes it over repo by repo first.'
              : 'Gateway container image of the canary track (left out: the stable image, so a canary differs in config only). During an image rollout the operator runs the new image here.',
        }),
      ),
      replicas: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: 1000,
          description:
            'Gateway pods of this track (at least one: a route may send it traffic). Excludes autoscaling.',
        }),
      ),
      resources: Type.Optional(ResourcesSchema),
      workers: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: 64,
          description:
            'Gateway processes per pod sharing its port (sluice gateway --workers); match the pod CPU limit.',
        }),
      ),
      autoscaling: Type.Optional(AutoscalingSchema),
    },
    {
      additionalProperties: false,
      description,
      'x-kubernetes-validations': [
        {
          rule: '!(has(self.replicas) && has(self.autoscaling))',
          message:
            'replicas and autoscaling exclude each other: with autoscaling the autoscaler sets the replicas',
        },
      ],
    },
  );

export const StableTrackOverrideSchema = trackOverride(
  'stable',
  "The stable track, which serves every repo's stable share: fields set here replace the operator's --stable-* settings for this namespace.",
);
export const CanaryTrackOverrideSchema = trackOverride(
  'canary',
  "The canary track, which runs while a repo sends it a share: fields set here replace the operator's --canary-* settings for this namespace.",
);
export type TrackOverride = Static<typeof StableTrackOverrideSchema>;

export const ImageRolloutSchema = Type.Object(
  {
    repos: Type.Optional(
      Type.Array(
        Type.String({
          minLength: 1,
          maxLength: 63,
          pattern: DNS_LABEL_PATTERN,
          description: 'Name of a LogRepo in this namespace.',
        }),
        {
          maxItems: 256,
          description:
            'The order in which the LogRepos move to the new image, one at a time; LogRepos not listed follow, by name (left out: every LogRepo, by name). Names of LogRepos that do not exist are skipped.',
          'x-kubernetes-validations': [
            {
              rule: 'self.all(r, self.exists_one(o, o == r))',
              message: 'imageRollout.repos must not repeat a name',
            },
          ],
        },
      ),
    ),
    steps: Type.Array(RolloutStepSchema, {
      minItems: 1,
      maxItems: 20,
      description:
        "The canary weights each repo goes through on the new image, in order; after a repo's last step passes its whole traffic stays on the canary track and the next repo starts.",
    }),
    analysis: Type.Optional(RolloutAnalysisSchema),
    pauseBetweenReposSeconds: Type.Integer({
      minimum: 0,
      maximum: 86_400,
      default: 60,
      description: 'Time between one repo passing and the next one starting.',
    }),
    onFailure: Type.Union([Type.Literal('Rollback'), Type.Literal('Pause')], {
      default: 'Rollback',
      description:
        'When a threshold fails: Rollback (every repo returns to the stable track at once and the stable Deployment keeps the old image) or Pause (hold the step for a human).',
    }),
  },
  {
    additionalProperties: false,
    description:
      'Progressive rollout of a new gateway image: with it, a change of spec.stable.image does not reach the stable Deployment at once. The canary track runs the new image and takes the repos over one by one, each through the steps under analysis; when every repo passed the stable Deployment is updated (rolling, within its PodDisruptionBudget) and the canary track retires. Progress is in status.rollout; manual controls are annotations (docs/canary.md).',
  },
);
export type ImageRollout = Static<typeof ImageRolloutSchema>;

export const GatewayFleetSpecSchema = Type.Object(
  {
    stable: Type.Optional(StableTrackOverrideSchema),
    canary: Type.Optional(CanaryTrackOverrideSchema),
    imageRollout: Type.Optional(ImageRolloutSchema),
  },
  {
    additionalProperties: false,
    description:
      "The gateway fleet of this namespace: image, replicas, resources, workers or autoscaling per track, and how a new image rolls out. Optional, one per namespace: what it leaves out stays as the operator's flags say.",
  },
);
export type GatewayFleetSpec = Static<typeof GatewayFleetSpecSchema>;

const AutoscalingStatusSchema = Type.Object(
  {
    minReplicas: Type.Integer({ description: 'Fewest pods the autoscaler may run.' }),
    maxReplicas: Type.Integer({ description: 'Most pods the autoscaler may run.' }),
    currentReplicas: Type.Optional(
      Type.Integer({ description: 'Pods the autoscaler runs now, as its status reports.' }),
    ),
  },
  { description: "An autoscaled track's bounds and current size." },
);

export const FleetRolloutStatusSchema = Type.Object(
  {
    state: Type.Union(
      ['Progressing', 'Paused', 'Promoting', 'Promoted', 'RolledBack', 'Aborted'].map((state) =>
        Type.Literal(state),
      ),
      {
        description:
          'Progressing (a repo is moving, or the pause between repos runs), Paused (by annotation, or by onFailure: Pause), Promoting (every repo passed; the stable Deployment is taking the new image), Promoted (stable runs the new image), RolledBack (a threshold failed: every repo is back on stable), Aborted (by annotation).',
      },
    ),
    image: Type.String({ description: 'The image being rolled out (or last rolled out).' }),
    from: Type.String({ description: 'The image the stable track ran when the rollout began.' }),
    repo: Type.Optional(Type.String({ description: 'The LogRepo moving now.' })),
    moved: Type.Array(Type.String(), {
      maxItems: 1000,
      description: 'LogRepos that passed every step, in the order they moved; they stay on the canary track.',
    }),
    movedSummary: Type.String({
      description: "Repos moved out of all repos of the plan, e.g. '2/5' (the Moved column).",
    }),
    pending: Type.Integer({ description: 'LogRepos still to move (the current one included).' }),
    nextRepoAt: Type.Optional(
      Type.String({
        description: 'While the pause between repos runs: when the next repo starts (RFC 3339).',
      }),
    ),
    repoRollout: Type.Optional(RolloutStatusSchema),
    failed: Type.Optional(
      Type.Object(
        {
          repo: Type.String({ description: 'The LogRepo whose step failed.' }),
          threshold: Type.String({ description: 'The analysis field that failed.' }),
          canary: Type.Number({ description: 'What the canary track measured.' }),
          stable: Type.Number({ description: 'What the stable track measured.' }),
          limit: Type.Number({ description: 'The largest canary value the threshold allowed.' }),
        },
        {
          description: 'The repo and threshold that rolled the image back, with the figures of both tracks.',
        },
      ),
    ),
    message: Type.String({ description: 'What is happening, in words.' }),
  },
  { description: 'Progress of the image rollout of spec.imageRollout.' },
);
export type FleetRolloutStatus = Static<typeof FleetRolloutStatusSchema>;

export const GatewayFleetStatusSchema = Type.Object(
  {
    observedGeneration: Type.Optional(
      Type.Integer({ description: 'The generation of the spec last reconciled.' }),
    ),
    conditions: Type.Optional(
      Type.Array(StatusConditionSchema, {
        maxItems: 16,
        description: 'Current state: Ready and what led to it.',
      }),
    ),
    images: Type.Optional(
      Type.Object(
        {
          stable: Type.Optional(Type.String({ description: 'The image the stable Deployment runs.' })),
          canary: Type.Optional(
            Type.String({ description: 'The image the canary Deployment runs (while it exists).' }),
          ),
        },
        { description: 'What each track’s Deployment runs now.' },
      ),
    ),
    rollout: Type.Optional(FleetRolloutStatusSchema),
    autoscaling: Type.Optional(
      Type.Object(
        { stable: Type.Optional(AutoscalingStatusSchema), canary: Type.Optional(AutoscalingStatusSchema) },
        { description: 'The autoscaled tracks.' },
      ),
    ),
  },
  { description: 'Observed state, written by the operator.' },
);
export type GatewayFleetStatus = Static<typeof GatewayFleetStatusSchema>;
