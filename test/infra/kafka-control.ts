import { callControlEndpoint, serveControlEndpoint } from './control-endpoint.ts';
import type { KafkaBrokerHandle } from './kafka-broker.ts';

// Tests stop, kill, pause and restart the broker through the control endpoint the global
// setup serves (see control-endpoint.ts for why); connectKafkaControl() is their remote.

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
  const endpoint = await serveControlEndpoint(actions, () => statusOf(broker));
  return {
    info: {
      url: endpoint.url,
      brokers: broker.brokers,
      port: broker.port,
      controllerPort: broker.controllerPort,
      dataDir: broker.dataDir,
      logFile: broker.logFile,
    },
    close: endpoint.close,
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
  const call = (action: KafkaControlAction | 'status' | 'log') =>
    callControlEndpoint<KafkaBrokerStatus>(info.url, action, 'Kafka');
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
