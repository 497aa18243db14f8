import { GATEWAY_FLEET, GROUP, KAFKA_PRODUCER, LOG_REPO, VERSION } from '../api/constants.ts';
import type { GatewayFleetSpec, GatewayFleetStatus } from '../api/gateway-fleet-spec.ts';
import type { KafkaProducerSpec } from '../api/kafka-producer-spec.ts';
import type { LogRepoSpec } from '../api/log-repo-spec.ts';
import type { KubeObject, ResourceRef, TypedObject } from '../kube/kube-client.ts';
import type { ResourceStatus } from '../status/resource-status.ts';

/** A LogRepo as the API serves it (the CRD's schema holds spec to LogRepoSpec). */
export type LogRepoObject = TypedObject<LogRepoSpec, ResourceStatus>;
/** A KafkaProducer as the API serves it. */
export type KafkaProducerObject = TypedObject<KafkaProducerSpec, ResourceStatus>;
/** A GatewayFleet as the API serves it. */
export type GatewayFleetObject = TypedObject<GatewayFleetSpec, GatewayFleetStatus>;
/** A ConfigMap: string data by key. */
export type ConfigMapObject = KubeObject & { data?: Record<string, string> };

export const LOG_REPOS: ResourceRef<LogRepoObject> = {
  groupVersionPath: `/apis/${GROUP}/${VERSION}`,
  plural: LOG_REPO.plural,
  namespaced: true,
};
export const KAFKA_PRODUCERS: ResourceRef<KafkaProducerObject> = {
  groupVersionPath: `/apis/${GROUP}/${VERSION}`,
  plural: KAFKA_PRODUCER.plural,
  namespaced: true,
};
export const GATEWAY_FLEETS: ResourceRef<GatewayFleetObject> = {
  groupVersionPath: `/apis/${GROUP}/${VERSION}`,
  plural: GATEWAY_FLEET.plural,
  namespaced: true,
};
export const CONFIG_MAPS: ResourceRef<ConfigMapObject> = {
  groupVersionPath: '/api/v1',
  plural: 'configmaps',
  namespaced: true,
};
