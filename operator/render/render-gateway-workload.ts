import { digestOf } from '../../kernel/canonical-json.ts';
import {
  ANNOTATIONS,
  CONFIG_MOUNT_DIR,
  GATEWAY_CONFIG_KEY,
  GATEWAY_CONTAINER_PORT,
  GATEWAY_NAMES,
  GATEWAY_SERVICE_PORT,
  LABELS,
  MANAGED_BY,
  SECRET_MOUNT_DIR,
} from '../api/constants.ts';
import type { KubeObject } from '../kube/kube-client.ts';
import type { TrackSettings } from '../operator-config.ts';
import { withAppliedDigest } from './applied-digest.ts';
import { secretVolumeName } from './gateway-secret-names.ts';
import type { Track } from './render-gateway-config.ts';

export interface WorkloadInputs {
  readonly namespace: string;
  readonly track: Track;
  readonly settings: TrackSettings;
  /** Secrets the namespace's KafkaProducers reference, mounted at /etc/sluice/secrets/<name>. */
  readonly secrets: readonly string[];
  /** The gateways serve HTTPS (the fleet's listener certificate): probes speak TLS. */
  readonly listenerTls?: boolean;
  /** Canary only: when its last weight returned to 0 (kept on the Deployment across restarts). */
  readonly idleSince?: string;
  /**
   * Replaces settings.replicas when the key is present (replicasToApply of
   * render-autoscaler.ts); present and undefined leaves spec.replicas out, so an autoscaler
   * that owns the field keeps it. Absent: settings.replicas.
   */
  readonly replicas?: number | undefined;
}

export interface GatewayWorkload {
  readonly deployment: KubeObject;
  readonly service: KubeObject;
  readonly podDisruptionBudget: KubeObject;
}

/** The labels that select a track's pods (immutable in a Deployment: never add to them). */
function selectorLabels(track: Track): Record<string, string> {
  return { [LABELS.name]: 'sluice', [LABELS.component]: 'gateway', [LABELS.track]: track };
}

/** Labels of every fleet object: the selector plus managed-by, which the operator's informers select. */
export function fleetLabels(track: Track): Record<string, string> {
  return { ...selectorLabels(track), [LABELS.managedBy]: MANAGED_BY };
}

// Gateway shutdown is bounded by server.shutdownTimeoutMs (25 s by default): the pod gets a
// little more before SIGKILL.
const TERMINATION_GRACE_SECONDS = 30;
// A numeric non-root user, so runAsNonRoot holds whatever USER the image names.
const RUN_AS_USER = 65532;

function podSpec(inputs: WorkloadInputs): Record<string, unknown> {
  const { track, settings, secrets } = inputs;
  const probe = (path: string, periodSeconds: number, failureThreshold: number) => ({
    httpGet: { path, port: 'http', ...(inputs.listenerTls ? { scheme: 'HTTPS' } : {}) },
    periodSeconds,
    failureThreshold,
    timeoutSeconds: 2,
  });
  return {
    automountServiceAccountToken: false,
    enableServiceLinks: false,
    terminationGracePeriodSeconds: TERMINATION_GRACE_SECONDS,
    securityContext: {
      runAsNonRoot: true,
      runAsUser: RUN_AS_USER,
      runAsGroup: RUN_AS_USER,
      seccompProfile: { type: 'RuntimeDefault' },
    },
    containers: [
      {
        name: 'gateway',
        image: settings.image,
        imagePullPolicy: 'IfNotPresent',
        env: [
          // The file inside the ConfigMap directory: the kubelet swaps the directory's
          // ..data symlink on every change and the gateway reloads in place.
          { name: 'SLUICE_CONFIG', value: `${CONFIG_MOUNT_DIR}/${GATEWAY_CONFIG_KEY}` },
          // Several gateway processes share the pod's port (node:cluster), one per core.
          ...(settings.workers !== undefined && settings.workers > 1
            ? [{ name: 'SLUICE_GATEWAY_WORKERS', value: String(settings.workers) }]
            : []),
        ],
        ports: [{ name: 'http', containerPort: GATEWAY_CONTAINER_PORT, protocol: 'TCP' }],
        startupProbe: probe('/healthz', 2, 30),
        livenessProbe: probe('/healthz', 10, 3),
        readinessProbe: probe('/readyz', 5, 2),
        resources: settings.resources,
        securityContext: {
          allowPrivilegeEscalation: false,
          readOnlyRootFilesystem: true,
          privileged: false,
          runAsNonRoot: true,
          capabilities: { drop: ['ALL'] },
        },
        volumeMounts: [
          // A directory mount, never subPath: the kubelet never updates subPath mounts.
          { name: 'config', mountPath: CONFIG_MOUNT_DIR, readOnly: true },
          { name: 'tmp', mountPath: '/tmp' },
          ...secrets.map((secret) => ({
            name: secretVolumeName(secret),
            mountPath: `${SECRET_MOUNT_DIR}/${secret}`,
            readOnly: true,
          })),
        ],
      },
    ],
    volumes: [
      { name: 'config', configMap: { name: GATEWAY_NAMES[track].configMap } },
      { name: 'tmp', emptyDir: { sizeLimit: '64Mi' } },
      // optional: a missing Secret fails the producer that needs it (its status says so), not
      // every pod of the track, which would otherwise never start.
      ...secrets.map((secret) => ({
        name: secretVolumeName(secret),
        secret: { secretName: secret, optional: true },
      })),
    ],
    topologySpreadConstraints: ['topology.kubernetes.io/zone', 'kubernetes.io/hostname'].map((key) => ({
      maxSkew: 1,
      topologyKey: key,
      whenUnsatisfiable: 'ScheduleAnyway',
      labelSelector: { matchLabels: selectorLabels(track) },
    })),
  };
}

/**
 * The Deployment, Service and PodDisruptionBudget of one gateway track. Pure and
 * deterministic. The pod template is a function of the track's settings and the Secret
 * names only — never of config content — and carries their digest, so a config change
 * reloads in place while an image or pod-spec change rolls the pods.
 */
export function renderGatewayWorkload(inputs: WorkloadInputs): GatewayWorkload {
  const { namespace, track, settings } = inputs;
  const name = GATEWAY_NAMES[track].workload;
  const labels = fleetLabels(track);
  const spec = podSpec(inputs);
  const replicas = Object.hasOwn(inputs, 'replicas') ? inputs.replicas : settings.replicas;
  const deployment: KubeObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name,
      namespace,
      labels,
      ...(inputs.idleSince === undefined
        ? {}
        : { annotations: { [ANNOTATIONS.canaryIdleSince]: inputs.idleSince } }),
    },
    spec: {
      ...(replicas === undefined ? {} : { replicas }),
      revisionHistoryLimit: 5,
      selector: { matchLabels: selectorLabels(track) },
      // Surge, never drop below the wanted capacity during a rollout.
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels, annotations: { [ANNOTATIONS.podSpecDigest]: digestOf(spec) } },
        spec,
      },
    },
  };
  const service: KubeObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace, labels },
    spec: {
      type: 'ClusterIP',
      selector: selectorLabels(track),
      ports: [
        {
          name: 'http',
          port: GATEWAY_SERVICE_PORT,
          targetPort: 'http',
          protocol: 'TCP',
          // A hint several Gateway API implementations read to speak TLS to the backend.
          ...(inputs.listenerTls ? { appProtocol: 'https' } : {}),
        },
      ],
    },
  };
  const podDisruptionBudget: KubeObject = {
    apiVersion: 'policy/v1',
    kind: 'PodDisruptionBudget',
    metadata: { name, namespace, labels },
    spec: { maxUnavailable: 1, selector: { matchLabels: selectorLabels(track) } },
  };
  return {
    deployment: withAppliedDigest(deployment),
    service: withAppliedDigest(service),
    podDisruptionBudget: withAppliedDigest(podDisruptionBudget),
  };
}
