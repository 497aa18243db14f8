import { KAFKA_PRODUCER, LOG_REPO, REASON } from '../operator/api/constants.ts';
import type { KafkaProducerSpec } from '../operator/api/kafka-producer-spec.ts';
import type { LogRepoSpec } from '../operator/api/log-repo-spec.ts';
import { desiredConfigMap } from '../operator/controller/gateway-config-map.ts';
import { effectiveWeights } from '../operator/controller/reconcile-fleet.ts';
import type { KubeObject } from '../operator/kube/kube-client.ts';
import type { FleetSettings, RouteSettings } from '../operator/operator-config.ts';
import {
  byName,
  type RenderedConfig,
  type RenderOptions,
  renderGatewayConfig,
  type Track,
} from '../operator/render/render-gateway-config.ts';
import { fleetSecretNames, renderGatewayTrack } from '../operator/render/render-gateway-track.ts';
import { renderPrefixRoute, renderRepoRoute } from '../operator/render/render-routes.ts';
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
 * What the operator would apply in one namespace with LogRepos, given as desired objects:
 * the stable ConfigMap, the canary ConfigMap when a canary track is wanted, each track's
 * Deployment, Service and PodDisruptionBudget (and ApisixUpstream, with listener TLS and
 * APISIX), a route per repo (sorted by name) and the prefix route. `configs` must have been
 * rendered with the same fleet's options (renderConfigs). The canary track is rendered as running (the state it reaches), so routes
 * carry the canary weights of repos the canary config serves. Pure and deterministic.
 */
export function renderNamespace(
  namespace: string,
  resources: NamespaceResources,
  configs: NamespaceConfigs,
  settings: { readonly fleet: FleetSettings; readonly routes: RouteSettings },
): RenderedNamespace {
  const { stable, canary } = configs;
  const objects: KubeObject[] = [desiredConfigMap(namespace, 'stable', stable)];
  if (canary) objects.push(desiredConfigMap(namespace, 'canary', canary));
  const secrets = fleetSecretNames(resources.producers, resources.repos, settings.fleet);
  const tracks: Track[] = canary ? ['stable', 'canary'] : ['stable'];
  for (const track of tracks) {
    const { workload, upstream } = renderGatewayTrack({
      namespace,
      track,
      fleet: settings.fleet,
      routes: settings.routes,
      secrets,
    });
    objects.push(workload.deployment, workload.service, workload.podDisruptionBudget);
    if (upstream) objects.push(upstream);
  }
  const summary: string[] = [
    `namespace ${namespace}: stable config ${stable.revision}${canary ? `, canary config ${canary.revision}` : ''}`,
  ];
  for (const repo of sortedByName(resources.repos)) {
    const name = repo.metadata.name;
    const verdict = stable.repos.get(name);
    const canaryVerdict = canary?.repos.get(name);
    const specWeight = repo.spec.canary?.weight ?? 0;
    // As the routes will be once the canary track has an available pod (there is no cluster here).
    const weights = effectiveWeights(specWeight, 'active', canaryVerdict?.included === true, true);
    summary.push(
      `${LOG_REPO.kind} ${name}: ${verdict?.included ? 'included' : 'left out'} (${verdict?.reason}: ${verdict?.message})` +
        (specWeight > 0 ? `; canary ${weights.canary}%` : ''),
    );
    const route = renderRepoRoute({
      namespace,
      repo: { name, ...(repo.metadata.uid === undefined ? {} : { uid: repo.metadata.uid }) },
      weights,
      settings: settings.routes,
    });
    if (route) objects.push(route);
  }
  const prefix = renderPrefixRoute(namespace, settings.routes);
  if (prefix) objects.push(prefix);
  for (const producer of sortedByName(resources.producers)) {
    const verdict = stable.producers.get(producer.metadata.name);
    summary.push(
      `${KAFKA_PRODUCER.kind} ${producer.metadata.name}: ${verdict?.included ? 'included' : 'not rendered'} (${verdict?.message})`,
    );
  }
  return { summary, objects };
}
