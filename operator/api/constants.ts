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
export const GATEWAY_FLEET = {
  kind: 'GatewayFleet',
  plural: 'gatewayfleets',
  singular: 'gatewayfleet',
  shortNames: ['gf'],
} as const;
export const CATEGORY = 'sluice';

/** The one field manager under which the operator server-side-applies everything it owns. */
export const FIELD_MANAGER = 'sluice-operator';

/** Name of the per-namespace ConfigMap holding the rendered gateway config (stable track). */
export const GATEWAY_CONFIG_MAP = 'sluice-gateway-config';
/** The canary track's ConfigMap, rendered with the repos' canary overrides, while a canary track exists. */
export const GATEWAY_CANARY_CONFIG_MAP = 'sluice-gateway-config-canary';
/** Key of the gateway config inside that ConfigMap (JSON content; JSON is YAML). */
export const GATEWAY_CONFIG_KEY = 'gateway.yaml';
/** Directory where gateway pods mount Kafka Secrets: `<dir>/<secret name>/<key>`. */
export const SECRET_MOUNT_DIR = '/etc/sluice/secrets';

export const LABELS = {
  managedBy: 'app.kubernetes.io/managed-by',
  name: 'app.kubernetes.io/name',
  component: 'app.kubernetes.io/component',
  /** Which gateway track an object belongs to: `stable` or `canary`. */
  track: 'sluice.dev/track',
  /** The LogRepo a per-repo route serves. */
  repo: 'sluice.dev/log-repo',
} as const;
export const MANAGED_BY = 'sluice-operator';
export const ANNOTATIONS = {
  revision: 'sluice.dev/config-revision',
  /**
   * Digest of what the operator last applied to an object (the desired object without this
   * annotation). The apiserver fills defaults into Deployments, Services and routes, so the
   * cached object never equals the desired one; comparing this digest tells whether the
   * desired state moved, without a write.
   */
  appliedDigest: 'sluice.dev/applied-digest',
  /**
   * On the gateway pod template: digest of the pod spec (image, resources, probes, mounts).
   * It never includes config content, so config changes hot-reload instead of rolling pods.
   */
  podSpecDigest: 'sluice.dev/pod-spec-digest',
  /** On the canary Deployment: when the last canary weight returned to 0 (RFC 3339). */
  canaryIdleSince: 'sluice.dev/canary-idle-since',
  /**
   * Manual rollout controls, set on a LogRepo by a human or `sluice rollout` (the operator
   * only reads them). Paused holds the step while it is "true"; promote and abort name the
   * target digest (status.rollout.target) they act on, so a leftover annotation never acts
   * on a later change.
   */
  rolloutPaused: 'sluice.dev/rollout-paused',
  rolloutPromote: 'sluice.dev/rollout-promote',
  rolloutAbort: 'sluice.dev/rollout-abort',
} as const;

/** Per-track names of the gateway fleet of a namespace (Deployment, Service, PDB share one). */
export const GATEWAY_NAMES = {
  stable: { workload: 'sluice-gateway', configMap: GATEWAY_CONFIG_MAP },
  canary: { workload: 'sluice-gateway-canary', configMap: GATEWAY_CANARY_CONFIG_MAP },
} as const;
/** Where gateway pods mount their track's ConfigMap, as a directory (never subPath). */
export const CONFIG_MOUNT_DIR = '/etc/sluice/config';
/** The gateway's listen port inside the pod (server.port's default) and the Service port. */
export const GATEWAY_CONTAINER_PORT = 8080;
export const GATEWAY_SERVICE_PORT = 80;
/** Route names: one per LogRepo (`sluice-repo-<name>`) and the namespace's prefix route. */
export const ROUTE_NAME_PREFIX = 'sluice-repo-';
export const PREFIX_ROUTE_NAME = 'sluice-repos';
/** The ingest path of a repo, and the prefix all of them share. */
export const INGEST_PATH_PREFIX = '/log/repo/';

/** Condition types. Reasons are CamelCase, stable, and listed here only. */
export const CONDITION = {
  ready: 'Ready',
  configured: 'Configured',
  /** Present while spec.canary.weight > 0: whether the route sends the canary share. */
  canary: 'Canary',
  /**
   * Present with Gateway API routes while the gateways serve HTTPS: the operator cannot tell
   * the Gateway to speak TLS to them (that takes a BackendTLSPolicy it does not write), so it
   * says what is needed.
   */
  backendTls: 'BackendTLS',
  /**
   * Present with Gateway API routes: whether the Gateways named in parentRefs accepted the
   * repo's HTTPRoute and resolved its backends, as their controllers wrote in status.parents.
   */
  routeAccepted: 'RouteAccepted',
  /**
   * With a fleet: whether every ready pod of each track that carries the repo runs the repo's
   * current config, as the pods themselves report on /status (operator/observe/).
   */
  configApplied: 'ConfigApplied',
  /** With spec.rollout: where the progressive rollout of the repo's pipeline stands. */
  rollout: 'Rollout',
} as const;

export const REASON = {
  // Ready / Configured = True
  applied: 'Applied',
  // Canary = True
  routed: 'Routed',
  // Ready / Configured = False
  producerNotFound: 'ProducerNotFound',
  producerNotReady: 'ProducerNotReady',
  invalidSpec: 'InvalidSpec',
  invalidPipeline: 'InvalidPipeline',
  configTooLarge: 'ConfigTooLarge',
  secretNotFound: 'SecretNotFound',
  applyFailed: 'ApplyFailed',
  // Canary = False: the canary track serves the repo but has no available pod yet
  canaryNotAvailable: 'CanaryNotAvailable',
  // Ready = Unknown
  reconciling: 'Reconciling',
  // BackendTLS = Unknown: a BackendTLSPolicy must send the Gateway's traffic over HTTPS
  backendTlsPolicyRequired: 'BackendTLSPolicyRequired',
  // RouteAccepted = True
  accepted: 'Accepted',
  // RouteAccepted = False: no parentRefs; a parent refused the route; or its backends
  routeNotAccepted: 'RouteNotAccepted',
  routeRefsNotResolved: 'RouteRefsNotResolved',
  noParentRefs: 'NoParentRefs',
  // RouteAccepted = Unknown: no controller reported on the route's generation yet
  routeNotReported: 'RouteNotReported',
  // ConfigApplied (and Ready) = False: a pod refused the config that carries the repo's
  // change; pods still run an older config; a track that should carry it has no ready pod
  reloadRejected: 'ReloadRejected',
  progressing: 'Progressing',
  noReadyPods: 'NoReadyPods',
  // ConfigApplied / Ready = Unknown: ready pods exist but none answered /status yet
  podsNotObserved: 'PodsNotObserved',
  // Rollout: a pipeline change moves through its steps; waits for traffic; paused by hand;
  // promoted; rolled back (a threshold failed, or aborted by hand); nothing to roll out
  rolloutProgressing: 'RolloutProgressing',
  rolloutWaitingForTraffic: 'WaitingForTraffic',
  rolloutPaused: 'RolloutPaused',
  rolloutPromoted: 'Promoted',
  rolloutRolledBack: 'RolledBack',
  rolloutAborted: 'Aborted',
} as const;
export type Reason = (typeof REASON)[keyof typeof REASON];

/** Largest ConfigMap the apiserver stores (data plus metadata must fit in 1 MiB). */
export const CONFIG_MAP_MAX_BYTES = 1024 * 1024;
/** Headroom kept for metadata and the other keys of the rendered ConfigMap. */
export const CONFIG_MAP_SAFETY_BYTES = 16 * 1024;
