import {
  API_VERSION,
  GATEWAY_NAMES,
  GATEWAY_SERVICE_PORT,
  INGEST_PATH_PREFIX,
  LABELS,
  LOG_REPO,
  MANAGED_BY,
  PREFIX_ROUTE_NAME,
  ROUTE_NAME_PREFIX,
} from '../api/constants.ts';
import type { KubeObject } from '../kube/kube-client.ts';
import type { RouteSettings } from '../operator-config.ts';
import { withAppliedDigest } from './applied-digest.ts';

/** Percent of a repo's requests each track gets; they add up to 100. */
export interface RouteWeights {
  readonly stable: number;
  readonly canary: number;
}

export type RouteProvider = RouteSettings['provider'];

/** The API kind each provider writes. */
const ROUTE_KINDS = {
  apisix: { apiVersion: 'apisix.apache.org/v2', kind: 'ApisixRoute' },
  'gateway-api': { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' },
} as const;

/** Name of the route of one LogRepo: `sluice-repo-<name>`; never collides with `sluice-repos`. */
export const repoRouteName = (repo: string) => `${ROUTE_NAME_PREFIX}${repo}`;

export interface RepoRouteInputs {
  readonly namespace: string;
  /** The LogRepo: its name is the path, its uid makes it the route's owner. */
  readonly repo: { readonly name: string; readonly uid?: string };
  readonly weights: RouteWeights;
  readonly settings: RouteSettings;
}

const routeLabels = (repo?: string): Record<string, string> => ({
  [LABELS.managedBy]: MANAGED_BY,
  [LABELS.name]: 'sluice',
  [LABELS.component]: 'route',
  ...(repo === undefined ? {} : { [LABELS.repo]: repo }),
});

// The route of a repo is owned by its LogRepo, so the garbage collector removes it with the
// repo even when the operator is not running. Not blockOwnerDeletion: that would need update
// rights on logrepos/finalizers, and nothing has to wait for the route to go first.
const ownedBy = (repo: RepoRouteInputs['repo']) =>
  repo.uid === undefined
    ? {}
    : {
        ownerReferences: [
          { apiVersion: API_VERSION, kind: LOG_REPO.kind, name: repo.name, uid: repo.uid, controller: true },
        ],
      };

/** Backends with their weights; the canary backend only when it gets traffic. */
function weighted(weights: RouteWeights): Array<{ service: string; weight: number }> {
  return [
    { service: GATEWAY_NAMES.stable.workload, weight: weights.stable },
    ...(weights.canary > 0 ? [{ service: GATEWAY_NAMES.canary.workload, weight: weights.canary }] : []),
  ];
}

function apisixRepoRoute(inputs: RepoRouteInputs): KubeObject {
  const { namespace, repo, weights, settings } = inputs;
  return {
    ...ROUTE_KINDS.apisix,
    metadata: { name: repoRouteName(repo.name), namespace, labels: routeLabels(repo.name), ...ownedBy(repo) },
    spec: {
      ...(settings.ingressClassName === undefined ? {} : { ingressClassName: settings.ingressClassName }),
      http: [
        {
          name: 'ingest',
          priority: settings.priorities.exact,
          match: {
            paths: [`${INGEST_PATH_PREFIX}${repo.name}`],
            methods: ['POST'],
            ...(settings.hosts.length === 0 ? {} : { hosts: [...settings.hosts] }),
          },
          // More than one backend: APISIX splits by weight (its traffic-split plugin).
          backends: weighted(weights).map(({ service, weight }) => ({
            serviceName: service,
            servicePort: GATEWAY_SERVICE_PORT,
            weight,
          })),
        },
      ],
    },
  };
}

function httpRepoRoute(inputs: RepoRouteInputs): KubeObject {
  const { namespace, repo, weights, settings } = inputs;
  return {
    ...ROUTE_KINDS['gateway-api'],
    metadata: { name: repoRouteName(repo.name), namespace, labels: routeLabels(repo.name), ...ownedBy(repo) },
    spec: {
      parentRefs: settings.parentRefs.map((ref) => ({ ...ref })),
      ...(settings.hosts.length === 0 ? {} : { hostnames: [...settings.hosts] }),
      rules: [
        {
          // Exact beats PathPrefix in Gateway API's precedence, whatever the route order.
          matches: [{ path: { type: 'Exact', value: `${INGEST_PATH_PREFIX}${repo.name}` }, method: 'POST' }],
          backendRefs: weighted(weights).map(({ service, weight }) => ({
            name: service,
            port: GATEWAY_SERVICE_PORT,
            weight,
          })),
        },
      ],
    },
  };
}

/**
 * The route of one LogRepo: an exact match on POST /log/repo/{name} whose backends are the
 * stable and canary Services with the effective weights (the canary backend is left out at
 * weight 0). Undefined for provider `none`. Pure and deterministic.
 */
export function renderRepoRoute(inputs: RepoRouteInputs): KubeObject | undefined {
  const provider = inputs.settings.provider;
  if (provider === 'none') return undefined;
  return withAppliedDigest(provider === 'apisix' ? apisixRepoRoute(inputs) : httpRepoRoute(inputs));
}

/**
 * The namespace's catch-all: every path under /log/repo/ to the stable track (unknown repos
 * get the gateway's 404 from there). Exact routes win over it. Undefined for provider `none`.
 */
export function renderPrefixRoute(namespace: string, settings: RouteSettings): KubeObject | undefined {
  const metadata = { name: PREFIX_ROUTE_NAME, namespace, labels: routeLabels() };
  const stable = GATEWAY_NAMES.stable.workload;
  if (settings.provider === 'none') return undefined;
  if (settings.provider === 'apisix') {
    return withAppliedDigest({
      ...ROUTE_KINDS.apisix,
      metadata,
      spec: {
        ...(settings.ingressClassName === undefined ? {} : { ingressClassName: settings.ingressClassName }),
        http: [
          {
            name: 'ingest-prefix',
            priority: settings.priorities.prefix,
            match: {
              paths: [`${INGEST_PATH_PREFIX}*`],
              ...(settings.hosts.length === 0 ? {} : { hosts: [...settings.hosts] }),
            },
            backends: [{ serviceName: stable, servicePort: GATEWAY_SERVICE_PORT }],
          },
        ],
      },
    });
  }
  return withAppliedDigest({
    ...ROUTE_KINDS['gateway-api'],
    metadata,
    spec: {
      parentRefs: settings.parentRefs.map((ref) => ({ ...ref })),
      ...(settings.hosts.length === 0 ? {} : { hostnames: [...settings.hosts] }),
      rules: [
        {
          matches: [{ path: { type: 'PathPrefix', value: INGEST_PATH_PREFIX } }],
          backendRefs: [{ name: stable, port: GATEWAY_SERVICE_PORT }],
        },
      ],
    },
  });
}
