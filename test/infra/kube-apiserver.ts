import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { ensureKubeBinaries, type KubeBinaries } from './kube-binaries.ts';
import { killAtExit, ManagedProcess } from './managed-process.ts';
import { freePorts, sleep } from './system-tools.ts';
import { certificateFiles, createTestPki } from './test-pki.ts';

// A single-node Kubernetes API server for tests: etcd and kube-apiserver on loopback, no
// kubelet, no container runtime. It serves the API as a real cluster does (CRDs, CEL
// validation, server-side apply, RBAC, watches), which is what an operator talks to.

/** The service network the apiserver allocates ClusterIPs from; nothing is routed there. */
const SERVICE_CIDR = '10.96.0.0/24';
const KUBERNETES_SERVICE_IP = '10.96.0.1';
/** The test PKI's names (test-pki.ts) of the CA and of the apiserver's serving certificate. */
const CA_NAME = 'sluice-test-ca';
const SERVING_CERT = 'apiserver';

export interface KubeUser {
  name: string;
  groups?: readonly string[];
}

export interface KubeApiserverOptions {
  /** Binaries to run; defaults to ensureKubeBinaries(). */
  binaries?: KubeBinaries;
  /**
   * Users with a static bearer token besides the admin (group system:masters), for RBAC tests:
   * they can do nothing until a Role grants it. Their tokens are in the handle's `tokens`.
   */
  users?: readonly KubeUser[];
  /**
   * Admission plugins to turn off. ServiceAccount by default: without kube-controller-manager
   * no namespace gets its `default` ServiceAccount, and that plugin would reject every pod.
   */
  disableAdmissionPlugins?: readonly string[];
  /** Extra kube-apiserver flags, e.g. `--feature-gates=...`; later flags win. */
  extraApiserverArgs?: readonly string[];
  /** Bound on each start and restart until /readyz answers ok. */
  startTimeoutMs?: number;
  /** Grace period after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
}

export interface KubeApiserverHandle {
  /** A kubeconfig file for the admin user (the file is removed by stop()). */
  readonly kubeconfig: string;
  /** `https://127.0.0.1:<port>`. */
  readonly server: string;
  /** Bearer token of the admin user (group system:masters). */
  readonly token: string;
  /** Bearer tokens of the admin and of every extra user, by user name. */
  readonly tokens: Readonly<Record<string, string>>;
  /** CA certificate that signed the serving certificate (and is the client CA). */
  readonly caFile: string;
  readonly caKeyFile: string;
  /** Service-account signing key pair (PEM), which kube-controller-manager would need too. */
  readonly serviceAccountKeyFile: string;
  readonly serviceAccountPublicKeyFile: string;
  readonly port: number;
  /** `http://127.0.0.1:<port>` of etcd. */
  readonly etcdEndpoint: string;
  /** Temp folder with the certificates, etcd's data and the logs. */
  readonly dir: string;
  readonly apiserverLogFile: string;
  readonly etcdLogFile: string;
  readonly apiserverRunning: boolean;
  readonly etcdRunning: boolean;
  readonly apiserverPid: number | undefined;
  /** Milliseconds the last start or restart of the apiserver took until /readyz was ok. */
  readonly lastStartMs: number;
  /** Stops the apiserver (SIGTERM) and starts it again on the same port with the same etcd. */
  restartApiserver(): Promise<void>;
  /** SIGKILL to the apiserver only, as a crash; restartApiserver() brings it back. */
  killApiserver(): Promise<void>;
  /** SIGKILL to the apiserver and etcd, as a machine crash would; ensureRunning() restarts. */
  kill(): Promise<void>;
  /** Starts whatever is not running (etcd first); a no-op when both run. */
  ensureRunning(): Promise<void>;
  logTail(lines?: number): Promise<string>;
  /** Final: stops both and removes `dir`. */
  stop(): Promise<void>;
}

/**
 * Starts etcd and kube-apiserver on free loopback ports with fresh data and credentials, and
 * resolves once /readyz answers ok.
 */
export async function startKubeApiserver(options: KubeApiserverOptions = {}): Promise<KubeApiserverHandle> {
  const binaries = options.binaries ?? (await ensureKubeBinaries());
  const [port, etcdClientPort, etcdPeerPort] = (await freePorts(3)) as [number, number, number];
  const dir = await mkdtemp(join(tmpdir(), 'sluice-kube-'));
  const server = new LocalKubeApiserver({
    binaries,
    dir,
    port,
    etcdClientPort,
    etcdPeerPort,
    users: options.users ?? [],
    disableAdmissionPlugins: options.disableAdmissionPlugins ?? ['ServiceAccount'],
    extraApiserverArgs: options.extraApiserverArgs ?? [],
    startTimeoutMs: options.startTimeoutMs ?? 120_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 20_000,
  });
  try {
    await server.writeCredentials();
    await server.ensureRunning();
    return server;
  } catch (error) {
    await server.stop().catch(() => undefined);
    throw error;
  }
}

interface ServerSetup {
  binaries: KubeBinaries;
  dir: string;
  port: number;
  etcdClientPort: number;
  etcdPeerPort: number;
  users: readonly KubeUser[];
  disableAdmissionPlugins: readonly string[];
  extraApiserverArgs: readonly string[];
  startTimeoutMs: number;
  stopTimeoutMs: number;
}

class LocalKubeApiserver implements KubeApiserverHandle {
  readonly kubeconfig: string;
  readonly server: string;
  readonly token: string;
  readonly tokens: Record<string, string>;
  readonly caFile: string;
  readonly caKeyFile: string;
  readonly serviceAccountKeyFile: string;
  readonly serviceAccountPublicKeyFile: string;
  readonly port: number;
  readonly etcdEndpoint: string;
  readonly dir: string;
  readonly apiserverLogFile: string;
  readonly etcdLogFile: string;
  lastStartMs = 0;
  readonly #setup: ServerSetup;
  readonly #pki: string;
  readonly #etcd: ManagedProcess;
  readonly #apiserver: ManagedProcess;
  readonly #forgetAtExit: () => void;
  #disposed = false;

  constructor(setup: ServerSetup) {
    this.#setup = setup;
    this.dir = setup.dir;
    this.port = setup.port;
    this.server = `https://127.0.0.1:${setup.port}`;
    this.etcdEndpoint = `http://127.0.0.1:${setup.etcdClientPort}`;
    this.#pki = join(setup.dir, 'pki');
    ({ certFile: this.caFile, keyFile: this.caKeyFile } = certificateFiles(this.#pki, CA_NAME));
    this.serviceAccountKeyFile = join(this.#pki, 'sa.key');
    this.serviceAccountPublicKeyFile = join(this.#pki, 'sa.pub');
    this.kubeconfig = join(setup.dir, 'kubeconfig.yaml');
    this.apiserverLogFile = join(setup.dir, 'kube-apiserver.log');
    this.etcdLogFile = join(setup.dir, 'etcd.log');
    this.tokens = { admin: randomToken() };
    for (const user of setup.users) this.tokens[user.name] = randomToken();
    this.token = this.tokens.admin ?? '';

    const peer = `http://127.0.0.1:${setup.etcdPeerPort}`;
    this.#etcd = new ManagedProcess({
      name: 'etcd',
      command: setup.binaries.etcd,
      args: [
        '--name=sluice-test',
        `--data-dir=${join(setup.dir, 'etcd')}`,
        `--listen-client-urls=${this.etcdEndpoint}`,
        `--advertise-client-urls=${this.etcdEndpoint}`,
        `--listen-peer-urls=${peer}`,
        `--initial-advertise-peer-urls=${peer}`,
        `--initial-cluster=sluice-test=${peer}`,
        '--initial-cluster-state=new',
        // Test data need not survive a machine crash, and fsync on a shared disk makes every
        // write slow. A killed etcd still keeps what it wrote (the page cache survives it).
        '--unsafe-no-fsync',
        '--log-level=warn',
      ],
      cwd: setup.dir,
      logFile: this.etcdLogFile,
      cleanupDir: setup.dir,
    });
    this.#apiserver = new ManagedProcess({
      name: 'kube-apiserver',
      command: setup.binaries.apiserver,
      args: this.#apiserverArgs(),
      cwd: setup.dir,
      logFile: this.apiserverLogFile,
      cleanupDir: setup.dir,
    });
    this.#forgetAtExit = killAtExit([this.#apiserver, this.#etcd], setup.dir);
  }

  get apiserverRunning(): boolean {
    return this.#apiserver.running;
  }

  get etcdRunning(): boolean {
    return this.#etcd.running;
  }

  get apiserverPid(): number | undefined {
    return this.#apiserver.pid;
  }

  #apiserverArgs(): string[] {
    const s = this.#setup;
    return [
      `--etcd-servers=${this.etcdEndpoint}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${s.port}`,
      `--cert-dir=${this.#pki}`,
      `--tls-cert-file=${certificateFiles(this.#pki, SERVING_CERT).certFile}`,
      `--tls-private-key-file=${certificateFiles(this.#pki, SERVING_CERT).keyFile}`,
      `--client-ca-file=${this.caFile}`,
      `--token-auth-file=${join(this.#pki, 'tokens.csv')}`,
      '--authorization-mode=Node,RBAC',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-account-key-file=${this.serviceAccountPublicKeyFile}`,
      `--service-account-signing-key-file=${this.serviceAccountKeyFile}`,
      ...(s.disableAdmissionPlugins.length > 0
        ? [`--disable-admission-plugins=${s.disableAdmissionPlugins.join(',')}`]
        : []),
      '--allow-privileged=true',
      '--profiling=false',
      ...s.extraApiserverArgs,
    ];
  }

  /** CA, serving certificate, service-account keys, token file and kubeconfig. */
  async writeCredentials(): Promise<void> {
    const pki = (name: string) => join(this.#pki, name);
    // Ten years: restarts reuse these certificates for as long as the server's folder lives.
    const ca = await createTestPki(this.#pki, { caName: CA_NAME, days: 3650 });
    await ca.issue(SERVING_CERT, {
      cn: 'kube-apiserver',
      sans: [
        'IP:127.0.0.1',
        `IP:${KUBERNETES_SERVICE_IP}`,
        'DNS:localhost',
        'DNS:kubernetes',
        'DNS:kubernetes.default',
        'DNS:kubernetes.default.svc',
        'DNS:kubernetes.default.svc.cluster.local',
      ],
    });

    const sa = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    await writeFile(this.serviceAccountKeyFile, sa.privateKey.export({ type: 'pkcs8', format: 'pem' }), {
      mode: 0o600,
    });
    await writeFile(this.serviceAccountPublicKeyFile, sa.publicKey.export({ type: 'spki', format: 'pem' }));

    // token,user,uid,"group1,group2" (the apiserver's static token file format).
    const rows = [`${this.token},admin,admin,"system:masters"`];
    for (const user of this.#setup.users) {
      const groups =
        user.groups === undefined || user.groups.length === 0 ? '' : `,"${user.groups.join(',')}"`;
      rows.push(`${this.tokens[user.name]},${user.name},${user.name}${groups}`);
    }
    await writeFile(pki('tokens.csv'), `${rows.join('\n')}\n`, { mode: 0o600 });
    await writeFile(
      this.kubeconfig,
      kubeconfigYaml({ server: this.server, caFile: this.caFile, token: this.token }),
      {
        mode: 0o600,
      },
    );
  }

  async ensureRunning(): Promise<void> {
    if (this.#disposed) throw new Error('this kube-apiserver was stopped for good; start a new one');
    if (!this.#etcd.running) await this.#startEtcd();
    if (!this.#apiserver.running) await this.#startApiserver();
  }

  async #startEtcd(): Promise<void> {
    const deadline = Date.now() + this.#setup.startTimeoutMs;
    this.#etcd.start();
    for (;;) {
      if (!this.#etcd.running) {
        throw new Error(
          `etcd exited during startup (${this.#etcd.exitReason}).\n${await this.#etcd.diagnostics()}`,
        );
      }
      const health = await fetch(`${this.etcdEndpoint}/health`, { signal: AbortSignal.timeout(2_000) })
        .then(async (res) => (res.ok ? ((await res.json()) as { health?: string }).health : undefined))
        .catch(() => undefined);
      if (health === 'true') return;
      if (Date.now() >= deadline) {
        await this.#etcd.kill();
        throw new Error(
          `etcd on ${this.etcdEndpoint} was not healthy within ${this.#setup.startTimeoutMs} ms.\n` +
            (await this.#etcd.diagnostics()),
        );
      }
      await sleep(100);
    }
  }

  async #startApiserver(): Promise<void> {
    const started = Date.now();
    const deadline = started + this.#setup.startTimeoutMs;
    this.#apiserver.start();
    let last = '';
    for (;;) {
      if (!this.#apiserver.running) {
        throw new Error(
          `kube-apiserver exited during startup (${this.#apiserver.exitReason}).\n` +
            (await this.#apiserver.diagnostics()),
        );
      }
      const probe = await this.#get('/readyz', 2_000);
      if (probe.status === 200) break;
      last = probe.status === 0 ? probe.body : `HTTP ${probe.status}`;
      if (Date.now() >= deadline) {
        const verbose = await this.#get('/readyz?verbose', 2_000);
        const failing = verbose.body
          .split('\n')
          .filter((line) => line.includes('failed'))
          .join('\n');
        await this.#apiserver.kill();
        throw new Error(
          `kube-apiserver on ${this.server} was not ready within ${this.#setup.startTimeoutMs} ms ` +
            `(last /readyz: ${last}${failing ? `; failing checks:\n${failing}` : ''}).\n` +
            (await this.#apiserver.diagnostics()),
        );
      }
      await sleep(250);
    }
    this.lastStartMs = Date.now() - started;
  }

  /** A GET to the apiserver as the admin; status 0 with the error text when it did not answer. */
  async #get(path: string, timeoutMs: number): Promise<{ status: number; body: string }> {
    const ca = await readFile(this.caFile);
    return new Promise((resolve) => {
      const req = request(
        `${this.server}${path}`,
        { ca, headers: { authorization: `Bearer ${this.token}` }, timeout: timeoutMs },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
          res.on('error', (error) => resolve({ status: 0, body: error.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (error) => resolve({ status: 0, body: error.message }));
      req.end();
    });
  }

  async restartApiserver(): Promise<void> {
    await this.#apiserver.shutdown(this.#setup.stopTimeoutMs);
    await this.ensureRunning();
  }

  async killApiserver(): Promise<void> {
    await this.#apiserver.kill();
  }

  async kill(): Promise<void> {
    await this.#apiserver.kill();
    await this.#etcd.kill();
  }

  async logTail(lines = 60): Promise<string> {
    return this.#apiserver.logTail(lines);
  }

  async stop(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#forgetAtExit();
    // The apiserver first, so it does not spend its shutdown retrying a vanished etcd.
    await this.#apiserver.shutdown(this.#setup.stopTimeoutMs);
    await this.#etcd.shutdown(this.#setup.stopTimeoutMs);
    await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

function randomToken(): string {
  return randomBytes(24).toString('hex');
}

/** A kubeconfig with one cluster, one token user and one context, as kubectl reads it. */
export function kubeconfigYaml(config: { server: string; caFile: string; token: string }): string {
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      { name: 'sluice-test', cluster: { server: config.server, 'certificate-authority': config.caFile } },
    ],
    users: [{ name: 'admin', user: { token: config.token } }],
    contexts: [{ name: 'sluice-test', context: { cluster: 'sluice-test', user: 'admin' } }],
    'current-context': 'sluice-test',
    preferences: {},
  });
}
