import { parseArgs } from 'node:util';
import pino from 'pino';
import { startOperator } from './controller/operator-controller.ts';
import { startHealthServer } from './health-server.ts';
import { createEventRecorder } from './kube/event-recorder.ts';
import { createKubeClient, loadKubeConfig } from './kube/kube-client.ts';
import { operatorConfig } from './operator-config.ts';

// `sluice operator`: watch LogRepos and KafkaProducers and render gateway config.
const usage = `usage: node operator/main.ts [--namespaces all|a,b] [--kubeconfig FILE] [--health-port N]
                             [--workers N] [--no-leader-election] [--lease-namespace NS] [--lease-name NAME]
Environment: SLUICE_NAMESPACES, KUBECONFIG, SLUICE_HEALTH_PORT, SLUICE_WORKERS,
             SLUICE_LEADER_ELECTION=false, POD_NAMESPACE, SLUICE_LEASE_NAME, LOG_LEVEL`;

const { values } = parseArgs({
  options: {
    namespaces: { type: 'string' },
    kubeconfig: { type: 'string' },
    'health-port': { type: 'string' },
    workers: { type: 'string' },
    'no-leader-election': { type: 'boolean' },
    'lease-namespace': { type: 'string' },
    'lease-name': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.log(usage);
  process.exit(0);
}
const configured = operatorConfig(
  { ...values, 'leader-election': values['no-leader-election'] ? false : undefined },
  process.env,
);
if (!configured.ok) {
  console.error(
    ['invalid operator configuration:', ...configured.issues.map((i) => `  ${i.path}: ${i.message}`)].join(
      '\n',
    ),
  );
  process.exit(2);
}
const config = configured.value;
const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: 'sluice-operator' } });
const client = createKubeClient(loadKubeConfig(config.kubeconfig));
const operator = startOperator({
  client,
  logger,
  events: createEventRecorder(client, logger),
  namespaces: config.namespaces,
  workers: config.workers,
  ...(config.leaderElection
    ? { leaderElection: { namespace: config.leaseNamespace, name: config.leaseName } }
    : {}),
  onLostLeadership: () => {
    logger.error('leadership lost: exiting');
    process.exit(1);
  },
});
const health = await startHealthServer(config.healthPort, {
  ready: () => operator.ready,
  registry: operator.metrics.registry,
});
logger.info(
  { namespaces: config.namespaces, healthPort: config.healthPort, leaderElection: config.leaderElection },
  'operator started',
);

let stopping = false;
const stop = async (signal: string) => {
  if (stopping) process.exit(1);
  stopping = true;
  logger.info({ signal }, 'stopping');
  const timer = setTimeout(() => process.exit(1), 20_000);
  timer.unref();
  await operator.stop();
  health.close();
  process.exit(0);
};
process.on('SIGTERM', () => void stop('SIGTERM'));
process.on('SIGINT', () => void stop('SIGINT'));
