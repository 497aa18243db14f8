import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { configuredOperatorOptions } from './configured-operator.ts';
import type { KubeClient } from './kube/kube-client.ts';
import { operatorConfig } from './operator-config.ts';

const client = {} as KubeClient;
const logger = pino({ level: 'silent' });

const configured = (env: Record<string, string | undefined>) => {
  const config = operatorConfig({}, { POD_NAMESPACE: 'ops', SLUICE_NAMESPACES: 'logs', ...env });
  if (!config.ok) throw new Error(JSON.stringify(config.issues));
  return config.value;
};

describe('configuredOperatorOptions', () => {
  it.each([
    {
      name: 'leader election on',
      env: {},
      identity: undefined,
      want: { namespace: 'ops', name: 'sluice-operator' },
    },
    {
      name: 'leader election on, a named holder',
      env: {},
      identity: 'rbac-test',
      want: { namespace: 'ops', name: 'sluice-operator', identity: 'rbac-test' },
    },
    { name: 'leader election off', env: { SLUICE_LEADER_ELECTION: 'false' }, identity: 'x', want: undefined },
  ])('$name', ({ env, identity, want }) => {
    expect(configuredOperatorOptions(configured(env), client, logger, identity).leaderElection).toEqual(want);
  });

  it('runs the configured namespaces, workers, fleet and routes, with Events through the client', () => {
    const config = configured({ SLUICE_WORKERS: '3' });
    const options = configuredOperatorOptions(config, client, logger);
    expect(options).toMatchObject({
      client,
      logger,
      namespaces: ['logs'],
      workers: 3,
      fleet: { settings: config.fleet, routes: config.routes },
    });
    expect(typeof options.events.record).toBe('function');
  });
});
