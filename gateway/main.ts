import { parseArgs } from 'node:util';
import { formatIssues } from './config/load-config-file.ts';
import { exitOnSignals } from './http/server.ts';
import { createLogger } from './observability/logger.ts';
import { routeProcessWarnings } from './observability/process-warnings.ts';
import { runGateway } from './run-gateway.ts';

// `sluice gateway --config FILE`: serve the ingest API and hot-reload FILE when
// it changes (a ConfigMap volume mounted as a directory, or a plain file).
const usage = `usage: node gateway/main.ts --config FILE [--port N] [--no-watch] [--poll-ms N]

  --config FILE   gateway config (YAML); in Kubernetes the file inside the mounted
                  ConfigMap directory, e.g. /etc/sluice/config/gateway.yaml
  --port N        listen port, overriding server.port
  --no-watch      do not reload when FILE changes (SIGHUP still reloads)
  --poll-ms N     fallback content check interval (default 10000)`;

const { values } = parseArgs({
  options: {
    config: { type: 'string', short: 'c', default: process.env.SLUICE_CONFIG },
    port: { type: 'string' },
    'no-watch': { type: 'boolean' },
    'poll-ms': { type: 'string', default: '10000' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help || !values.config) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}
const logger = createLogger();
routeProcessWarnings(logger);
const result = await runGateway({
  file: values.config,
  logger,
  watch: !values['no-watch'],
  pollIntervalMs: Number(values['poll-ms']),
  ...(values.port === undefined ? {} : { port: Number(values.port) }),
});
if (!result.ok) {
  console.error(formatIssues(values.config, result));
  process.exit(2);
}
const { running } = result;
process.on('SIGHUP', () => {
  logger.info('SIGHUP: reloading config');
  void running.reloader.check(true);
});
exitOnSignals({ shutdown: running.stop }, logger);
