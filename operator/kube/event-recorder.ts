import type { Logger } from 'pino';
import type { KubeClient, KubeObject, ResourceRef } from './kube-client.ts';

const EVENTS: ResourceRef = { groupVersionPath: '/api/v1', plural: 'events', namespaced: true };

export interface EventRecorder {
  /** Records a Kubernetes Event on `object`; never throws (events are best effort). */
  record(object: KubeObject, type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
}

export function createEventRecorder(
  client: KubeClient,
  logger: Logger,
  now: () => Date = () => new Date(),
): EventRecorder {
  let sequence = 0;
  return {
    async record(object, type, reason, message) {
      const time = now();
      sequence += 1;
      const namespace = object.metadata.namespace ?? 'default';
      const event: KubeObject = {
        apiVersion: 'v1',
        kind: 'Event',
        metadata: {
          name: `${object.metadata.name}.${time.getTime().toString(16)}${sequence.toString(16)}`,
          namespace,
        },
        involvedObject: {
          apiVersion: object.apiVersion,
          kind: object.kind,
          name: object.metadata.name,
          namespace,
          uid: object.metadata.uid,
          resourceVersion: object.metadata.resourceVersion,
        },
        reason,
        message: message.slice(0, 1024),
        type,
        source: { component: 'sluice-operator' },
        reportingComponent: 'sluice.dev/operator',
        reportingInstance: process.env.HOSTNAME ?? 'sluice-operator',
        firstTimestamp: time.toISOString(),
        lastTimestamp: time.toISOString(),
        count: 1,
      };
      await client.create(EVENTS, event).catch((error: unknown) => {
        logger.debug({ err: error, reason }, 'event not recorded');
      });
    },
  };
}
