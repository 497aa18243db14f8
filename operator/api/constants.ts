/** API group, versions and names of Sluice's custom resources. */
export const GROUP = 'sluice.dev';
export const VERSION = 'v1alpha1';
export const API_VERSION = `${GROUP}/${VERSION}`;

export const LOG_REPO = {
  kind: 'LogRepo',
  plural: 'logrepos',
  singular: 'logrepo',
  shortNames: ['lr'],
} as const;
export const KAFKA_PRODUCER = {
  kind: 'KafkaProducer',
  plural: 'kafkaproducers',
  singular: 'kafkaproducer',
  shortNames: ['kp'],
} as const;
export const CATEGORY = 'sluice';

/** The one field manager under which the operator server-side-applies everything it owns. */
export const FIELD_MANAGER = 'sluice-operator';

/** Name of the per-namespace ConfigMap holding the rendered gateway config. */
export const GATEWAY_CONFIG_MAP = 'sluice-gateway-config';
/** Key of the gateway config inside that ConfigMap (JSON content; JSON is YAML). */
export const GATEWAY_CONFIG_KEY = 'gateway.yaml';
/** Directory where gateway pods mount Kafka Secrets: `<dir>/<secret name>/<key>`. */
export const SECRET_MOUNT_DIR = '/etc/sluice/secrets';

export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  name: 'app.kubernetes.io/name',
  component: 'app.kubernetes.io/component',
} as const;
export const MANAGED_BY = 'sluice-operator';
export const ANNOTATIONS = { revision: 'sluice.dev/config-revision' } as const;

/** Condition types. Reasons are CamelCase, stable, and listed here only. */
export const CONDITION = {
  ready: 'Ready',
  configured: 'Configured',
} as const;

export const REASON = {
  // Ready / Configured = True
  applied: 'Applied',
  // Ready / Configured = False
  producerNotFound: 'ProducerNotFound',
  producerNotReady: 'ProducerNotReady',
  invalidSpec: 'InvalidSpec',
  invalidPipeline: 'InvalidPipeline',
  configTooLarge: 'ConfigTooLarge',
  secretNotFound: 'SecretNotFound',
  applyFailed: 'ApplyFailed',
  // Ready = Unknown
  reconciling: 'Reconciling',
} as const;
export type Reason = (typeof REASON)[keyof typeof REASON];

/** Largest ConfigMap the apiserver stores (data plus metadata must fit in 1 MiB). */
export const CONFIG_MAP_MAX_BYTES = 1024 * 1024;
/** Headroom kept for metadata and the other keys of the rendered ConfigMap. */
export const CONFIG_MAP_SAFETY_BYTES = 16 * 1024;
