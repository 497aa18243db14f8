import { createHash, randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeKafka } from './kafka-admin.ts';
import type { KafkaSecurityInfo } from './kafka-security.ts';
import { type BrokerLogging, brokerLogging, selectKafkaVersion } from './kafka-versions.ts';
import { killAtExit, ManagedProcess } from './managed-process.ts';
import {
  ensureDebianTool,
  exists,
  freePort,
  portAcceptsConnections,
  runCommand,
  sleep,
  tail,
} from './system-tools.ts';
import { createTestPki } from './test-pki.ts';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const POM = fileURLToPath(new URL('./kafka-dist/pom.xml', import.meta.url));

/** The broker version of this run: pinned in kafka-versions.ts, chosen by SLUICE_KAFKA_VERSION. */
export async function kafkaVersion(): Promise<string> {
  const selected = selectKafkaVersion(process.env);
  if (!selected.ok) throw new Error(selected.message);
  return selected.version;
}

export interface DistributionOptions {
  /** Progress lines (a download can take minutes on a cold machine). */
  log?: (line: string) => void;
  /** A pinned version other than this run's (provisioning fetches every pinned one). */
  version?: string;
}

/**
 * Directory holding the broker's jars, resolved from Maven Central into
 * `.cache/kafka/<version>/libs` on first use and reused afterwards. The cache records a hash
 * of the pom, so editing the pom (say, another logging backend) resolves again.
 */
export async function ensureKafkaDistribution(options: DistributionOptions = {}): Promise<string> {
  const log = options.log ?? (() => undefined);
  const pom = await readFile(POM);
  const pomHash = createHash('sha256').update(pom).digest('hex');
  const version = options.version ?? (await kafkaVersion());
  const cacheDir = join(PROJECT_ROOT, '.cache', 'kafka', version);
  const libsDir = join(cacheDir, 'libs');
  const marker = join(cacheDir, 'complete');
  if ((await readFile(marker, 'utf8').catch(() => '')) === pomHash && (await exists(libsDir))) {
    return libsDir;
  }

  await ensureJava();
  const mvn = await ensureDebianTool({
    command: 'mvn',
    pkg: 'maven',
    purpose: 'to resolve the Apache Kafka broker jars from Maven Central',
  });
  log(`resolving Apache Kafka ${version} from Maven Central`);
  await mkdir(cacheDir, { recursive: true });
  // Resolve into a private folder and rename it into place, so an interrupted or concurrent
  // run never leaves a half-filled libs folder that looks complete.
  const staging = await mkdtemp(join(cacheDir, 'libs.staging-'));
  try {
    const result = await runCommand(
      mvn,
      [
        '-B',
        '-q',
        '--no-transfer-progress',
        '-Dstyle.color=never',
        // Maven's download cache lives with the project's other caches, not in ~/.m2.
        `-Dmaven.repo.local=${join(PROJECT_ROOT, '.cache', 'm2')}`,
        `-Dkafka.version=${version}`,
        `-Dkafka.logging=${brokerLogging(version)}`,
        '-f',
        POM,
        'dependency:copy-dependencies',
        '-DincludeScope=runtime',
        `-DoutputDirectory=${staging}`,
      ],
      { cwd: dirname(POM), timeoutMs: 900_000 },
    );
    if (result.code !== 0) {
      throw new Error(
        `Maven could not resolve Apache Kafka ${version} (exit ${result.code}):\n` +
          tail(`${result.stdout}\n${result.stderr}`, 40),
      );
    }
    await rm(libsDir, { recursive: true, force: true });
    try {
      await rename(staging, libsDir);
    } catch (error) {
      // A concurrent run won the race; its folder is as good as ours.
      if (!(await exists(libsDir))) throw error;
    }
    await writeFile(marker, pomHash);
    log(`resolved Apache Kafka ${version} in ${(result.durationMs / 1000).toFixed(1)} s`);
    return libsDir;
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** The `java` that runs the broker: JAVA_HOME's if set, else PATH's, installed when missing. */
export async function ensureJava(): Promise<string> {
  const home = process.env.JAVA_HOME;
  if (home !== undefined && home !== '') {
    const java = join(home, 'bin', 'java');
    if (await exists(java)) return java;
  }
  return ensureDebianTool({
    command: 'java',
    pkg: 'openjdk-17-jre-headless',
    purpose: 'to run the Apache Kafka broker for the integration tests',
  });
}

export interface KafkaBrokerOptions {
  /** Jars to run; defaults to `ensureKafkaDistribution()`. */
  libsDir?: string;
  /** Client (PLAINTEXT) port on 127.0.0.1; a free one by default. */
  port?: number;
  /** KRaft controller port on 127.0.0.1; a free one by default. */
  controllerPort?: number;
  heapMb?: number;
  /** Bound on each start and restart until the broker serves metadata. */
  startTimeoutMs?: number;
  /** Grace period after SIGTERM before SIGKILL. */
  stopTimeoutMs?: number;
  /** Extra or overriding server.properties entries. */
  properties?: Record<string, string | number | boolean>;
  /** log4j root level for the broker's log file. */
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
  /**
   * Also open a SASL_PLAINTEXT listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, one user each)
   * and an SSL listener (a certificate from a fresh test CA), next to the PLAINTEXT one,
   * which stays as it is. The controller and inter-broker traffic stay on PLAINTEXT.
   */
  security?: boolean;
  /**
   * Also open a PLAINTEXT listener `POD` on this address (the pod network's host address,
   * pod-network.ts), advertised as itself: processes in the pod namespaces cannot reach
   * 127.0.0.1, and a Kafka client connects to the advertised address of the listener it
   * bootstrapped from.
   */
  podListenerHost?: string;
}

export interface KafkaBrokerHandle {
  /** Bootstrap servers for clients, `127.0.0.1:<port>`. */
  readonly brokers: string;
  readonly port: number;
  readonly controllerPort: number;
  /** Temp folder with server.properties, log4j.properties, the data and the log file. */
  readonly dir: string;
  /** `log.dirs` of the broker; survives kill/shutdown/restart, removed by stop(). */
  readonly dataDir: string;
  /** Broker log (log4j plus JVM stdout/stderr), appended across restarts. */
  readonly logFile: string;
  /** PID of the current broker process; undefined while it is down. */
  readonly pid: number | undefined;
  readonly running: boolean;
  readonly paused: boolean;
  /** Milliseconds the last start or restart took until the broker served metadata. */
  readonly lastStartMs: number;
  /** The secured listeners and their credentials, when started with `security`. */
  readonly security: KafkaSecurityInfo | undefined;
  /** Bootstrap servers on the pod network (`<host>:<port>`), when started with `podListenerHost`. */
  readonly podBrokers: string | undefined;
  logTail(lines?: number): Promise<string>;
  /** Graceful shutdown (SIGTERM, SIGKILL after the grace period); keeps data for restart(). */
  shutdown(): Promise<void>;
  /** SIGKILL, as a crash would; keeps data for restart(). */
  kill(): Promise<void>;
  /** Starts again on the same ports with the same data (shutting down first if running). */
  restart(): Promise<void>;
  /** SIGSTOP: the broker keeps its sockets open but answers nothing. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** Final: shutdown() and remove `dir`. The handle cannot be restarted afterwards. */
  stop(): Promise<void>;
}

/**
 * Starts a single-node KRaft broker (broker and controller in one JVM) on free loopback
 * ports, with its data in a fresh temp folder, and resolves once it serves metadata.
 */
export async function startKafkaBroker(options: KafkaBrokerOptions = {}): Promise<KafkaBrokerHandle> {
  const libsDir = options.libsDir ?? (await ensureKafkaDistribution());
  // The jars tell which logging backend (and so which config format) this broker line uses.
  const logging: BrokerLogging = (await readdir(libsDir)).some((jar) => jar.startsWith('log4j-core-'))
    ? 'log4j2'
    : 'reload4j';
  const java = await ensureJava();
  const port = options.port ?? (await freePort());
  let controllerPort = options.controllerPort ?? (await freePort());
  while (controllerPort === port) controllerPort = await freePort();

  const dir = await mkdtemp(join(tmpdir(), 'sluice-kafka-'));
  let secured: SecuredListeners | undefined;
  let pod: { host: string; port: number } | undefined;
  try {
    secured = options.security ? await securedListeners(dir, [port, controllerPort]) : undefined;
    if (options.podListenerHost !== undefined) {
      const taken = [
        port,
        controllerPort,
        ...Object.values(secured?.properties.listeners ?? {}).map((l) => l.port),
      ];
      let podPort = await freePort();
      while (taken.includes(podPort)) podPort = await freePort();
      pod = { host: options.podListenerHost, port: podPort };
    }
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  const broker = new LocalKafkaBroker({
    java,
    libsDir,
    logging,
    dir,
    port,
    controllerPort,
    heapMb: options.heapMb ?? 512,
    startTimeoutMs: options.startTimeoutMs ?? 90_000,
    stopTimeoutMs: options.stopTimeoutMs ?? 20_000,
    scramArgs: secured?.scramArgs ?? [],
    security: secured?.info,
    podBrokers: pod === undefined ? undefined : `${pod.host}:${pod.port}`,
  });
  try {
    await writeFile(
      broker.serverProperties,
      serverProperties({
        port,
        controllerPort,
        dataDir: broker.dataDir,
        secured: secured?.properties,
        pod,
        extra: options.properties ?? {},
      }),
    );
    await writeFile(
      broker.log4jProperties,
      log4jProperties(broker.logFile, options.logLevel ?? 'INFO', logging),
    );
    await broker.format();
    await broker.start();
    return broker;
  } catch (error) {
    await broker.stop().catch(() => undefined);
    throw error;
  }
}

interface BrokerSetup {
  java: string;
  libsDir: string;
  logging: BrokerLogging;
  dir: string;
  port: number;
  controllerPort: number;
  heapMb: number;
  startTimeoutMs: number;
  stopTimeoutMs: number;
  /** `--add-scram` arguments of the storage format (SCRAM users live in the metadata log). */
  scramArgs: string[];
  security: KafkaSecurityInfo | undefined;
  podBrokers: string | undefined;
}

class LocalKafkaBroker implements KafkaBrokerHandle {
  readonly brokers: string;
  readonly port: number;
  readonly controllerPort: number;
  readonly dir: string;
  readonly dataDir: string;
  readonly logFile: string;
  readonly serverProperties: string;
  readonly log4jProperties: string;
  readonly security: KafkaSecurityInfo | undefined;
  readonly podBrokers: string | undefined;
  lastStartMs = 0;
  readonly #setup: BrokerSetup;
  readonly #process: ManagedProcess;
  readonly #forgetAtExit: () => void;
  #paused = false;
  #disposed = false;

  constructor(setup: BrokerSetup) {
    this.#setup = setup;
    this.port = setup.port;
    this.controllerPort = setup.controllerPort;
    this.brokers = `127.0.0.1:${setup.port}`;
    this.dir = setup.dir;
    this.dataDir = join(setup.dir, 'data');
    this.logFile = join(setup.dir, 'broker.log');
    this.serverProperties = join(setup.dir, 'server.properties');
    this.log4jProperties = join(setup.dir, 'log4j.properties');
    this.security = setup.security;
    this.podBrokers = setup.podBrokers;
    this.#process = new ManagedProcess({
      name: 'Kafka broker',
      command: setup.java,
      args: [...this.#jvmArgs(), 'kafka.Kafka', this.serverProperties],
      cwd: setup.dir,
      // The JVM's own stdout/stderr (crash reports, early errors) join the log4j output.
      logFile: this.logFile,
      cleanupDir: setup.dir,
    });
    this.#forgetAtExit = killAtExit([this.#process], setup.dir);
  }

  get pid(): number | undefined {
    return this.#process.pid;
  }

  get running(): boolean {
    return this.#process.running;
  }

  /** A broker that exited while stopped is not paused any more. */
  get paused(): boolean {
    return this.#paused && this.#process.running;
  }

  logTail(lines = 60): Promise<string> {
    return this.#process.logTail(lines);
  }

  /**
   * For startup failures: a dying broker logs pages of shutdown noise after the cause, so
   * the first ERROR/FATAL lines come first, then the tail.
   */
  async #diagnostics(): Promise<string> {
    const text = await readFile(this.logFile, 'utf8').catch(() => '');
    const lines = text.split('\n');
    const errors: string[] = [];
    lines.forEach((line, i) => {
      if (errors.length >= 12 || !/^\[[^\]]+\] (ERROR|FATAL) /.test(line)) return;
      errors.push(line);
      // The exception's own message (often the actual cause) is on the next line.
      const next = lines[i + 1];
      if (next !== undefined && next !== '' && !next.startsWith('[') && !/^\s+at /.test(next))
        errors.push(next);
    });
    const clipped = errors.map((line) => (line.length > 600 ? `${line.slice(0, 600)}...` : line));
    const head = clipped.length > 0 ? `First errors:\n${clipped.join('\n')}\n` : '';
    return `${head}Last lines of ${this.logFile}:\n${tail(text || '(empty)', 40)}`;
  }

  #jvmArgs(): string[] {
    return [
      `-Xmx${this.#setup.heapMb}m`,
      '-Xms128m',
      '-XX:+UseG1GC',
      '-XX:MaxGCPauseMillis=20',
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      this.#setup.logging === 'log4j2'
        ? `-Dlog4j2.configurationFile=${this.log4jProperties}`
        : `-Dlog4j.configuration=file:${this.log4jProperties}`,
      '-cp',
      // The JVM expands the `*` itself; no shell is involved.
      join(this.#setup.libsDir, '*'),
    ];
  }

  async format(): Promise<void> {
    const result = await runCommand(
      this.#setup.java,
      [
        ...this.#jvmArgs(),
        'kafka.tools.StorageTool',
        'format',
        '-t',
        randomClusterId(),
        '-c',
        this.serverProperties,
        ...this.#setup.scramArgs,
      ],
      { cwd: this.dir, timeoutMs: 60_000 },
    );
    if (result.code !== 0) {
      throw new Error(
        `Formatting the KRaft storage failed (exit ${result.code}):\n` +
          tail(`${result.stdout}\n${result.stderr}`, 30) +
          `\n${await this.#diagnostics()}`,
      );
    }
  }

  async start(): Promise<void> {
    if (this.#disposed) throw new Error('this Kafka broker was stopped for good; start a new one');
    if (this.#process.running) return;
    const started = Date.now();
    this.#process.start();
    this.#paused = false;

    const deadline = started + this.#setup.startTimeoutMs;
    for (;;) {
      if (!this.#process.running) {
        throw new Error(
          `Kafka broker exited during startup (${this.#process.exitReason}).\n${await this.#diagnostics()}`,
        );
      }
      if (Date.now() >= deadline) {
        await this.kill();
        throw new Error(
          `Kafka broker on ${this.brokers} was not ready within ${this.#setup.startTimeoutMs} ms.\n` +
            (await this.#diagnostics()),
        );
      }
      if ((await portAcceptsConnections(this.port)) && (await probeKafka(this.brokers, 3_000))) break;
      await sleep(200);
    }
    this.lastStartMs = Date.now() - started;
  }

  async shutdown(): Promise<void> {
    // A stopped process queues SIGTERM until it runs again.
    if (this.paused) this.resume();
    await this.#process.shutdown(this.#setup.stopTimeoutMs);
  }

  kill(): Promise<void> {
    return this.#process.kill();
  }

  async restart(): Promise<void> {
    await this.shutdown();
    await this.start();
  }

  pause(): void {
    if (!this.#process.signal('SIGSTOP')) throw new Error('cannot pause: the Kafka broker is not running');
    this.#paused = true;
  }

  resume(): void {
    this.#process.signal('SIGCONT');
    this.#paused = false;
  }

  async stop(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#forgetAtExit();
    await this.shutdown();
    await rm(this.dir, { recursive: true, force: true, maxRetries: 3 });
  }
}

interface SecuredListeners {
  readonly info: KafkaSecurityInfo;
  readonly scramArgs: string[];
  /** Listener names to protocols, addresses, and the listener-scoped settings. */
  readonly properties: {
    readonly listeners: Record<string, { protocol: string; port: number }>;
    readonly settings: Record<string, string>;
  };
}

/**
 * Ports, users (random passwords, so a test can prove they never reach a log), the broker
 * certificate and the server.properties entries of the SASL and SSL listeners.
 */
async function securedListeners(dir: string, taken: number[]): Promise<SecuredListeners> {
  const ports: number[] = [];
  while (ports.length < 2) {
    const candidate = await freePort();
    if (![...taken, ...ports].includes(candidate)) ports.push(candidate);
  }
  const [saslPort, sslPort] = ports as [number, number];
  const secret = () => randomBytes(18).toString('base64url');
  const users = {
    plain: { username: 'sluice-plain', password: secret() },
    'scram-sha-256': { username: 'sluice-scram256', password: secret() },
    'scram-sha-512': { username: 'sluice-scram512', password: secret() },
  } as const;
  const pki = await createTestPki(join(dir, 'pki'), { caName: 'kafka-test-ca' });
  const broker = await pki.issue('kafka-broker');
  // A PEM keystore is one file: the PKCS#8 key, then the certificate chain.
  const keystore = join(dir, 'pki', 'kafka-broker-keystore.pem');
  await writeFile(
    keystore,
    `${await readFile(broker.keyFile, 'utf8')}${await readFile(broker.certFile, 'utf8')}`,
    { mode: 0o600 },
  );
  return {
    info: {
      saslBrokers: `127.0.0.1:${saslPort}`,
      sslBrokers: `127.0.0.1:${sslPort}`,
      caFile: pki.caFile,
      users,
    },
    scramArgs: [
      '--add-scram',
      `SCRAM-SHA-256=[name=${users['scram-sha-256'].username},password=${users['scram-sha-256'].password}]`,
      '--add-scram',
      `SCRAM-SHA-512=[name=${users['scram-sha-512'].username},password=${users['scram-sha-512'].password}]`,
    ],
    properties: {
      listeners: {
        SASL: { protocol: 'SASL_PLAINTEXT', port: saslPort },
        SSL: { protocol: 'SSL', port: sslPort },
      },
      settings: {
        'listener.name.sasl.sasl.enabled.mechanisms': 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
        'listener.name.sasl.plain.sasl.jaas.config': `org.apache.kafka.common.security.plain.PlainLoginModule required user_${users.plain.username}="${users.plain.password}";`,
        'listener.name.sasl.scram-sha-256.sasl.jaas.config':
          'org.apache.kafka.common.security.scram.ScramLoginModule required;',
        'listener.name.sasl.scram-sha-512.sasl.jaas.config':
          'org.apache.kafka.common.security.scram.ScramLoginModule required;',
        'listener.name.ssl.ssl.keystore.type': 'PEM',
        'listener.name.ssl.ssl.keystore.location': keystore,
        'listener.name.ssl.ssl.client.auth': 'none',
      },
    },
  };
}

function serverProperties(config: {
  port: number;
  controllerPort: number;
  dataDir: string;
  secured: SecuredListeners['properties'] | undefined;
  pod: { host: string; port: number } | undefined;
  extra: Record<string, string | number | boolean>;
}): string {
  const extraListeners = [
    ...Object.entries(config.secured?.listeners ?? {}).map(
      ([name, l]) => [name, { ...l, host: '127.0.0.1' }] as const,
    ),
    ...(config.pod === undefined ? [] : [['POD', { protocol: 'PLAINTEXT', ...config.pod }] as const]),
  ];
  const addresses = extraListeners.map(([name, { host, port }]) => `,${name}://${host}:${port}`).join('');
  const protocols = extraListeners.map(([name, { protocol }]) => `,${name}:${protocol}`).join('');
  const props: Record<string, string | number | boolean> = {
    'process.roles': 'broker,controller',
    'node.id': 1,
    'controller.quorum.voters': `1@127.0.0.1:${config.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${config.port},CONTROLLER://127.0.0.1:${config.controllerPort}${addresses}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${config.port}${addresses}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': `CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT${protocols}`,
    ...config.secured?.settings,
    'log.dirs': config.dataDir,
    'num.partitions': 3,
    'auto.create.topics.enable': true,
    'offsets.topic.replication.factor': 1,
    // 50 partitions by default; fewer make the first consumer group on a fresh broker quick.
    'offsets.topic.num.partitions': 5,
    'transaction.state.log.replication.factor': 1,
    'transaction.state.log.min.isr': 1,
    'transaction.state.log.num.partitions': 5,
    'group.initial.rebalance.delay.ms': 0,
    'min.insync.replicas': 1,
    // After a SIGKILL the controller refuses the restarted broker's registration
    // (DUPLICATE_BROKER_REGISTRATION) until the old session times out: 9 s by default. A
    // shorter session makes crash-and-restart tests several seconds faster; the heartbeat goes
    // over loopback inside one JVM, so it is not at risk of spurious expiry.
    'broker.heartbeat.interval.ms': 1_000,
    'broker.session.timeout.ms': 4_000,
    // Test data never needs to outlive a run; small segments keep the temp folder small.
    'log.segment.bytes': 64 * 1024 * 1024,
    'log.retention.check.interval.ms': 60_000,
    ...config.extra,
  };
  return `${Object.entries(props)
    .map(([key, value]) => `${key}=${value}`)
    .join('\n')}\n`;
}

function log4jProperties(logFile: string, level: string, logging: BrokerLogging): string {
  if (logging === 'log4j2') {
    // The same file, pattern and quiet loggers in log4j2's properties format.
    return [
      'status = warn',
      'appender.file.type = File',
      'appender.file.name = FILE',
      `appender.file.fileName = ${logFile}`,
      'appender.file.append = true',
      'appender.file.layout.type = PatternLayout',
      'appender.file.layout.pattern = [%d] %p %m (%c)%n',
      `rootLogger.level = ${level}`,
      'rootLogger.appenderRef.file.ref = FILE',
      'logger.stateChange.name = state.change.logger',
      'logger.stateChange.level = WARN',
      'logger.request.name = kafka.request.logger',
      'logger.request.level = WARN',
      '',
    ].join('\n');
  }
  return [
    `log4j.rootLogger=${level}, file`,
    'log4j.appender.file=org.apache.log4j.FileAppender',
    `log4j.appender.file.File=${logFile}`,
    'log4j.appender.file.Append=true',
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    // The state-change and request loggers are chatty at INFO and add nothing for tests.
    'log4j.logger.state.change.logger=WARN',
    'log4j.logger.kafka.request.logger=WARN',
    '',
  ].join('\n');
}

/**
 * A cluster id in Kafka's Uuid text form: 16 random bytes, URL-safe base64 without padding.
 * Kafka rejects ids that start with '-' (they read as command-line flags).
 */
function randomClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}
