import { KAFKA_PRODUCER, LOG_REPO, REASON } from '../operator/api/constants.ts';
import type { KafkaProducerSpec } from '../operator/api/kafka-producer-spec.ts';
import type { LogRepoSpec } from '../operator/api/log-repo-spec.ts';
import { desiredNamespace } from '../operator/controller/desired-namespace.ts';
import type { KubeObject } from '../operator/kube/kube-client.ts';
import type { FleetSettings, RouteSettings } from '../operator/operator-config.ts';
import {
  byName,
  type RenderedConfig,
  type RenderOptions,
  renderGatewayConfig,
  type Track,
} from '../operator/render/render-gateway-config.ts';
import type { DocumentIssue, DocumentOrigin, ResourceDocument } from './read-resources.ts';

export interface NamespaceResources {
  readonly repos: readonly ResourceDocument<LogRepoSpec>[];
  readonly producers: readonly ResourceDocument<KafkaProducerSpec>[];
}

/** The gateway configs of a namespace: stable, and canary when some repo asks for a canary share. */
export interface NamespaceConfigs {
  readonly stable: RenderedConfig;
  readonly canary?: RenderedConfig;
}

// Verdicts that mean the document itself is wrong (the gateway's own validation refused
// it), as opposed to a reference to something not given (ProducerNotFound), which is
// only "left out" of the rendered config.
const INVALID: ReadonlySet<string> = new Set([REASON.invalidSpec, REASON.invalidPipeline]);

const sortedByName = <T extends { metadata: { name: string } }>(items: readonly T[]) =>
  [...items].sort(byName);

/** Renders both tracks' gateway configs the way the operator does (with its fleet's options). Pure. */
export function renderConfigs(resources: NamespaceResources, options: RenderOptions = {}): NamespaceConfigs {
  const stable = renderGatewayConfig(resources.producers, resources.repos, 'stable', options);
  const wantsCanary = resources.repos.some((repo) => (repo.spec.canary?.weight ?? 0) > 0);
  return wantsCanary
    ? { stable, canary: renderGatewayConfig(resources.producers, resources.repos, 'canary', options) }
    : { stable };
}

/**
 * The renderer's verdicts that make a document invalid (InvalidSpec, InvalidPipeline), as
 * document issues; a canary-only failure is reported under /spec/canary. Also a config too
 * large for a ConfigMap, reported on the namespace's first document. Pure.
 */
export function verdictIssues(resources: NamespaceResources, configs: NamespaceConfigs): DocumentIssue[] {
  const issues: DocumentIssue[] = [];
  const issue = (at: DocumentOrigin, path: string, message: string) =>
    issues.push({ file: at.file, doc: at.doc, path: `${at.itemPath ?? ''}${path}`, message });
  for (const producer of resources.producers) {
    const verdict = configs.stable.producers.get(producer.metadata.name);
    if (verdict && INVALID.has(verdict.reason))
      issue(producer, '/spec', `${verdict.reason}: ${verdict.message}`);
  }
  for (const repo of resources.repos) {
    const stable = configs.stable.repos.get(repo.metadata.name);
    const canary = configs.canary?.repos.get(repo.metadata.name);
    if (stable && INVALID.has(stable.reason)) {
      issue(repo, '/spec', `${stable.reason}: ${stable.message}`);
    } else if (canary && INVALID.has(canary.reason) && (repo.spec.canary?.weight ?? 0) > 0) {
      issue(repo, '/spec/canary', `${canary.reason} (canary track): ${canary.message}`);
    }
  }
  const first = [...resources.producers, ...resources.repos].sort((a, b) =>
    a.file === b.file ? a.doc - b.doc : a.file < b.file ? -1 : 1,
  )[0];
  for (const [track, config] of Object.entries(configs) as [Track, RenderedConfig][]) {
    if (config.tooLarge && first) {
      issue(
        first,
        '/',
        `ConfigTooLarge: the ${track} gateway config of namespace ${first.namespace} is ${config.sizeBytes} bytes, more than a ConfigMap holds`,
      );
    }
  }
  return issues;
}

export interface RenderedNamespace {
  /** One line per LogRepo and KafkaProducer: whether it is part of the gateway config, and why. */
  readonly summary: readonly string[];
  readonly objects: readonly KubeObject[];
}

/**
 * What the operator would apply in one namespace with LogRepos: the objects of its desired
 * state (desiredNamespace, the function the reconcile applies), in the order the operator
 * applies them. There is no cluster here, so the canary track is taken as running with an
 * available pod (the state it reaches): routes carry the canary weights of repos the canary
 * config serves. Pure and deterministic.
 */
export function renderNamespace(
  namespace: string,
  resources: NamespaceResources,
  settings: { readonly fleet: FleetSettings; readonly routes: RouteSettings },
): RenderedNamespace {
  const wantsCanary = resources.repos.some((repo) => (repo.spec.canary?.weight ?? 0) > 0);
  const desired = desiredNamespace({
    namespace,
    repos: resources.repos,
    producers: resources.producers,
    fleet: { settings: settings.fleet, routes: settings.routes },
    observed: {
      canaryDeployed: wantsCanary,
      canaryAvailableReplicas: wantsCanary ? 1 : 0,
      readyReplicas: {},
      routes: new Map(),
    },
    // Statuses are not rendered; the clock only dates their conditions.
    nowMs: 0,
    now: () => new Date(0).toISOString(),
  });
  const { stable, canary } = desired;
  const summary: string[] = [
    `namespace ${namespace}: stable config ${stable?.revision}${canary ? `, canary config ${canary.revision}` : ''}`,
  ];
  for (const repo of sortedByName(resources.repos)) {
    const name = repo.metadata.name;
    const verdict = stable?.repos.get(name);
    const specWeight = repo.spec.canary?.weight ?? 0;
    const canaryWeight = desired.repoFleet.get(name)?.weights.canary ?? 0;
    summary.push(
      `${LOG_REPO.kind} ${name}: ${verdict?.included ? 'included' : 'left out'} (${verdict?.reason}: ${verdict?.message})` +
        (specWeight > 0 ? `; canary ${canaryWeight}%` : ''),
    );
  }
  for (const producer of sortedByName(resources.producers)) {
    const verdict = stable?.producers.get(producer.metadata.name);
    summary.push(
      `${KAFKA_PRODUCER.kind} ${producer.metadata.name}: ${verdict?.included ? 'included' : 'not rendered'} (${verdict?.message})`,
    );
  }
  return { summary, objects: desired.objects.map(({ object }) => object) };
}
