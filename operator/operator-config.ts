import { type Static, Type } from '@sinclair/typebox';
import { ServerSchema } from '../kernel/config-schema.ts';
import type { SchemaIssue } from '../kernel/schema-walk.ts';
import { compileTrustedProxies } from '../kernel/trusted-proxies.ts';
import { DNS_LABEL_PATTERN } from './api/dns-label.ts';
import { type Validated, validateWith } from './validate-with.ts';

// A Kubernetes quantity as people write them (100m, 0.5, 128Mi, 1G); the apiserver has the
// final word, this only catches typos at start-up.
const QuantitySchema = Type.String({
  pattern: '^[0-9]+(\\.[0-9]+)?(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$',
  description: 'A Kubernetes quantity, e.g. 100m, 128Mi.',
});
const ResourceListSchema = Type.Object(
  {
    cpu: Type.Optional(QuantitySchema),
    memory: Type.Optional(QuantitySchema),
    'ephemeral-storage': Type.Optional(QuantitySchema),
  },
  { additionalProperties: false },
);
export const ResourcesSchema = Type.Object(
  {
    requests: Type.Optional(
      Type.Object(ResourceListSchema.properties, {
        additionalProperties: false,
        description: 'What the scheduler reserves for each pod.',
      }),
    ),
    limits: Type.Optional(
      Type.Object(ResourceListSchema.properties, {
        additionalProperties: false,
        description: 'The most each pod may use.',
      }),
    ),
  },
  { additionalProperties: false, description: 'Container resources of the gateway pods of a track.' },
);
export type Resources = Static<typeof ResourcesSchema>;

export const TrackSettingsSchema = Type.Object(
  {
    image: Type.String({ minLength: 1, description: 'Gateway container image of this track.' }),
    replicas: Type.Integer({
      minimum: 1,
      maximum: 1000,
      description: 'Gateway pods of this track (at least one: a route may send it traffic).',
    }),
    resources: ResourcesSchema,
    workers: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 64,
        description:
          'Gateway processes per pod sharing its port (sluice gateway --workers); match the pod CPU limit. Default 1.',
      }),
    ),
  },
  { additionalProperties: false },
);
export type TrackSettings = Static<typeof TrackSettingsSchema>;

const LabelSelectorSchema = Type.Object(
  {
    matchLabels: Type.Optional(Type.Record(Type.String({ maxLength: 317 }), Type.String({ maxLength: 63 }))),
    matchExpressions: Type.Optional(
      Type.Array(
        Type.Object(
          {
            key: Type.String({ minLength: 1, maxLength: 317 }),
            operator: Type.Union(['In', 'NotIn', 'Exists', 'DoesNotExist'].map((op) => Type.Literal(op))),
            values: Type.Optional(Type.Array(Type.String({ maxLength: 63 }))),
          },
          { additionalProperties: false },
        ),
      ),
    ),
  },
  { additionalProperties: false },
);

/** A NetworkPolicyPeer (networking.k8s.io/v1): who may reach the gateway pods. */
export const NetworkPolicyPeerSchema = Type.Object(
  {
    namespaceSelector: Type.Optional(LabelSelectorSchema),
    podSelector: Type.Optional(LabelSelectorSchema),
    ipBlock: Type.Optional(
      Type.Object(
        {
          cidr: Type.String({ minLength: 1, maxLength: 64 }),
          except: Type.Optional(Type.Array(Type.String({ maxLength: 64 }))),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false, minProperties: 1 },
);
export type NetworkPolicyPeer = Static<typeof NetworkPolicyPeerSchema>;

export const FleetSettingsSchema = Type.Object(
  {
    stable: TrackSettingsSchema,
    canary: TrackSettingsSchema,
    canaryGraceSeconds: Type.Integer({
      minimum: 0,
      maximum: 86_400,
      description:
        'How long the canary track stays after the last canary weight of its namespace returned to 0, so in-flight traffic drains.',
    }),
    listenerTls: Type.Optional(
      Type.Object(
        {
          secretName: Type.String({
            minLength: 1,
            maxLength: 253,
            description:
              'A kubernetes.io/tls Secret (keys tls.crt and tls.key) in each namespace the fleet runs in; the gateways serve HTTPS with it and pick up a renewed certificate without a restart.',
          }),
        },
        { additionalProperties: false },
      ),
    ),
    // The gateway's own field, so the operator refuses at start-up what a gateway would.
    trustedProxies: Type.Optional(ServerSchema.properties.trustedProxies),
    networkPolicy: Type.Optional(
      Type.Object(
        {
          from: Type.Array(NetworkPolicyPeerSchema, {
            maxItems: 32,
            description:
              'Who may reach the gateway pods: the proxy and the operator (the chart adds the operator itself).',
          }),
        },
        {
          additionalProperties: false,
          description:
            'With it the operator writes a NetworkPolicy sluice-gateway per fleet namespace, letting only `from` reach the gateway port.',
        },
      ),
    ),
  },
  { additionalProperties: false, description: 'The gateway fleet the operator runs in each namespace.' },
);
export type FleetSettings = Static<typeof FleetSettingsSchema>;

export const ParentRefSchema = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 253 }),
    namespace: Type.Optional(Type.String({ minLength: 1, maxLength: 63, pattern: DNS_LABEL_PATTERN })),
    sectionName: Type.Optional(Type.String({ minLength: 1, maxLength: 253 })),
    group: Type.Optional(Type.String({ maxLength: 253 })),
    kind: Type.Optional(Type.String({ minLength: 1, maxLength: 63 })),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
  },
  { additionalProperties: false, description: 'A Gateway API parentRef (usually a Gateway).' },
);

export const RouteSettingsSchema = Type.Object(
  {
    provider: Type.Union([Type.Literal('apisix'), Type.Literal('gateway-api'), Type.Literal('none')], {
      description:
        'apisix: ApisixRoute (apisix.apache.org/v2); gateway-api: HTTPRoute (gateway.networking.k8s.io/v1); none: no routes.',
    }),
    ingressClassName: Type.Optional(
      Type.String({ minLength: 1, maxLength: 253, description: 'ApisixRoute spec.ingressClassName.' }),
    ),
    hosts: Type.Array(Type.String({ minLength: 1, maxLength: 253 }), {
      maxItems: 16,
      description: 'Hosts the routes match (ApisixRoute match.hosts, HTTPRoute hostnames); empty: any.',
    }),
    priorities: Type.Object(
      {
        exact: Type.Integer({ description: 'ApisixRoute priority of the per-repo exact routes.' }),
        prefix: Type.Integer({ description: 'ApisixRoute priority of the /log/repo/* prefix route.' }),
      },
      { additionalProperties: false },
    ),
    parentRefs: Type.Array(ParentRefSchema, { maxItems: 32, description: 'HTTPRoute spec.parentRefs.' }),
  },
  { additionalProperties: false, description: 'How traffic reaches the fleet.' },
);
export type RouteSettings = Static<typeof RouteSettingsSchema>;

/** Configuration of the operator process itself (flags and environment). */
export const OperatorConfigSchema = Type.Object(
  {
    namespaces: Type.Union(
      [
        Type.Literal('all'),
        Type.Array(Type.String({ minLength: 1, maxLength: 63, pattern: DNS_LABEL_PATTERN }), {
          minItems: 1,
        }),
      ],
      {
        description: 'Namespaces to watch, or all.',
      },
    ),
    kubeconfig: Type.Optional(
      Type.String({
        description:
          'Path of a kubeconfig; when absent, the files of KUBECONFIG (merged), the service account in a pod, or ~/.kube/config.',
      }),
    ),
    healthPort: Type.Integer({
      minimum: 0,
      maximum: 65535,
      description: 'Port of /healthz, /readyz and /metrics.',
    }),
    workers: Type.Integer({ minimum: 1, maximum: 32, description: 'Concurrent namespace reconciles.' }),
    leaderElection: Type.Boolean({
      description: 'Run leader election on a Lease (required with more than one replica).',
    }),
    leaseNamespace: Type.String({ minLength: 1, description: 'Namespace of the leader-election Lease.' }),
    leaseName: Type.String({ minLength: 1, description: 'Name of the leader-election Lease.' }),
    fleet: FleetSettingsSchema,
    routes: RouteSettingsSchema,
  },
  { additionalProperties: false },
);
export type OperatorConfig = Static<typeof OperatorConfigSchema>;

/** The gateway image the fleet runs when none is configured. */
export const DEFAULT_GATEWAY_IMAGE = 'sluice/gateway:0.1.0';
export const DEFAULT_RESOURCES: Resources = {
  requests: { cpu: '100m', memory: '128Mi' },
  limits: { memory: '256Mi' },
};

/**
 * Builds the operator config from flags (already parsed) over environment variables over
 * defaults. Pure. Structured values (resources, parentRefs) are JSON in their flag or
 * variable; text that is not JSON is reported like any other invalid value.
 */
export function operatorConfig(
  flags: Record<string, string | boolean | undefined>,
  env: Record<string, string | undefined>,
): Validated<typeof OperatorConfigSchema> {
  const pick = (flag: string, variable: string) => (flags[flag] as string | undefined) ?? env[variable];
  const jsonIssues: SchemaIssue[] = [];
  const json = (flag: string, variable: string, path: string, fallback: unknown): unknown => {
    const text = pick(flag, variable);
    if (text === undefined || text.trim() === '') return fallback;
    try {
      return JSON.parse(text);
    } catch {
      jsonIssues.push({ path, message: `--${flag} / ${variable} must be JSON (got ${text.slice(0, 40)})` });
      return fallback;
    }
  };
  // Absent or empty leaves the optional setting out; anything else goes to the schema as a number.
  const optionalNumber = (text: string | undefined, key: string) =>
    text === undefined || text.trim() === '' ? {} : { [key]: Number(text) };
  const list = (text: string | undefined) =>
    (text ?? '')
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  const namespaces = pick('namespaces', 'SLUICE_NAMESPACES') ?? 'all';
  const stableImage = pick('stable-image', 'SLUICE_STABLE_IMAGE') ?? DEFAULT_GATEWAY_IMAGE;
  const stableResources = json(
    'stable-resources',
    'SLUICE_STABLE_RESOURCES',
    '/fleet/stable/resources',
    DEFAULT_RESOURCES,
  );
  const ingressClassName = pick('ingress-class', 'SLUICE_INGRESS_CLASS');
  const raw = {
    namespaces: namespaces === 'all' ? 'all' : list(namespaces),
    // KUBECONFIG is left to the kubeconfig loader: it may list several files to merge.
    ...(typeof flags.kubeconfig === 'string' && flags.kubeconfig !== ''
      ? { kubeconfig: flags.kubeconfig }
      : {}),
    healthPort: Number(pick('health-port', 'SLUICE_HEALTH_PORT') ?? 8081),
    workers: Number(pick('workers', 'SLUICE_WORKERS') ?? 2),
    leaderElection:
      (flags['leader-election'] as boolean | undefined) ?? env.SLUICE_LEADER_ELECTION !== 'false',
    leaseNamespace: pick('lease-namespace', 'POD_NAMESPACE') ?? 'default',
    leaseName: pick('lease-name', 'SLUICE_LEASE_NAME') ?? 'sluice-operator',
    fleet: {
      stable: {
        image: stableImage,
        replicas: Number(pick('stable-replicas', 'SLUICE_STABLE_REPLICAS') ?? 2),
        resources: stableResources,
        ...optionalNumber(pick('stable-workers', 'SLUICE_STABLE_WORKERS'), 'workers'),
      },
      canary: {
        // The canary track runs the stable image unless told otherwise: a config-only canary.
        image: pick('canary-image', 'SLUICE_CANARY_IMAGE') ?? stableImage,
        replicas: Number(pick('canary-replicas', 'SLUICE_CANARY_REPLICAS') ?? 1),
        resources: json(
          'canary-resources',
          'SLUICE_CANARY_RESOURCES',
          '/fleet/canary/resources',
          stableResources,
        ),
        ...optionalNumber(pick('canary-workers', 'SLUICE_CANARY_WORKERS'), 'workers'),
      },
      canaryGraceSeconds: Number(pick('canary-grace-seconds', 'SLUICE_CANARY_GRACE_SECONDS') ?? 300),
      ...(pick('gateway-tls-secret', 'SLUICE_GATEWAY_TLS_SECRET')
        ? { listenerTls: { secretName: pick('gateway-tls-secret', 'SLUICE_GATEWAY_TLS_SECRET') } }
        : {}),
      ...(pick('gateway-trusted-proxies', 'SLUICE_GATEWAY_TRUSTED_PROXIES')
        ? { trustedProxies: list(pick('gateway-trusted-proxies', 'SLUICE_GATEWAY_TRUSTED_PROXIES')) }
        : {}),
      ...(pick('gateway-network-policy-from', 'SLUICE_GATEWAY_NETWORK_POLICY_FROM')
        ? {
            networkPolicy: {
              from: json(
                'gateway-network-policy-from',
                'SLUICE_GATEWAY_NETWORK_POLICY_FROM',
                '/fleet/networkPolicy/from',
                [],
              ),
            },
          }
        : {}),
    },
    routes: {
      provider: pick('route-provider', 'SLUICE_ROUTE_PROVIDER') ?? 'apisix',
      ...(ingressClassName ? { ingressClassName } : {}),
      hosts: list(pick('route-hosts', 'SLUICE_ROUTE_HOSTS')),
      priorities: {
        exact: Number(pick('exact-route-priority', 'SLUICE_EXACT_ROUTE_PRIORITY') ?? 100),
        prefix: Number(pick('prefix-route-priority', 'SLUICE_PREFIX_ROUTE_PRIORITY') ?? 0),
      },
      parentRefs: json('parent-refs', 'SLUICE_PARENT_REFS', '/routes/parentRefs', []),
    },
  };
  const proxies = compileTrustedProxies(raw.fleet.trustedProxies ?? []);
  if (!proxies.ok) {
    for (const issue of proxies.issues)
      jsonIssues.push({ path: `/fleet/trustedProxies/${issue.index}`, message: issue.message });
  }
  const validated = validateWith(OperatorConfigSchema, raw);
  if (jsonIssues.length === 0) return validated;
  return { ok: false, issues: [...jsonIssues, ...(validated.ok ? [] : validated.issues)] };
}
