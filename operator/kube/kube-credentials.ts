import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';

/**
 * How the operator reaches and authenticates to the Kubernetes API: a kubeconfig file
 * (`--kubeconfig`, `$KUBECONFIG`, `~/.kube/config`) or, in a pod, the service account.
 * Resolving a kubeconfig document is pure (`resolveKubeconfig`); reading files, token
 * rotation and exec plugins are the I/O around it.
 *
 * Supported user entries: client certificates (file or data), `token`, `tokenFile`,
 * basic auth, `as`/`as-groups` impersonation and `exec` credential plugins returning a
 * token or a client certificate. A cluster's `proxy-url` is honoured for HTTP and HTTPS
 * proxies (a CONNECT tunnel). `auth-provider` (the removed gcp/azure/oidc plugins) and
 * SOCKS proxies are refused with a clear error rather than ignored: silently connecting
 * around a proxy, or without the credentials a user configured, would be worse.
 * `$KUBECONFIG` may list several files; they are merged as kubectl merges them.
 */
export interface KubeCredentials {
  readonly server: URL;
  readonly ca: Buffer | undefined;
  readonly rejectUnauthorized: boolean;
  readonly tlsServerName: string | undefined;
  /** The cluster's `proxy-url` (http: or https:), through which every request tunnels. */
  readonly proxy?: URL;
  /** Client certificate and key, and the Authorization/Impersonate headers, fresh per request. */
  auth(): Promise<KubeRequestAuth>;
  /**
   * The apiserver answered 401 to what auth() gave: forget cached credentials (an exec
   * plugin's, a token file's) so the next auth() fetches them anew. True when that may help,
   * i.e. there was a cached credential to drop; a fixed token or certificate stays as it is.
   */
  invalidate(): boolean;
}

export interface KubeRequestAuth {
  /** Array values go out as repeated header lines (how the apiserver reads Impersonate-Group). */
  readonly headers: Record<string, string | string[]>;
  readonly cert?: Buffer;
  readonly key?: Buffer;
}

/** What a kubeconfig's current context says, with file paths made absolute. Pure data. */
export interface ResolvedKubeconfig {
  server: string;
  ca?: { file: string } | { data: Buffer };
  insecureSkipTlsVerify: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
  cert?: { file: string } | { data: Buffer };
  key?: { file: string } | { data: Buffer };
  token?: string;
  tokenFile?: string;
  basic?: { username: string; password: string };
  impersonate?: { user: string; groups: string[] };
  exec?: ExecPlugin;
}

export interface ExecPlugin {
  command: string;
  args: string[];
  env: Record<string, string>;
  apiVersion: string;
}

/** What is wrong with the way to the cluster; each code has one remedy (see docs/operator.md). */
export type KubeconfigErrorCode =
  | 'KUBECONFIG_NOT_FOUND'
  | 'KUBECONFIG_UNREADABLE'
  | 'KUBECONFIG_INVALID'
  | 'KUBECONFIG_UNSUPPORTED'
  | 'EXEC_PLUGIN_FAILED';

export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
  readonly code: KubeconfigErrorCode;
  constructor(message: string, code: KubeconfigErrorCode = 'KUBECONFIG_INVALID') {
    super(message);
    this.code = code;
  }
}

/** One kubeconfig file as parsed, with the directory its relative paths resolve against. */
export interface KubeconfigFile {
  readonly document: unknown;
  readonly baseDir: string;
}

type Named<T> = { name: string } & T;
interface KubeconfigDocument {
  'current-context'?: string;
  clusters?: Named<{ cluster?: Record<string, unknown> }>[];
  users?: Named<{ user?: Record<string, unknown> }>[];
  contexts?: Named<{ context?: { cluster?: string; user?: string } }>[];
}

const str = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value : undefined;

function fileOrData(
  entry: Record<string, unknown>,
  fileKey: string,
  baseDir: string,
): { file: string } | { data: Buffer } | undefined {
  const data = str(entry[`${fileKey}-data`]);
  if (data) return { data: Buffer.from(data, 'base64') };
  const file = str(entry[fileKey]);
  if (file) return { file: isAbsolute(file) ? file : join(baseDir, file) };
  return undefined;
}

/** The current context of a parsed kubeconfig; relative paths resolve against `baseDir`. */
export function resolveKubeconfig(document: unknown, baseDir: string): ResolvedKubeconfig {
  return resolveMergedKubeconfig([{ document, baseDir }]);
}

type Located<T> = { readonly entry: T; readonly baseDir: string };

/**
 * Merges kubeconfig files as kubectl merges `$KUBECONFIG`: for each cluster, user and
 * context name the first file that defines it wins, and so does the first file that sets
 * `current-context`. Each entry keeps the directory of its own file for relative paths. Pure.
 */
export function mergeKubeconfigs(files: readonly KubeconfigFile[]) {
  const merged = {
    currentContext: undefined as string | undefined,
    clusters: new Map<string, Located<Record<string, unknown>>>(),
    users: new Map<string, Located<Record<string, unknown>>>(),
    contexts: new Map<string, { cluster?: string; user?: string }>(),
  };
  for (const { document, baseDir } of files) {
    if (
      document !== null &&
      document !== undefined &&
      (typeof document !== 'object' || Array.isArray(document))
    ) {
      throw new KubeconfigError('kubeconfig is not a YAML mapping', 'KUBECONFIG_INVALID');
    }
    const doc = (document ?? {}) as KubeconfigDocument;
    merged.currentContext ??= str(doc['current-context']);
    for (const c of listOf(doc.clusters, 'clusters')) {
      if (!merged.clusters.has(c.name)) merged.clusters.set(c.name, { entry: c.cluster ?? {}, baseDir });
    }
    for (const u of listOf(doc.users, 'users')) {
      if (!merged.users.has(u.name)) merged.users.set(u.name, { entry: u.user ?? {}, baseDir });
    }
    for (const c of listOf(doc.contexts, 'contexts')) {
      if (!merged.contexts.has(c.name)) merged.contexts.set(c.name, c.context ?? {});
    }
  }
  return merged;
}

function listOf<T extends { name: string }>(value: T[] | undefined, field: string): T[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value))
    throw new KubeconfigError(`kubeconfig ${field} is not a list`, 'KUBECONFIG_INVALID');
  return value.filter((item) => typeof item?.name === 'string');
}

/** The current context of merged kubeconfig files (see mergeKubeconfigs). Pure. */
export function resolveMergedKubeconfig(files: readonly KubeconfigFile[]): ResolvedKubeconfig {
  const merged = mergeKubeconfigs(files);
  const wanted = merged.currentContext;
  if (!wanted) throw new KubeconfigError('kubeconfig has no current-context');
  const context = merged.contexts.get(wanted);
  if (!context) throw new KubeconfigError(`kubeconfig has no context "${wanted}"`);
  const clusterEntry = context.cluster === undefined ? undefined : merged.clusters.get(context.cluster);
  if (!clusterEntry) throw new KubeconfigError(`kubeconfig context "${wanted}" names no known cluster`);
  const cluster = clusterEntry.entry;
  const server = str(cluster.server);
  if (!server) throw new KubeconfigError(`kubeconfig cluster "${context.cluster}" has no server`);
  if (!URL.canParse(server)) {
    throw new KubeconfigError(
      `kubeconfig cluster "${context.cluster}" has a server that is not a URL: ${server}`,
    );
  }
  const proxyUrl = str(cluster['proxy-url']);
  if (proxyUrl !== undefined) {
    const protocol = URL.canParse(proxyUrl) ? new URL(proxyUrl).protocol : undefined;
    if (protocol !== 'http:' && protocol !== 'https:') {
      throw new KubeconfigError(
        `kubeconfig cluster "${context.cluster}" sets proxy-url ${proxyUrl}, which sluice does not support (only http:// and https:// proxies); use an HTTP proxy or reach the apiserver directly (remove proxy-url)`,
        'KUBECONFIG_UNSUPPORTED',
      );
    }
  }
  const userEntry = context.user === undefined ? undefined : merged.users.get(context.user);
  const user = userEntry?.entry ?? {};
  const userDir = userEntry?.baseDir ?? clusterEntry.baseDir;
  if (user['auth-provider'] !== undefined) {
    throw new KubeconfigError(
      'kubeconfig auth-provider plugins are not supported; use an exec plugin or a token',
      'KUBECONFIG_UNSUPPORTED',
    );
  }
  const resolved: ResolvedKubeconfig = {
    server,
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
  };
  const ca = fileOrData(cluster, 'certificate-authority', clusterEntry.baseDir);
  if (ca) resolved.ca = ca;
  const tlsServerName = str(cluster['tls-server-name']);
  if (tlsServerName) resolved.tlsServerName = tlsServerName;
  if (proxyUrl !== undefined) resolved.proxyUrl = proxyUrl;
  const cert = fileOrData(user, 'client-certificate', userDir);
  const key = fileOrData(user, 'client-key', userDir);
  if (cert && key) {
    resolved.cert = cert;
    resolved.key = key;
  }
  const token = str(user.token);
  const tokenFile = str(user.tokenFile);
  if (token) resolved.token = token;
  else if (tokenFile) resolved.tokenFile = isAbsolute(tokenFile) ? tokenFile : join(userDir, tokenFile);
  const username = str(user.username);
  const password = str(user.password);
  if (username && password) resolved.basic = { username, password };
  const as = str(user.as);
  if (as) {
    const groups = Array.isArray(user['as-groups'])
      ? user['as-groups'].filter((g) => typeof g === 'string')
      : [];
    resolved.impersonate = { user: as, groups };
  }
  const exec = user.exec as Record<string, unknown> | undefined;
  if (exec && str(exec.command)) {
    const env: Record<string, string> = {};
    for (const entry of (exec.env as Array<{ name?: string; value?: string }> | undefined) ?? []) {
      if (entry.name !== undefined) env[entry.name] = entry.value ?? '';
    }
    resolved.exec = {
      command: str(exec.command) as string,
      args: Array.isArray(exec.args) ? exec.args.map(String) : [],
      env,
      apiVersion: str(exec.apiVersion) ?? 'client.authentication.k8s.io/v1',
    };
  }
  return resolved;
}

const readMaterial = (source: { file: string } | { data: Buffer } | undefined): Buffer | undefined =>
  source === undefined ? undefined : 'data' in source ? source.data : readFileSync(source.file);

/** Token files rotate (bound service account tokens: about hourly), so they are re-read at most this often. */
const TOKEN_FILE_TTL_MS = 10_000;

function tokenFileReader(file: string, now: () => number) {
  let cached: { token: string; readAt: number } | undefined;
  return {
    read(): string {
      if (!cached || now() - cached.readAt > TOKEN_FILE_TTL_MS) {
        cached = { token: readFileSync(file, 'utf8').trim(), readAt: now() };
      }
      return cached.token;
    },
    forget(): boolean {
      const had = cached !== undefined;
      cached = undefined;
      return had;
    },
  };
}

/**
 * How long an exec credential that states no expiry is used before the plugin runs again.
 * kubectl keeps such a credential until a 401; sluice runs for weeks, so it also re-runs
 * the plugin on this schedule, and a revoked credential costs at most one refused request.
 */
export const EXEC_NO_EXPIRY_TTL_MS = 5 * 60_000;

interface ExecCredential {
  token?: string;
  cert?: Buffer;
  key?: Buffer;
  expiresAt: number;
}

function execCredentialReader(plugin: ExecPlugin, now: () => number) {
  let cached: ExecCredential | undefined;
  const forget = (): boolean => {
    const had = cached !== undefined;
    cached = undefined;
    return had;
  };
  const read = async (): Promise<ExecCredential> => {
    // Refresh a minute early so a request never carries a token that expires in flight.
    if (cached && now() < cached.expiresAt - 60_000) return cached;
    const stdout = await new Promise<string>((resolve, reject) => {
      execFile(
        plugin.command,
        plugin.args,
        {
          env: {
            ...process.env,
            ...plugin.env,
            KUBERNETES_EXEC_INFO: JSON.stringify({
              apiVersion: plugin.apiVersion,
              kind: 'ExecCredential',
              spec: { interactive: false },
            }),
          },
          timeout: 30_000,
          maxBuffer: 1 << 20,
        },
        (error, out) =>
          error
            ? reject(
                new KubeconfigError(
                  `exec plugin ${plugin.command} failed: ${error.message.split('\n')[0]}`,
                  'EXEC_PLUGIN_FAILED',
                ),
              )
            : resolve(out),
      );
    });
    let status: Record<string, string>;
    try {
      status = (JSON.parse(stdout) as { status?: Record<string, string> }).status ?? {};
    } catch {
      throw new KubeconfigError(
        `exec plugin ${plugin.command} printed no ExecCredential JSON`,
        'EXEC_PLUGIN_FAILED',
      );
    }
    const stated = status.expirationTimestamp ? Date.parse(status.expirationTimestamp) : Number.NaN;
    // The 60 s early refresh above applies to the no-expiry schedule too.
    const expiresAt = Number.isNaN(stated) ? now() + EXEC_NO_EXPIRY_TTL_MS + 60_000 : stated;
    cached = {
      ...(status.token ? { token: status.token } : {}),
      ...(status.clientCertificateData ? { cert: Buffer.from(status.clientCertificateData) } : {}),
      ...(status.clientKeyData ? { key: Buffer.from(status.clientKeyData) } : {}),
      expiresAt,
    };
    return cached;
  };
  return { read, forget };
}

/** Builds the per-request credential source of a resolved kubeconfig; reads key material once. */
export function credentialsFrom(resolved: ResolvedKubeconfig, now: () => number = Date.now): KubeCredentials {
  const cert = readMaterial(resolved.cert);
  const key = readMaterial(resolved.key);
  const readTokenFile = resolved.tokenFile ? tokenFileReader(resolved.tokenFile, now) : undefined;
  const readExec = resolved.exec ? execCredentialReader(resolved.exec, now) : undefined;
  const fixed: Record<string, string | string[]> = {};
  if (resolved.impersonate) {
    fixed['impersonate-user'] = resolved.impersonate.user;
    if (resolved.impersonate.groups.length > 0) fixed['impersonate-group'] = resolved.impersonate.groups;
  }
  return {
    server: new URL(resolved.server),
    ca: readMaterial(resolved.ca),
    rejectUnauthorized: !resolved.insecureSkipTlsVerify,
    tlsServerName: resolved.tlsServerName,
    ...(resolved.proxyUrl === undefined ? {} : { proxy: new URL(resolved.proxyUrl) }),
    async auth() {
      const headers = { ...fixed };
      const material: { cert?: Buffer; key?: Buffer } = cert && key ? { cert, key } : {};
      if (resolved.token) headers.authorization = `Bearer ${resolved.token}`;
      else if (readTokenFile) headers.authorization = `Bearer ${readTokenFile.read()}`;
      else if (readExec) {
        const credential = await readExec.read();
        if (credential.token) headers.authorization = `Bearer ${credential.token}`;
        if (credential.cert && credential.key)
          Object.assign(material, { cert: credential.cert, key: credential.key });
      } else if (resolved.basic) {
        headers.authorization = `Basic ${Buffer.from(`${resolved.basic.username}:${resolved.basic.password}`).toString('base64')}`;
      }
      return { headers, ...material };
    },
    invalidate() {
      if (resolved.token) return false;
      if (readTokenFile) return readTokenFile.forget();
      return readExec?.forget() ?? false;
    },
  };
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';

/** In a pod: the API service from the environment, the mounted CA and the rotating token. */
export function inClusterKubeconfig(
  env: NodeJS.ProcessEnv,
  accountDir = SERVICE_ACCOUNT_DIR,
): ResolvedKubeconfig {
  const host = env.KUBERNETES_SERVICE_HOST;
  const port = env.KUBERNETES_SERVICE_PORT ?? '443';
  if (!host) throw new KubeconfigError('not in a cluster: KUBERNETES_SERVICE_HOST is unset');
  return {
    server: `https://${host.includes(':') ? `[${host}]` : host}:${port}`,
    ca: { file: join(accountDir, 'ca.crt') },
    insecureSkipTlsVerify: false,
    tokenFile: join(accountDir, 'token'),
  };
}

function readKubeconfigFile(path: string): KubeconfigFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new KubeconfigError(
      `cannot read kubeconfig ${path} (${code ?? (error as Error).message})`,
      code === 'ENOENT' ? 'KUBECONFIG_NOT_FOUND' : 'KUBECONFIG_UNREADABLE',
    );
  }
  let document: unknown;
  try {
    document = parseYaml(text);
  } catch (error) {
    throw new KubeconfigError(
      `kubeconfig ${path} is not valid YAML: ${(error as Error).message.split('\n')[0]?.replace(/:$/, '')}`,
      'KUBECONFIG_INVALID',
    );
  }
  return { document, baseDir: dirname(path) };
}

/** Names the file in a KubeconfigError raised while resolving it. */
function resolvedFrom(files: readonly KubeconfigFile[], names: string): ResolvedKubeconfig {
  try {
    return resolveMergedKubeconfig(files);
  } catch (error) {
    if (error instanceof KubeconfigError) throw new KubeconfigError(`${names}: ${error.message}`, error.code);
    throw error;
  }
}

/**
 * `path` if given; else the files of `$KUBECONFIG`, merged (missing ones skipped, as kubectl
 * does; none existing is an error); else the service account when running in a pod; else
 * `~/.kube/config`. Throws KubeconfigError (with a code) when none of these can be used.
 */
export function loadKubeConfig(path?: string, env: NodeJS.ProcessEnv = process.env): KubeCredentials {
  if (path) return credentialsFrom(resolvedFrom([readKubeconfigFile(path)], path));
  const listed = (env.KUBECONFIG ?? '').split(delimiter).filter((file) => file !== '');
  if (listed.length > 0) {
    const existing = listed.filter((file) => existsSync(file));
    if (existing.length === 0) {
      throw new KubeconfigError(
        `KUBECONFIG names no existing file (${listed.join(delimiter)})`,
        'KUBECONFIG_NOT_FOUND',
      );
    }
    return credentialsFrom(resolvedFrom(existing.map(readKubeconfigFile), existing.join(delimiter)));
  }
  if (env.KUBERNETES_SERVICE_HOST && existsSync(join(SERVICE_ACCOUNT_DIR, 'token'))) {
    return credentialsFrom(inClusterKubeconfig(env));
  }
  const home = join(homedir(), '.kube', 'config');
  if (!existsSync(home)) {
    throw new KubeconfigError(
      `no kubeconfig: --kubeconfig and KUBECONFIG are unset, ${home} does not exist, and this is not a pod`,
      'KUBECONFIG_NOT_FOUND',
    );
  }
  return credentialsFrom(resolvedFrom([readKubeconfigFile(home)], home));
}

/** loadKubeConfig as a value: the credentials, or the KubeconfigError that says why not. */
export function loadKubeCredentials(
  path?: string,
  env: NodeJS.ProcessEnv = process.env,
):
  | { readonly ok: true; readonly credentials: KubeCredentials }
  | { readonly ok: false; readonly error: KubeconfigError } {
  try {
    return { ok: true, credentials: loadKubeConfig(path, env) };
  } catch (error) {
    if (error instanceof KubeconfigError) return { ok: false, error };
    // Key material that cannot be read (credentialsFrom reads certificate files once).
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== undefined) {
      return {
        ok: false,
        error: new KubeconfigError(
          `kubeconfig names a file that cannot be read: ${(error as Error).message}`,
          'KUBECONFIG_UNREADABLE',
        ),
      };
    }
    throw error;
  }
}
