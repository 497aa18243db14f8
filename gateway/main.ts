import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ConfigReloader, hashText } from './config/config-reloader.ts';
import { watchConfigFile } from './config/config-watcher.ts';
import { formatIssues } from './config/load-config-file.ts';
import { parseConfigText } from './config/parse-config.ts';
import { exitOnSignals, startGateway } from './http/server.ts';
import { createLogger } from './observability/logger.ts';

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
const file = values.config;
const logger = createLogger();
let text: string;
try {
  text = await readFile(file, 'utf8');
} catch (error) {
  console.error(`cannot read config ${file}: ${(error as Error).message}`);
  process.exit(2);
}
const loaded = parseConfigText(text);
if (!loaded.ok) {
  console.error(formatIssues(file, loaded));
  process.exit(2);
}
const gateway = await startGateway(loaded.config, {
  logger,
  ...(values.port === undefined ? {} : { port: Number(values.port) }),
});
const reloader = new ConfigReloader({
  file,
  apply: gateway.applyConfig,
  logger,
  metrics: gateway.metrics,
  initialHash: hashText(text),
});
const watcher = values['no-watch']
  ? undefined
  : watchConfigFile({
      file,
      logger,
      onChange: () => void reloader.check(),
      pollIntervalMs: Number(values['poll-ms']),
    });
process.on('SIGHUP', () => {
  logger.info('SIGHUP: reloading config');
  void reloader.check(true);
});
exitOnSignals(gateway, logger, () => watcher?.close());
