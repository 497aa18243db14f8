import type { TSchema } from '@sinclair/typebox';
import {
  API_VERSION,
  CATEGORY,
  GATEWAY_FLEET,
  GROUP,
  KAFKA_PRODUCER,
  LOG_REPO,
  VERSION,
} from '../api/constants.ts';
import { GatewayFleetSpecSchema, GatewayFleetStatusSchema } from '../api/gateway-fleet-spec.ts';
import { KafkaProducerSpecSchema } from '../api/kafka-producer-spec.ts';
import { LogRepoSpecSchema, LogRepoStatusSchema, ResourceStatusSchema } from '../api/log-repo-spec.ts';
import { toStructural } from './structural-schema.ts';

export interface PrinterColumn {
  readonly name: string;
  readonly type: string;
  readonly jsonPath: string;
  readonly description: string;
  readonly priority?: number;
}

const readyColumn: PrinterColumn = {
  name: 'Ready',
  type: 'string',
  jsonPath: '.status.conditions[?(@.type=="Ready")].status',
  description:
    'LogRepo: served as rendered (rendered into the gateway config and running on a ready pod of each track that carries it); KafkaProducer: part of the rendered config.',
};
const ageColumn: PrinterColumn = {
  name: 'Age',
  type: 'date',
  jsonPath: '.metadata.creationTimestamp',
  description: 'Time since creation.',
};

function crd(
  names: { kind: string; plural: string; singular: string; shortNames: readonly string[] },
  spec: TSchema,
  description: string,
  columns: readonly PrinterColumn[],
  status: TSchema = ResourceStatusSchema,
) {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${names.plural}.${GROUP}`, labels: { 'app.kubernetes.io/name': 'sluice' } },
    spec: {
      group: GROUP,
      scope: 'Namespaced',
      names: {
        kind: names.kind,
        listKind: `${names.kind}List`,
        plural: names.plural,
        singular: names.singular,
        shortNames: [...names.shortNames],
        categories: [CATEGORY],
      },
      versions: [
        {
          name: VERSION,
          served: true,
          storage: true,
          subresources: { status: {} },
          additionalPrinterColumns: columns,
          schema: {
            openAPIV3Schema: {
              type: 'object',
              description,
              properties: {
                apiVersion: { type: 'string', description: `Always ${API_VERSION}.` },
                kind: { type: 'string', description: `Always ${names.kind}.` },
                metadata: { type: 'object' },
                spec: toStructural(spec),
                status: toStructural(status),
              },
              required: ['spec'],
            },
          },
        },
      ],
    },
  };
}

/** The CustomResourceDefinitions, generated from the one schema source. Pure and deterministic. */
export function customResourceDefinitions() {
  return [
    crd(
      KAFKA_PRODUCER,
      KafkaProducerSpecSchema,
      'KafkaProducer: named Kafka producer settings shared by the LogRepos of its namespace.',
      [
        {
          name: 'Compression',
          type: 'string',
          jsonPath: '.spec.compression',
          description: 'Batch compression codec.',
        },
        { name: 'Acks', type: 'string', jsonPath: '.spec.acks', description: 'Required acknowledgements.' },
        {
          name: 'Brokers',
          type: 'string',
          jsonPath: '.spec.brokers',
          description: 'Bootstrap brokers.',
          priority: 1,
        },
        readyColumn,
        ageColumn,
      ],
    ),
    crd(
      LOG_REPO,
      LogRepoSpecSchema,
      'LogRepo: a log stream accepted at POST /log/repo/{name}, its pipeline and its Kafka destination.',
      [
        {
          name: 'Producer',
          type: 'string',
          jsonPath: '.spec.kafka.producer',
          description: 'KafkaProducer used.',
        },
        { name: 'Topic', type: 'string', jsonPath: '.spec.kafka.topic', description: 'Default topic.' },
        { name: 'Mode', type: 'string', jsonPath: '.spec.kafka.mode', description: 'sync or async.' },
        {
          name: 'Canary',
          type: 'integer',
          jsonPath: '.spec.canary.weight',
          description: 'Canary traffic weight (%).',
        },
        readyColumn,
        ageColumn,
        // After Age, so the columns scripts and docs already read keep their places.
        {
          name: 'Suspended',
          type: 'boolean',
          jsonPath: '.spec.suspend',
          description: 'Whether the repo is suspended (spec.whileSuspended says what senders get).',
        },
        {
          name: 'Applied',
          type: 'string',
          jsonPath: '.status.applied',
          description: "Ready pods running the repo's current config, per track that carries it.",
        },
        {
          name: 'Rollout',
          type: 'string',
          jsonPath: '.status.rollout.state',
          description:
            'Where the rollout of spec.rollout stands (Progressing, Paused, Promoting, Promoted, RolledBack, Aborted).',
        },
        // -o wide: what the route does now, and the tracks behind it.
        {
          name: 'Routed',
          type: 'integer',
          jsonPath: '.status.weights.canary',
          description: 'Canary share the route applies now (%).',
          priority: 1,
        },
        {
          name: 'Route',
          type: 'string',
          jsonPath: '.status.route.name',
          description: 'The route of POST /log/repo/{name}.',
          priority: 1,
        },
        {
          name: 'Stable-Ready',
          type: 'integer',
          jsonPath: '.status.tracks.stable.readyReplicas',
          description: 'Ready gateway pods of the stable track.',
          priority: 1,
        },
        {
          name: 'Canary-Ready',
          type: 'integer',
          jsonPath: '.status.tracks.canary.readyReplicas',
          description: 'Ready gateway pods of the canary track (while it exists).',
          priority: 1,
        },
      ],
      LogRepoStatusSchema,
    ),
    crd(
      GATEWAY_FLEET,
      GatewayFleetSpecSchema,
      "GatewayFleet: the gateway fleet of a namespace (per-track image, size and autoscaling) and how a new gateway image rolls out across its LogRepos. Optional, one per namespace; the operator's flags are the defaults.",
      [
        {
          name: 'Stable-Image',
          type: 'string',
          jsonPath: '.status.images.stable',
          description: 'The image the stable Deployment runs.',
        },
        {
          name: 'Canary-Image',
          type: 'string',
          jsonPath: '.status.images.canary',
          description: 'The image the canary Deployment runs (while it exists).',
        },
        {
          name: 'Moved',
          type: 'string',
          jsonPath: '.status.rollout.movedSummary',
          description: 'LogRepos moved to the new image out of all of the plan, e.g. 2/5.',
        },
        {
          name: 'Rollout',
          type: 'string',
          jsonPath: '.status.rollout.state',
          description:
            'Where the image rollout stands (Progressing, Paused, Promoting, Promoted, RolledBack, Aborted).',
        },
        {
          ...readyColumn,
          description: "The fleet's Deployments and autoscalers are applied as the spec asks and available.",
        },
        ageColumn,
        {
          name: 'Repo',
          type: 'string',
          jsonPath: '.status.rollout.repo',
          description: 'The LogRepo moving now.',
          priority: 1,
        },
      ],
      GatewayFleetStatusSchema,
    ),
  ];
}
