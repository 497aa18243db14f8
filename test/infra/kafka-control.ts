import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { KafkaBrokerHandle } from './kafka-broker.ts';

// Why a control endpoint: vitest runs globalSetup in its main process and the tests in
// worker processes, so a test cannot hold the broker's handle, and a test that spawned its
// own replacement JVM would leave it owned by a worker that may exit at any time. Instead
// the process that started the broker keeps sole ownership and serves a small HTTP endpoint
// on loopback (behind a random token); tests reach it through connectKafkaControl() with
// the info provided as 'kafkaControl'. Teardown therefore always finds and stops the one
// broker, whatever the tests did to it.

/** What the global setup provides as 'kafkaControl' when it runs the local broker. */
export interface KafkaControlInfo {
  /** Base URL of the control endpoint, token included. */
  url: string;
  brokers: string;
  port: number;
  controllerPort: number;
  dataDir: string;
  /** The broker's log file, worth attaching to a failing test's output. */
  logFile: string;
}

export interface KafkaBrokerStatus {
  running: boolean;
  paused: boolean;
  pid: number | null;
  lastStartMs: number;
}

export type KafkaControlAction = 'shutdown' | 'kill' | 'restart' | 'pause' | 'resume' | 'ensure-running';

export interface KafkaControlServer {
  info: KafkaControlInfo;
  close(): Promise<void>;
}

function statusOf(broker: KafkaBrokerHandle): KafkaBrokerStatus {
  return {
    running: broker.running,
    paused: broker.paused,
    pid: broker.pid ?? null,
    lastStartMs: broker.lastStartMs,
  };
}

/** Serves control of `broker` on 127.0.0.1; actions run one at a time, in arrival order. */
export async function serveKafkaControl(broker: KafkaBrokerHandle): Promise<KafkaControlServer> {
  const token = randomBytes(12).toString('hex');
  let queue: Promise<unknown> = Promise.resolve();
  const actions: Record<KafkaControlAction | 'status' | 'log', () => Promise<unknown>> = {
    shutdown: () => broker.shutdown(),
    kill: () => broker.kill(),
    restart: () => broker.restart(),
    pause: async () => broker.pause(),
    resume: async () => broker.resume(),
    'ensure-running': async () => {
      if (broker.paused) broker.resume();
      if (!broker.running) await broker.restart();
    },
    status: async () => undefined,
    log: async () => broker.logTail(200),
  };

  const server = createServer((req, res) => {
    const [, reqToken, name] = (req.url ?? '').split('/');
    const action =
      name !== undefined && Object.hasOwn(actions, name) ? actions[name as keyof typeof actions] : null;
    if (reqToken !== token || action === null || req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    req.resume();
    const run = queue.then(action);
    queue = run.catch(() => undefined);
    run.then(
      (result) => {
        const body = { status: statusOf(broker), ...(typeof result === 'string' ? { log: result } : {}) };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
      },
      (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: message }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  server.unref();
  const address = server.address();
  if (address === null || typeof address !== 'object') throw new Error('control server has no address');

  return {
    info: {
      url: `http://127.0.0.1:${address.port}/${token}`,
      brokers: broker.brokers,
      port: broker.port,
      controllerPort: broker.controllerPort,
      dataDir: broker.dataDir,
      logFile: broker.logFile,
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Test-side remote for the broker started by the global setup. */
export interface KafkaControl {
  readonly info: KafkaControlInfo;
  /** Graceful stop (SIGTERM); data is kept. */
  shutdown(): Promise<KafkaBrokerStatus>;
  /** SIGKILL, as a crash; data is kept. */
  kill(): Promise<KafkaBrokerStatus>;
  /** Start again on the same port with the same data; resolves once it serves metadata. */
  restart(): Promise<KafkaBrokerStatus>;
  /** SIGSTOP: connections stay open, nothing is answered. */
  pause(): Promise<KafkaBrokerStatus>;
  resume(): Promise<KafkaBrokerStatus>;
  /** Undo whatever a test did: resume and (re)start as needed. Use it in afterEach/afterAll. */
  ensureRunning(): Promise<KafkaBrokerStatus>;
  status(): Promise<KafkaBrokerStatus>;
  /** The last 200 lines of the broker log. */
  logTail(): Promise<string>;
}

/**
 * Connects to the control endpoint given by `inject('kafkaControl')`. That value is null when
 * the tests run against an external cluster or a testcontainers broker, which these tests do
 * not own; a fault-injection test then fails with this error rather than skipping silently.
 */
export function connectKafkaControl(info: KafkaControlInfo | null | undefined): KafkaControl {
  if (info === null || info === undefined) {
    throw new Error(
      'This test stops and restarts the Kafka broker, which needs the local broker started by ' +
        'test/infra/kafka-global-setup.ts. Unset KAFKA_BROKERS and run with SLUICE_KAFKA=local.',
    );
  }
  const call = async (action: KafkaControlAction | 'status' | 'log') => {
    const res = await fetch(`${info.url}/${action}`, {
      method: 'POST',
      signal: AbortSignal.timeout(180_000),
    });
    const body = (await res.json()) as { status?: KafkaBrokerStatus; log?: string; error?: string };
    if (!res.ok || body.status === undefined) {
      throw new Error(`Kafka control '${action}' failed: ${body.error ?? res.status}`);
    }
    return body as { status: KafkaBrokerStatus; log?: string };
  };
  const act = (action: KafkaControlAction | 'status') => async () => (await call(action)).status;
  return {
    info,
    shutdown: act('shutdown'),
    kill: act('kill'),
    restart: act('restart'),
    pause: act('pause'),
    resume: act('resume'),
    ensureRunning: act('ensure-running'),
    status: act('status'),
    logTail: async () => (await call('log')).log ?? '',
  };
}
