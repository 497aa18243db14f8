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
 * token or a client certificate. `auth-provider` (the removed gcp/azure/oidc plugins) is
 * refused with a clear error rather than ignored.
 */
export interface KubeCredentials {
  readonly server: URL;
  readonly ca: Buffer | undefined;
  readonly rejectUnauthorized: boolean;
  readonly tlsServerName: string | undefined;
  /** Client certificate and key, and the Authorization/Impersonate headers, fresh per request. */
  auth(): Promise<KubeRequestAuth>;
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

export class KubeconfigError extends Error {
  override name = 'KubeconfigError';
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
  const doc = (document ?? {}) as KubeconfigDocument;
  const wanted = doc['current-context'];
  if (!wanted) throw new KubeconfigError('kubeconfig has no current-context');
  const context = doc.contexts?.find((c) => c.name === wanted)?.context;
  if (!context) throw new KubeconfigError(`kubeconfig has no context "${wanted}"`);
  const cluster = doc.clusters?.find((c) => c.name === context.cluster)?.cluster;
  if (!cluster) throw new KubeconfigError(`kubeconfig context "${wanted}" names no known cluster`);
  const server = str(cluster.server);
  if (!server) throw new KubeconfigError(`kubeconfig cluster "${context.cluster}" has no server`);
  const user = (doc.users?.find((u) => u.name === context.user)?.user ?? {}) as Record<string, unknown>;
  if (user['auth-provider'] !== undefined) {
    throw new KubeconfigError(
      'kubeconfig auth-provider plugins are not supported; use an exec plugin or a token',
    );
  }
  const resolved: ResolvedKubeconfig = {
    server,
    insecureSkipTlsVerify: cluster['insecure-skip-tls-verify'] === true,
  };
  const ca = fileOrData(cluster, 'certificate-authority', baseDir);
  if (ca) resolved.ca = ca;
  const tlsServerName = str(cluster['tls-server-name']);
  if (tlsServerName) resolved.tlsServerName = tlsServerName;
  const cert = fileOrData(user, 'client-certificate', baseDir);
  const key = fileOrData(user, 'client-key', baseDir);
  if (cert && key) {
    resolved.cert = cert;
    resolved.key = key;
  }
  const token = str(user.token);
  const tokenFile = str(user.tokenFile);
  if (token) resolved.token = token;
  else if (tokenFile) resolved.tokenFile = isAbsolute(tokenFile) ? tokenFile : join(baseDir, tokenFile);
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

function tokenFileReader(file: string, now: () => number): () => string {
  let cached: { token: string; readAt: number } | undefined;
  return () => {
    if (!cached || now() - cached.readAt > TOKEN_FILE_TTL_MS) {
      cached = { token: readFileSync(file, 'utf8').trim(), readAt: now() };
    }
    return cached.token;
  };
}

interface ExecCredential {
  token?: string;
  cert?: Buffer;
  key?: Buffer;
  expiresAt: number;
}

function execCredentialReader(plugin: ExecPlugin, now: () => number): () => Promise<ExecCredential> {
  let cached: ExecCredential | undefined;
  return async () => {
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
          error ? reject(new KubeconfigError(`exec plugin ${plugin.command} failed`)) : resolve(out),
      );
    });
    const status = (JSON.parse(stdout) as { status?: Record<string, string> }).status ?? {};
    const expiry = status.expirationTimestamp
      ? Date.parse(status.expirationTimestamp)
      : Number.POSITIVE_INFINITY;
    cached = {
      ...(status.token ? { token: status.token } : {}),
      ...(status.clientCertificateData ? { cert: Buffer.from(status.clientCertificateData) } : {}),
      ...(status.clientKeyData ? { key: Buffer.from(status.clientKeyData) } : {}),
      expiresAt: Number.isNaN(expiry) ? Number.POSITIVE_INFINITY : expiry,
    };
    return cached;
  };
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
    async auth() {
      const headers = { ...fixed };
      const material: { cert?: Buffer; key?: Buffer } = cert && key ? { cert, key } : {};
      if (resolved.token) headers.authorization = `Bearer ${resolved.token}`;
      else if (readTokenFile) headers.authorization = `Bearer ${readTokenFile()}`;
      else if (readExec) {
        const credential = await readExec();
        if (credential.token) headers.authorization = `Bearer ${credential.token}`;
        if (credential.cert && credential.key)
          Object.assign(material, { cert: credential.cert, key: credential.key });
      } else if (resolved.basic) {
        headers.authorization = `Basic ${Buffer.from(`${resolved.basic.username}:${resolved.basic.password}`).toString('base64')}`;
      }
      return { headers, ...material };
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

function fromFile(path: string): ResolvedKubeconfig {
  return resolveKubeconfig(parseYaml(readFileSync(path, 'utf8')), dirname(path));
}

/**
 * `path` if given; else the first file of `$KUBECONFIG`; else the service account when
 * running in a pod; else `~/.kube/config`.
 */
export function loadKubeConfig(path?: string, env: NodeJS.ProcessEnv = process.env): KubeCredentials {
  if (path) return credentialsFrom(fromFile(path));
  const listed = env.KUBECONFIG?.split(delimiter).find((file) => file !== '' && existsSync(file));
  if (listed) return credentialsFrom(fromFile(listed));
  if (env.KUBERNETES_SERVICE_HOST && existsSync(join(SERVICE_ACCOUNT_DIR, 'token'))) {
    return credentialsFrom(inClusterKubeconfig(env));
  }
  return credentialsFrom(fromFile(join(homedir(), '.kube', 'config')));
}
