import { parseArgs } from 'node:util';
import pino from 'pino';
import { parseCommandLine } from '../kernel/parse-command-line.ts';
import { configuredOperatorOptions } from './configured-operator.ts';
import { startOperator } from './controller/operator-controller.ts';
import { GATEWAY_FLEETS } from './controller/resources.ts';
import { resourcesServed, routeApiServed } from './controller/route-api.ts';
import { startHealthServer } from './health-server.ts';
import { connectionProblem } from './kube/connection-problem.ts';
import { createKubeClient, type KubeClient, type ResourceRef } from './kube/kube-client.ts';
import { loadKubeCredentials } from './kube/kube-credentials.ts';
import { operatorConfig } from './operator-config.ts';

interface MainIo {
  readonly stdout: { write(text: string): unknown };
  readonly stderr: { write(text: string): unknown };
}

// `sluice operator`: watch LogRepos and KafkaProducers and render gateway config.
const usage = (
  program: string,
) => `usage: ${program} [--namespaces all|a,b] [--kubeconfig FILE] [--health-port N]
                             [--workers N] [--no-leader-election] [--lease-namespace NS] [--lease-name NAME]
  gateway fleet:  [--stable-image IMG] [--canary-image IMG] [--stable-replicas N] [--canary-replicas N]
                  [--stable-resources JSON] [--canary-resources JSON] [--canary-grace-seconds N]
                  [--stable-workers N] [--canary-workers N]
                  [--gateway-tls-secret NAME] [--gateway-trusted-proxies CIDR,CIDR]
                  [--gateway-network-policy-from JSON]
  routes:         [--route-provider apisix|gateway-api|none] [--ingress-class NAME] [--route-hosts a,b]
                  [--exact-route-priority N] [--prefix-route-priority N] [--parent-refs JSON]
Environment: SLUICE_NAMESPACES, KUBECONFIG, SLUICE_HEALTH_PORT, SLUICE_WORKERS,
             SLUICE_LEADER_ELECTION=false, POD_NAMESPACE, SLUICE_LEASE_NAME, LOG_LEVEL,
             SLUICE_STABLE_IMAGE, SLUICE_CANARY_IMAGE, SLUICE_STABLE_REPLICAS, SLUICE_CANARY_REPLICAS,
             SLUICE_STABLE_RESOURCES, SLUICE_CANARY_RESOURCES, SLUICE_CANARY_GRACE_SECONDS,
             SLUICE_STABLE_WORKERS, SLUICE_CANARY_WORKERS,
             SLUICE_GATEWAY_TLS_SECRET, SLUICE_GATEWAY_TRUSTED_PROXIES, SLUICE_GATEWAY_NETWORK_POLICY_FROM,
             SLUICE_ROUTE_PROVIDER, SLUICE_INGRESS_CLASS, SLUICE_ROUTE_HOSTS,
             SLUICE_EXACT_ROUTE_PRIORITY, SLUICE_PREFIX_ROUTE_PRIORITY, SLUICE_PARENT_REFS
KUBECONFIG may list several files (merged as kubectl merges them).
Exit status: 0 running (until SIGTERM/SIGINT) or --help; 1 the cluster cannot be used
(apiserver unreachable, credentials refused) or leadership was lost; 2 usage error or
unusable configuration (flags, kubeconfig, route CRDs not installed).`;

// GET /api/v1: discovery, which every authenticated user may read; proves address, TLS and
// credentials before anything starts.
const CORE_DISCOVERY: ResourceRef = { groupVersionPath: '', plural: 'api', namespaced: false };

/** The first request, as a value: undefined when the apiserver answered, else what failed. */
const reachApiserver = (client: KubeClient): Promise<unknown> =>
  client.get(CORE_DISCOVERY, undefined, 'v1').then(
    () => undefined,
    (error: unknown) => error ?? new Error('request failed'),
  );

/**
 * Starts the operator from command-line arguments and resolves with an exit status: 0 once
 * running (its watches keep the process alive; SIGTERM/SIGINT stop it and exit, losing
 * leadership exits 1), 0 for help, 2 for a usage error or an unusable configuration.
 */
export async function operatorMain(
  argv: string[],
  io: MainIo,
  program = 'node operator/main.ts',
): Promise<number> {
  const parsed = parseCommandLine(() => parse(argv), usage(program), io);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  const configured = operatorConfig(
    { ...values, 'leader-election': values['no-leader-election'] ? false : undefined },
    process.env,
  );
  if (!configured.ok) {
    io.stderr.write(
      `${[
        'invalid operator configuration:',
        ...configured.issues.map((i) => `  ${i.path}: ${i.message}`),
      ].join('\n')}\n`,
    );
    return 2;
  }
  const config = configured.value;
  const logger = pino({ level: process.env.LOG_LEVEL ?? 'info', base: { service: 'sluice-operator' } });
  const loaded = loadKubeCredentials(config.kubeconfig);
  if (!loaded.ok) {
    io.stderr.write(`${program}: ${connectionProblem(loaded.error)?.line ?? loaded.error.message}\n`);
    return 2;
  }
  const client = createKubeClient(loaded.credentials);
  const server = loaded.credentials.server.origin;
  const unreached = await reachApiserver(client);
  if (unreached !== undefined) {
    const problem = connectionProblem(unreached, server);
    if (problem === undefined) throw unreached;
    io.stderr.write(`${program}: ${problem.line}\n`);
    return problem.source === 'cluster' ? 1 : 2;
  }
  if (!(await routeApiServed(client, config.routes.provider))) {
    io.stderr.write(
      `route provider ${config.routes.provider}: a kind it writes is not served by this cluster (CRD not installed). ` +
        'Install the APISIX ingress controller CRDs (ApisixRoute and ApisixUpstream, apisix.apache.org/v2) or the Gateway API CRDs ' +
        '(HTTPRoute, gateway.networking.k8s.io/v1), or choose another --route-provider (none writes no routes).\n',
    );
    return 2;
  }
  // GatewayFleets are optional: a cluster upgraded with Helm may not serve their CRD yet.
  const gatewayFleets = await resourcesServed(client, [GATEWAY_FLEETS]);
  if (!gatewayFleets) {
    logger.warn(
      'GatewayFleet CRD not installed (Helm installs CRDs only on first install): fleets run on the operator flags; apply crds/gatewayfleets.sluice.dev.yaml to use GatewayFleets',
    );
  }
  const options = configuredOperatorOptions(config, client, logger);
  const operator = startOperator({
    ...options,
    ...(options.fleet ? { fleet: { ...options.fleet, gatewayFleets } } : {}),
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
    {
      namespaces: config.namespaces,
      healthPort: config.healthPort,
      leaderElection: config.leaderElection,
      images: { stable: config.fleet.stable.image, canary: config.fleet.canary.image },
      routes: config.routes.provider,
    },
    'operator started',
  );
  if (config.routes.provider === 'gateway-api' && config.routes.parentRefs.length === 0) {
    // The LogRepos' RouteAccepted condition (NoParentRefs) says the same, where users look.
    logger.warn(
      'routes.parentRefs is empty: the HTTPRoutes attach to no Gateway and no proxy serves them; set --parent-refs',
    );
  }
  if (config.fleet.listenerTls && config.routes.provider === 'gateway-api') {
    // The LogRepos' BackendTLS condition says the same, where users look.
    logger.warn(
      'the gateways serve HTTPS: attach a BackendTLSPolicy to Services sluice-gateway and sluice-gateway-canary, or the Gateway sends them plain HTTP',
    );
  }

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
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      namespaces: { type: 'string' },
      kubeconfig: { type: 'string' },
      'health-port': { type: 'string' },
      workers: { type: 'string' },
      'no-leader-election': { type: 'boolean' },
      'lease-namespace': { type: 'string' },
      'lease-name': { type: 'string' },
      'stable-image': { type: 'string' },
      'canary-image': { type: 'string' },
      'stable-replicas': { type: 'string' },
      'canary-replicas': { type: 'string' },
      'stable-resources': { type: 'string' },
      'canary-resources': { type: 'string' },
      'stable-workers': { type: 'string' },
      'canary-workers': { type: 'string' },
      'canary-grace-seconds': { type: 'string' },
      'gateway-tls-secret': { type: 'string' },
      'gateway-trusted-proxies': { type: 'string' },
      'gateway-network-policy-from': { type: 'string' },
      'route-provider': { type: 'string' },
      'ingress-class': { type: 'string' },
      'route-hosts': { type: 'string' },
      'exact-route-priority': { type: 'string' },
      'prefix-route-priority': { type: 'string' },
      'parent-refs': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

if (import.meta.main) {
  process.exitCode = await operatorMain(process.argv.slice(2), process);
}
