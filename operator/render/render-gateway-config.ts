import { type ConfigIssue, validateConfig } from '../../gateway/config/parse-config.ts';
import { canonicalJson, digestOf } from '../../kernel/canonical-json.ts';
import { repoConfigDigest } from '../../kernel/repo-config-digest.ts';
import {
  CONFIG_MAP_MAX_BYTES,
  CONFIG_MAP_SAFETY_BYTES,
  KAFKA_PRODUCER,
  REASON,
  type Reason,
  SECRET_MOUNT_DIR,
} from '../api/constants.ts';
import { isDnsLabel } from '../api/dns-label.ts';
import type { KafkaProducerSpec } from '../api/kafka-producer-spec.ts';
import type { LogRepoSpec } from '../api/log-repo-spec.ts';
import type { FleetSettings } from '../operator-config.ts';

/** The parts of a custom resource the renderer reads. */
export interface SpecObject<Spec> {
  readonly metadata: { readonly name: string; readonly generation?: number };
  readonly spec: Spec;
}

export type Track = 'stable' | 'canary';

export interface Verdict {
  readonly included: boolean;
  readonly reason: Reason;
  readonly message: string;
  /**
   * Digest of this object's own part of the config (for a repo: its repo and
   * producer entries). It changes only when what the gateway does for this
   * object changes, so statuses need not be rewritten on every other edit.
   */
  readonly digest?: string;
}

export interface RenderedConfig {
  /** The gateway config, JSON text (JSON is YAML), deterministic for the same inputs. */
  readonly text: string;
  readonly revision: string;
  readonly sizeBytes: number;
  /** True when the config would not fit in a ConfigMap; nothing should be applied then. */
  readonly tooLarge: boolean;
  readonly repos: ReadonlyMap<string, Verdict>;
  readonly producers: ReadonlyMap<string, Verdict>;
}

export const byName = <T extends { metadata: { name: string } }>(a: T, b: T) =>
  a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
const secretPath = (secret: string, key: string) => `${SECRET_MOUNT_DIR}/${secret}/${key}`;
const describeIssues = (issues: readonly ConfigIssue[], strip: string) =>
  issues
    .slice(0, 3)
    .map((issue) => `${issue.path.replace(strip, '') || '/'}: ${issue.message}`)
    .join('; ');

/** Maps a KafkaProducer spec to the gateway's producer config: Secret references become mount paths. */
export function producerConfig(spec: KafkaProducerSpec): Record<string, unknown> {
  const { tls, sasl, ...settings } = spec;
  return {
    type: 'kafka',
    ...settings,
    ...(tls
      ? {
          tls: {
            enabled: tls.enabled,
            rejectUnauthorized: tls.rejectUnauthorized,
            ...(tls.caSecretRef ? { caFile: secretPath(tls.caSecretRef.name, tls.caSecretRef.key) } : {}),
            ...(tls.clientCertSecretRef
              ? {
                  certFile: secretPath(tls.clientCertSecretRef.name, tls.clientCertSecretRef.certKey),
                  keyFile: secretPath(tls.clientCertSecretRef.name, tls.clientCertSecretRef.keyKey),
                }
              : {}),
          },
        }
      : {}),
    ...(sasl
      ? {
          sasl: {
            mechanism: sasl.mechanism,
            usernameFile: secretPath(sasl.secretRef.name, sasl.secretRef.usernameKey),
            passwordFile: secretPath(sasl.secretRef.name, sasl.secretRef.passwordKey),
          },
        }
      : {}),
  };
}

export interface RenderOptions {
  /** The fleet's listener certificate Secret (kubernetes.io/tls keys), mounted like the others. */
  readonly listenerTlsSecret?: string;
  /** The proxies in front of the fleet (server.trustedProxies). */
  readonly trustedProxies?: readonly string[];
  /** server.shutdownDelayMs: how long a terminating pod keeps serving while its endpoint is withdrawn. */
  readonly shutdownDelayMs?: number;
}

/**
 * How long a fleet pod keeps serving after SIGTERM, not ready: the EndpointSlice update that
 * takes it out of the Service must reach the proxy first (kube-proxy, APISIX, a Gateway), or
 * requests sent to it meanwhile fail with connection errors. A few seconds is what proxies
 * watching EndpointSlices need; it fits well within the pod's grace period (30 s).
 */
export const FLEET_SHUTDOWN_DELAY_MS = 5000;

/** The render options the fleet settings call for (the operator's and the CLI's alike). */
export function fleetRenderOptions(
  settings: Pick<FleetSettings, 'listenerTls' | 'trustedProxies'> | undefined,
): RenderOptions {
  const secret = settings?.listenerTls?.secretName;
  const proxies = settings?.trustedProxies ?? [];
  return {
    ...(secret === undefined ? {} : { listenerTlsSecret: secret }),
    ...(proxies.length === 0 ? {} : { trustedProxies: proxies }),
    ...(settings === undefined ? {} : { shutdownDelayMs: FLEET_SHUTDOWN_DELAY_MS }),
  };
}

/** The server section: HTTPS with the mounted certificate, the trusted proxies; undefined when empty. */
function serverSection(options: RenderOptions): Record<string, unknown> | undefined {
  const secret = options.listenerTlsSecret;
  const server = {
    ...(secret === undefined
      ? {}
      : { tls: { certFile: secretPath(secret, 'tls.crt'), keyFile: secretPath(secret, 'tls.key') } }),
    ...(options.trustedProxies === undefined ? {} : { trustedProxies: [...options.trustedProxies] }),
    ...(options.shutdownDelayMs === undefined ? {} : { shutdownDelayMs: options.shutdownDelayMs }),
  };
  return Object.keys(server).length === 0 ? undefined : server;
}

/** Maps a LogRepo spec to the gateway's repo config for one track (the canary track applies the overrides). */
function repoConfig(spec: LogRepoSpec, track: Track): Record<string, unknown> {
  const { kafka, sampling, canary, auth, ...pipeline } = spec;
  const overrides = track === 'canary' && canary ? canary : undefined;
  const executers = [
    ...(sampling ? [{ type: 'sample', percent: sampling.percent }] : []),
    ...((overrides?.executers ?? pipeline.executers ?? []) as unknown[]),
  ];
  const constraint = overrides?.constraint ?? pipeline.constraint;
  return {
    producer: kafka.producer,
    topic: overrides?.topic ?? kafka.topic,
    mode: kafka.mode,
    ...(kafka.key === undefined ? {} : { key: kafka.key }),
    ...(kafka.headers === undefined ? {} : { headers: kafka.headers }),
    ...(pipeline.decoder === undefined ? {} : { decoder: pipeline.decoder }),
    ...(constraint === undefined ? {} : { constraint }),
    ...(executers.length > 0 ? { executers } : {}),
    ...(pipeline.onExecuterError === undefined ? {} : { onExecuterError: pipeline.onExecuterError }),
    ...(pipeline.deadLetter === undefined ? {} : { deadLetter: pipeline.deadLetter }),
    ...(pipeline.limits === undefined ? {} : { limits: pipeline.limits }),
    // Rendered only while suspended: a gateway older than these fields keeps loading the
    // config of every repo that does not use them (the same holds for limits and headers).
    ...(pipeline.suspend === true
      ? { suspend: true, whileSuspended: pipeline.whileSuspended ?? 'reject' }
      : {}),
    // The mounted file, never the tokens: the ConfigMap is readable by more than the Secret.
    ...(auth === undefined
      ? {}
      : { auth: { tokensFile: secretPath(auth.secretRef.name, auth.secretRef.key ?? 'tokens') } }),
  };
}

/**
 * Renders every KafkaProducer and LogRepo of a namespace into one gateway
 * config. Pure and deterministic (sorted names, canonical JSON, a content
 * hash as revision, no clock). Each object is checked with the gateway's own
 * validation; an object that fails — or a repo whose producer is missing or
 * invalid — is left out with a verdict saying why, and the others are
 * unaffected. Only producers some included repo uses are rendered.
 */
export function renderGatewayConfig(
  producers: readonly SpecObject<KafkaProducerSpec>[],
  repos: readonly SpecObject<LogRepoSpec>[],
  track: Track = 'stable',
  options: RenderOptions = {},
): RenderedConfig {
  const producerVerdicts = new Map<string, Verdict>();
  const validProducers = new Map<string, Record<string, unknown>>();
  for (const producer of [...producers].sort(byName)) {
    const name = producer.metadata.name;
    if (!isDnsLabel(name)) {
      producerVerdicts.set(name, {
        included: false,
        reason: REASON.invalidSpec,
        message: 'name must be a DNS-1123 label (a-z, 0-9, -; at most 63)',
      });
      continue;
    }
    const config = producerConfig(producer.spec);
    const checked = validateConfig({ producers: { [name]: config }, repos: {} });
    if (!checked.ok) {
      producerVerdicts.set(name, {
        included: false,
        reason: REASON.invalidSpec,
        message: describeIssues(checked.issues, `/producers/${name}`),
      });
    } else {
      validProducers.set(name, config);
    }
  }

  const repoVerdicts = new Map<string, Verdict>();
  const renderedRepos: Record<string, unknown> = {};
  const used = new Set<string>();
  for (const repo of [...repos].sort(byName)) {
    const name = repo.metadata.name;
    const producerName = repo.spec.kafka.producer;
    if (!isDnsLabel(name)) {
      repoVerdicts.set(name, {
        included: false,
        reason: REASON.invalidSpec,
        message: 'name must be a DNS-1123 label: it is the path /log/repo/{name}',
      });
      continue;
    }
    const producerConfigForRepo = validProducers.get(producerName);
    if (!producerConfigForRepo) {
      const exists = producers.some((producer) => producer.metadata.name === producerName);
      repoVerdicts.set(
        name,
        exists
          ? {
              included: false,
              reason: REASON.producerNotReady,
              message: `${KAFKA_PRODUCER.kind} ${producerName} is invalid: ${producerVerdicts.get(producerName)?.message ?? ''}`,
            }
          : {
              included: false,
              reason: REASON.producerNotFound,
              message: `${KAFKA_PRODUCER.kind} ${producerName} does not exist in this namespace`,
            },
      );
      continue;
    }
    const config = repoConfig(repo.spec, track);
    const checked = validateConfig({
      producers: { [producerName]: producerConfigForRepo },
      repos: { [name]: config },
    });
    if (!checked.ok) {
      repoVerdicts.set(name, {
        included: false,
        reason: REASON.invalidPipeline,
        message: describeIssues(checked.issues, `/repos/${name}`),
      });
      continue;
    }
    renderedRepos[name] = config;
    used.add(producerName);
    repoVerdicts.set(name, {
      included: true,
      reason: REASON.applied,
      message: 'part of the gateway config',
      digest: repoConfigDigest(config, producerConfigForRepo),
    });
  }
  for (const name of validProducers.keys()) {
    producerVerdicts.set(name, {
      included: used.has(name),
      reason: REASON.applied,
      message: used.has(name) ? 'part of the gateway config' : 'valid; no LogRepo uses it yet',
      ...(used.has(name) ? { digest: digestOf(validProducers.get(name)) } : {}),
    });
  }

  const body = {
    ...(serverSection(options) === undefined ? {} : { server: serverSection(options) }),
    producers: Object.fromEntries([...validProducers].filter(([name]) => used.has(name))),
    repos: renderedRepos,
  };
  const revision = `sha256-${digestOf(body)}`;
  const text = `${canonicalJson({ revision, ...body })}\n`;
  const sizeBytes = Buffer.byteLength(text);
  return {
    text,
    revision,
    sizeBytes,
    tooLarge: sizeBytes > CONFIG_MAP_MAX_BYTES - CONFIG_MAP_SAFETY_BYTES,
    repos: repoVerdicts,
    producers: producerVerdicts,
  };
}
