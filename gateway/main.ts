import { parseArgs } from 'node:util';
import { formatIssues, loadConfigFile } from './config/load-config-file.ts';
import { exitOnSignals, startGateway } from './http/server.ts';
import { createLogger } from './observability/logger.ts';

// `sluice gateway --config FILE`: serve the ingest API with the given config.
const usage = 'usage: node gateway/main.ts --config FILE [--port N]';

const { values } = parseArgs({
  options: {
    config: { type: 'string', short: 'c', default: process.env.SLUICE_CONFIG },
    port: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help || !values.config) {
  console.log(usage);
  process.exit(values.help ? 0 : 2);
}
const logger = createLogger();
const loaded = await loadConfigFile(values.config);
if (!loaded.ok) {
  console.error(formatIssues(values.config, loaded));
  process.exit(2);
}
const gateway = await startGateway(loaded.config, {
  logger,
  ...(values.port === undefined ? {} : { port: Number(values.port) }),
});
exitOnSignals(gateway, logger);
