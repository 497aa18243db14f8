import { GROUP, KAFKA_PRODUCER, LOG_REPO, VERSION } from '../api/constants.ts';
import type { ResourceRef } from '../kube/kube-client.ts';

export const LOG_REPOS: ResourceRef = {
  groupVersionPath: `/apis/${GROUP}/${VERSION}`,
  plural: LOG_REPO.plural,
  namespaced: true,
};
export const KAFKA_PRODUCERS: ResourceRef = {
  groupVersionPath: `/apis/${GROUP}/${VERSION}`,
  plural: KAFKA_PRODUCER.plural,
  namespaced: true,
};
export const CONFIG_MAPS: ResourceRef = {
  groupVersionPath: '/api/v1',
  plural: 'configmaps',
  namespaced: true,
};
