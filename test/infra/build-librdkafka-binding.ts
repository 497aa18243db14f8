// Builds the librdkafka engine's native binding when it does not load yet (see
// librdkafka-binding.ts). Run by `npm install` (the project's postinstall, with --postinstall:
// a failure there is a warning, so an install without compilers still succeeds and only the
// librdkafka engine is unavailable), by `npm run build:librdkafka`, and by provisioning, where
// a failure fails loudly because the librdkafka test suites need it.
// Usage: node test/infra/build-librdkafka-binding.ts [--postinstall]
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  BINDING_PACKAGE,
  bindingLoads,
  bindingPackageDir,
  buildBinding,
  nodeGypScript,
} from './librdkafka-binding.ts';
import { findExecutable } from './system-tools.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const postinstall = process.argv.includes('--postinstall');
const say = (line: string) => process.stderr.write(`[librdkafka] ${line}\n`);

async function main(): Promise<number> {
  if (process.env.SLUICE_SKIP_LIBRDKAFKA_BUILD === '1') {
    say('SLUICE_SKIP_LIBRDKAFKA_BUILD=1: not building the binding');
    return 0;
  }
  if (bindingPackageDir(root) === undefined) {
    say(
      `${BINDING_PACKAGE} is not installed (optional dependency left out); the librdkafka engine is unavailable`,
    );
    return postinstall ? 0 : 1;
  }
  if (bindingLoads(root, process.execPath)) {
    say(`${BINDING_PACKAGE} loads`);
    return 0;
  }
  const npm = findExecutable('npm');
  const nodeGyp = nodeGypScript(process.env, npm === null ? undefined : realpathSync(npm));
  if (nodeGyp === undefined) throw new Error('node-gyp not found (it ships with npm)');
  const started = Date.now();
  await buildBinding({ root, node: process.execPath, nodeGyp, log: say });
  say(`${BINDING_PACKAGE} built and loads (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  return 0;
}

try {
  process.exitCode = await main();
} catch (error) {
  const message = error instanceof Error ? error.message : String(error);
  if (postinstall) {
    say(`WARNING: ${message}`);
    say('the librdkafka engine is unavailable until `npm run build:librdkafka` succeeds');
    process.exitCode = 0;
  } else {
    say(`FAILED: ${message}`);
    process.exitCode = 1;
  }
}
