import { type Static, Type } from '@sinclair/typebox';
import { validateWith } from './validate-with.ts';

/** Configuration of the operator process itself (flags and environment). */
export const OperatorConfigSchema = Type.Object(
  {
    namespaces: Type.Union(
      [
        Type.Literal('all'),
        Type.Array(Type.String({ minLength: 1, maxLength: 63, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' }), {
          minItems: 1,
        }),
      ],
      {
        description: 'Namespaces to watch, or all.',
      },
    ),
    kubeconfig: Type.Optional(
      Type.String({ description: 'Path of a kubeconfig; in-cluster credentials when absent.' }),
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
  },
  { additionalProperties: false },
);
export type OperatorConfig = Static<typeof OperatorConfigSchema>;

/** Builds the operator config from flags (already parsed) over environment variables over defaults. Pure. */
export function operatorConfig(
  flags: Record<string, string | boolean | undefined>,
  env: Record<string, string | undefined>,
) {
  const pick = (flag: string, variable: string) => (flags[flag] as string | undefined) ?? env[variable];
  const namespaces = pick('namespaces', 'SLUICE_NAMESPACES') ?? 'all';
  const raw = {
    namespaces:
      namespaces === 'all'
        ? 'all'
        : namespaces
            .split(',')
            .map((n) => n.trim())
            .filter(Boolean),
    ...(pick('kubeconfig', 'KUBECONFIG') ? { kubeconfig: pick('kubeconfig', 'KUBECONFIG') } : {}),
    healthPort: Number(pick('health-port', 'SLUICE_HEALTH_PORT') ?? 8081),
    workers: Number(pick('workers', 'SLUICE_WORKERS') ?? 2),
    leaderElection:
      (flags['leader-election'] as boolean | undefined) ?? env.SLUICE_LEADER_ELECTION !== 'false',
    leaseNamespace: pick('lease-namespace', 'POD_NAMESPACE') ?? 'default',
    leaseName: pick('lease-name', 'SLUICE_LEASE_NAME') ?? 'sluice-operator',
  };
  return validateWith(OperatorConfigSchema, raw);
}
