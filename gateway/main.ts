import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import type { CommandIo } from '../kernel/command-io.ts';
import { parseCommandLine } from '../kernel/parse-command-line.ts';
import { followPrimary, isClusterWorker, runClusterPrimary } from './cluster/run-cluster.ts';
import { parseWorkerCount } from './cluster/worker-policy.ts';
import { createLogger } from './observability/logger.ts';
import { routeProcessWarnings } from './observability/process-warnings.ts';

// `sluice gateway --config FILE`: serve the ingest API and hot-reload FILE when
// it changes (a ConfigMap volume mounted as a directory, or a plain file).
const usage = (
  program: string,
) => `usage: ${program} --config FILE [--port N] [--no-watch] [--poll-ms N] [--workers N]

  --config FILE   gateway config (YAML); in Kubernetes the file inside the mounted
                  ConfigMap directory, e.g. /etc/sluice/config/gateway.yaml
  --port N        listen port, overriding server.port
  --no-watch      do not reload when FILE changes (SIGHUP still reloads)
  --poll-ms N     fallback content check interval (default 10000)
  --workers N     serve from N processes sharing the port (node:cluster), one per core
                  with "auto"; each has its own producers and reloads the config itself
                  (default $SLUICE_GATEWAY_WORKERS, else 1: this process serves)

Exit status: 0 serving (until SIGTERM/SIGINT drain it) or --help; 1 invalid config;
2 usage error.`;

/**
 * Starts the gateway from command-line arguments and resolves with an exit status: 0 once
 * serving (the server keeps the process alive; SIGTERM/SIGINT drain and exit through their
 * handlers, SIGHUP reloads), 0 for help, 1 for an invalid config, 2 for a usage error.
 */
export async function gatewayMain(
  argv: string[],
  io: Pick<CommandIo, 'stdout' | 'stderr'>,
  program = 'node gateway/main.ts',
): Promise<number> {
  const parsed = parseCommandLine(() => parse(argv), usage(program), io);
  if (typeof parsed === 'number') return parsed;
  const { values } = parsed;
  if (!values.config) {
    io.stderr.write(`${usage(program)}\n`);
    return 2;
  }
  const workers = parseWorkerCount(values.workers, availableParallelism());
  if (!workers.ok) {
    io.stderr.write(`${workers.message}\n\n${usage(program)}\n`);
    return 2;
  }
  const logger = createLogger();
  routeProcessWarnings(logger);
  if (workers.workers > 1 && !isClusterWorker()) {
    // The primary serves nothing itself; every worker runs this same command line.
    runClusterPrimary({ workers: workers.workers, logger });
    return 0;
  }
  // Loaded here, not at the top: a cluster primary never serves, and without the HTTP
  // server and Kafka clients it stays at a fraction of a worker's memory.
  const [{ runGateway }, { exitOnSignals }, { formatIssues }] = await Promise.all([
    import('./run-gateway.ts'),
    import('./http/server.ts'),
    import('./config/load-config-file.ts'),
  ]);
  const result = await runGateway({
    file: values.config,
    logger,
    watch: !values['no-watch'],
    pollIntervalMs: Number(values['poll-ms']),
    ...(values.port === undefined ? {} : { port: Number(values.port) }),
  });
  if (!result.ok) {
    io.stderr.write(`${formatIssues(values.config, result)}\n`);
    return 1;
  }
  const { running } = result;
  const reload = () => void running.reloader.check(true);
  process.on('SIGHUP', () => {
    logger.info('SIGHUP: reloading config');
    reload();
  });
  exitOnSignals({ shutdown: running.stop }, logger);
  if (isClusterWorker()) {
    followPrimary({
      shutdown: () => void running.stop().then((clean) => process.exit(clean ? 0 : 1)),
      reload,
    });
  }
  return 0;
}

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      config: { type: 'string', short: 'c', default: process.env.SLUICE_CONFIG },
      port: { type: 'string' },
      'no-watch': { type: 'boolean' },
      'poll-ms': { type: 'string', default: '10000' },
      workers: { type: 'string', default: process.env.SLUICE_GATEWAY_WORKERS },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

if (import.meta.main) {
  process.exitCode = await gatewayMain(process.argv.slice(2), process);
}
