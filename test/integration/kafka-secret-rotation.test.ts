import { randomBytes } from 'node:crypto';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { validateConfig } from '../../gateway/config/parse-config.ts';
import { type GatewayServer, startGateway } from '../../gateway/http/server.ts';
import { createLogger } from '../../gateway/observability/logger.ts';
import { createTopic, uniqueTopicName } from '../infra/kafka-admin.ts';
import { eventually } from '../support/eventually.ts';
import { type KafkaEngine, kafkaEngines } from '../support/kafka-engines.ts';
import { postLines } from '../support/start-test-gateway.ts';

// When each engine reads its SASL credential files, against the local test broker's SCRAM
// listener. A running producer is never rebuilt by a Secret rotation (its config text does
// not change), so what reaches it is what the engine reads by itself:
// - kafkajs and platformatic read the files at every authentication: after the password
//   file changes, the next connection attempt authenticates with the new password;
// - librdkafka copies the credentials when the producer is built: it keeps failing with the
//   password it was built with, and only a rebuilt producer (a restart, a changed producer
//   config) reads the new one.

const brokers = inject('kafkaBrokers');
const security = inject('kafkaSecurity');
// Integration tests never skip: a broker that is not ours has no SASL listener to test.
if (!security) {
  throw new Error(
    'kafka-secret-rotation tests need the local test broker (its SASL listener); ' +
      'KAFKA_BROKERS or testcontainers brokers do not provide them',
  );
}
const user = security.users['scram-sha-512'];

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-secret-rotation-'));
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** Replaces a file in one step, as the kubelet swaps a mounted Secret's files. */
async function replaceFile(path: string, text: string): Promise<void> {
  const next = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(next, text);
  await rename(next, path);
}

interface Harness {
  readonly gateway: GatewayServer;
  readonly logs: string[];
  readonly passwordFile: string;
  readonly topic: string;
}

async function start(engine: KafkaEngine, password: string | undefined): Promise<Harness> {
  const files = join(dir, `${engine}-${randomBytes(4).toString('hex')}`);
  const usernameFile = `${files}.username`;
  const passwordFile = `${files}.password`;
  await writeFile(usernameFile, `${user.username}\n`);
  if (password !== undefined) await writeFile(passwordFile, `${password}\n`);
  const topic = uniqueTopicName(`rotate-${engine}`);
  await createTopic(brokers, topic, 1);
  const parsed = validateConfig({
    revision: 'rotation',
    producers: {
      main: {
        type: 'kafka',
        engine,
        brokers: [security?.saslBrokers],
        batch: { lingerMs: 5 },
        requestTimeoutMs: 5_000,
        retries: 1,
        sasl: { mechanism: 'scram-sha-512', usernameFile, passwordFile },
      },
    },
    repos: { secure: { producer: 'main', topic, mode: 'sync' } },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  const logs: string[] = [];
  const destination = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const gateway = await startGateway(parsed.config, {
    logger: createLogger({ level: 'debug', destination }),
    host: '127.0.0.1',
    port: 0,
    connectWaitMs: 0,
  });
  return { gateway, logs, passwordFile, topic };
}

const connectFailures = (logs: readonly string[]) =>
  logs.filter((line) => line.includes('producer connect failed')).length;

async function connectedWithin(gateway: GatewayServer, ms: number): Promise<void> {
  await Promise.race([
    gateway.connected,
    new Promise((_, reject) => setTimeout(() => reject(new Error(`no connection in ${ms} ms`)), ms).unref()),
  ]);
}

const readsAtAuthentication = kafkaEngines().filter((engine) => engine !== 'librdkafka');
const readsAtBuild = kafkaEngines().filter((engine) => engine === 'librdkafka');

describe.each(readsAtAuthentication)('%s engine: SASL files are read at every authentication', (engine) => {
  it('a password file rotated after a failed authentication is used by the next attempt', async () => {
    const wrong = `wrong-${randomBytes(12).toString('hex')}`;
    const { gateway, logs, passwordFile } = await start(engine, wrong);
    try {
      await eventually(
        async () => connectFailures(logs),
        (count) => count >= 1,
        30_000,
      );
      await replaceFile(passwordFile, `${user.password}\n`);
      await connectedWithin(gateway, 30_000);
      const answer = await postLines(`${gateway.url}/log/repo/secure`, JSON.stringify({ msg: 'rotated' }));
      expect(answer.status).toBe(200);
      const text = logs.join('');
      expect(text).not.toContain(user.password);
      expect(text).not.toContain(wrong);
    } finally {
      await gateway.shutdown();
    }
  });

  it('a password file missing at start fails authentication with its code; once mounted, the producer connects', async () => {
    const { gateway, logs, passwordFile } = await start(engine, undefined);
    try {
      await eventually(
        async () => connectFailures(logs),
        (count) => count >= 1,
        30_000,
      );
      expect((await fetch(`${gateway.url}/readyz`)).status).toBe(503);
      // The log names the code and the file, so an operator sees which Secret key is missing.
      expect(logs.join('')).toContain(`SECRET_FILE_UNREADABLE: sasl.passwordFile file ${passwordFile}`);
      await replaceFile(passwordFile, `${user.password}\n`);
      await connectedWithin(gateway, 30_000);
      expect((await fetch(`${gateway.url}/readyz`)).status).toBe(200);
      expect(logs.join('')).not.toContain(user.password);
    } finally {
      await gateway.shutdown();
    }
  });
});

describe.each(readsAtBuild)('%s engine: SASL files are read when the producer is built', (engine) => {
  it('keeps the password it was built with: a rotated file does not reach the running producer', async () => {
    const wrong = `wrong-${randomBytes(12).toString('hex')}`;
    const { gateway, logs, passwordFile } = await start(engine, wrong);
    try {
      await eventually(
        async () => connectFailures(logs),
        (count) => count >= 1,
        30_000,
      );
      await replaceFile(passwordFile, `${user.password}\n`);
      const before = connectFailures(logs);
      // Two more failed attempts: the second one surely started after the file changed.
      await eventually(
        async () => connectFailures(logs),
        (count) => count >= before + 2,
        45_000,
      );
      expect((await fetch(`${gateway.url}/readyz`)).status).toBe(503);
      const text = logs.join('');
      expect(text).not.toContain(user.password);
      expect(text).not.toContain(wrong);
    } finally {
      await gateway.shutdown();
    }
  }, 90_000);
});
