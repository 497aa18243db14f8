import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname, join } from 'node:path';
import { runCommand, tail } from './system-tools.ts';

// The librdkafka engine's native binding (@confluentinc/kafka-javascript), built from its
// bundled librdkafka source: no prebuilt binary can be downloaded on the build machines.
// Its own install script is denied in package.json's allowScripts, because npm runs it
// before the `node` package has unpacked the Node 24 headers (it would build against the
// machine's Node 20 headers and then fail to load); the project's postinstall and the
// provisioning step build it here instead, once, and only when it does not load.

export const BINDING_PACKAGE = '@confluentinc/kafka-javascript';

/**
 * Debian packages the dynamic build links against: librdkafka's configure finds the
 * system's zlib, OpenSSL, zstd, lz4, SASL and curl instead of downloading their sources.
 */
export const BUILD_PACKAGES = [
  'make',
  'g++',
  'python3',
  'zlib1g-dev',
  'libssl-dev',
  'libzstd-dev',
  'liblz4-dev',
  'libsasl2-dev',
  'libcurl4-openssl-dev',
] as const;

/**
 * Headers node-gyp must compile against: the Node the project runs on, i.e. the `node`
 * package's own distribution when it is installed, else the running Node's install prefix
 * (official Node images ship include/node), else undefined (node-gyp's own default).
 */
export function nodeHeadersDir(
  root: string,
  platform: string,
  arch: string,
  execPath: string,
  exists: (path: string) => boolean = existsSync,
): string | undefined {
  const packaged = join(root, 'node_modules', 'node', 'node_modules', `node-${platform}-${arch}`);
  if (exists(join(packaged, 'include', 'node', 'node.h'))) return packaged;
  const prefix = dirname(dirname(execPath));
  if (exists(join(prefix, 'include', 'node', 'node.h'))) return prefix;
  return undefined;
}

/**
 * Restores the `node` package's platform distribution (with its headers) when npm pruned
 * it: the package's preinstall fetches it outside the lock file, so a later `npm install
 * <pkg>` removes it as extraneous while bin/node (a hard link) keeps working.
 */
export async function ensurePackagedNodeHeaders(root: string, log: (line: string) => void): Promise<void> {
  const nodePackage = join(root, 'node_modules', 'node');
  const manifest = join(nodePackage, 'package.json');
  if (!existsSync(manifest)) return;
  const packaged = join(nodePackage, 'node_modules', `node-${process.platform}-${process.arch}`);
  if (existsSync(join(packaged, 'include', 'node', 'node.h'))) return;
  const { version } = JSON.parse(readFileSync(manifest, 'utf8')) as { version: string };
  const spec = `node-${process.platform}-${process.arch}@${version}`;
  log(`restoring the Node ${version} headers (${spec})`);
  const install = await runCommand(
    'npm',
    ['install', '--no-save', '--ignore-scripts', '--no-audit', '--no-fund', '--no-package-lock', spec],
    { cwd: nodePackage, timeoutMs: 600_000 },
  );
  if (install.code !== 0) throw new Error(`npm install ${spec} failed:\n${tail(install.stderr, 20)}`);
}

/**
 * The build's environment: dynamic linking, and the headers of the Node that will load it.
 * librdkafka's build runs `make -j` with no job limit; `-l` keeps make from starting more
 * compilers while the load average is above the machine's core count (build machines are shared).
 */
export function buildEnv(
  base: NodeJS.ProcessEnv,
  headers: string | undefined,
  cores: number,
): NodeJS.ProcessEnv {
  return {
    ...base,
    CKJS_LINKING: 'dynamic',
    MAKEFLAGS: `${base.MAKEFLAGS ?? ''} -l${cores}`.trim(),
    ...(headers === undefined ? {} : { npm_config_nodedir: headers }),
  };
}

/** Packages of `wanted` dpkg does not list as installed. */
export async function missingDebianPackages(wanted: readonly string[]): Promise<string[]> {
  // dpkg-query's own format placeholders, not JavaScript ones.
  const format = ['-f=$', '{Package} $', '{Status}\\n'].join('');
  const query = await runCommand('dpkg-query', ['-W', format, ...wanted], {
    timeoutMs: 30_000,
  });
  const installed = new Set(
    query.stdout
      .split('\n')
      .filter((line) => line.endsWith(' install ok installed'))
      .map((line) => line.split(' ')[0]?.split(':')[0]),
  );
  return wanted.filter((pkg) => !installed.has(pkg));
}

/** Installs the build's Debian packages when missing (as root), else says what to install. */
export async function ensureBuildPackages(log: (line: string) => void): Promise<void> {
  const missing = await missingDebianPackages(BUILD_PACKAGES);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(
      `building ${BINDING_PACKAGE} needs ${missing.join(', ')}: ` +
        `\`sudo apt-get install -y ${missing.join(' ')}\`, then \`npm run build:librdkafka\``,
    );
  }
  log(`apt-get install ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const update = await runCommand('apt-get', ['update'], { env, timeoutMs: 300_000 });
  if (update.code !== 0) throw new Error(`apt-get update failed:\n${tail(update.stderr, 20)}`);
  const install = await runCommand(
    'apt-get',
    ['-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends', ...missing],
    { env, timeoutMs: 900_000 },
  );
  if (install.code !== 0) {
    throw new Error(
      `apt-get install ${missing.join(' ')} failed:\n${tail(install.stderr || install.stdout, 20)}`,
    );
  }
}

/** Where the package is installed, or undefined when npm left the optional dependency out. */
export function bindingPackageDir(root: string): string | undefined {
  const dir = join(root, 'node_modules', ...BINDING_PACKAGE.split('/'));
  return existsSync(join(dir, 'package.json')) ? dir : undefined;
}

/** True when `node` (the project's Node) loads the binding. */
export function bindingLoads(root: string, node: string): boolean {
  const probe = spawnSync(node, ['-e', `require(${JSON.stringify(BINDING_PACKAGE)}).librdkafkaVersion`], {
    cwd: root,
    stdio: 'ignore',
    timeout: 60_000,
  });
  return probe.status === 0;
}

/** node-gyp: npm's (set for lifecycle scripts), else the one bundled with the npm on PATH. */
export function nodeGypScript(env: NodeJS.ProcessEnv, npmCli: string | undefined): string | undefined {
  if (env.npm_config_node_gyp) return env.npm_config_node_gyp;
  if (npmCli === undefined) return undefined;
  try {
    return createRequire(npmCli).resolve('node-gyp/bin/node-gyp.js');
  } catch {
    return undefined;
  }
}

export interface BuildOptions {
  readonly root: string;
  readonly node: string;
  readonly nodeGyp: string;
  readonly log: (line: string) => void;
}

/** Builds the binding in place (about 3.5 minutes on 2 cores) and checks that it loads. */
export async function buildBinding(options: BuildOptions): Promise<void> {
  const dir = bindingPackageDir(options.root);
  if (dir === undefined) throw new Error(`${BINDING_PACKAGE} is not installed (npm install left it out)`);
  await ensureBuildPackages(options.log);
  await ensurePackagedNodeHeaders(options.root, options.log);
  const headers = nodeHeadersDir(options.root, process.platform, process.arch, options.node);
  options.log(
    `building ${BINDING_PACKAGE} (librdkafka from source, dynamic linking; headers ${headers ?? 'node-gyp default'})`,
  );
  const build = await runCommand(options.node, [options.nodeGyp, 'rebuild'], {
    cwd: dir,
    env: buildEnv(process.env, headers, availableParallelism()),
    timeoutMs: 1_800_000,
  });
  if (build.code !== 0) {
    throw new Error(
      `node-gyp rebuild of ${BINDING_PACKAGE} failed (exit ${build.code}):\n${tail(build.stderr || build.stdout, 30)}`,
    );
  }
  if (!bindingLoads(options.root, options.node)) {
    throw new Error(`${BINDING_PACKAGE} built but does not load with ${options.node}`);
  }
}
