import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { validateConfig } from '../../gateway/config/parse-config.ts';
import { type GatewayServer, startGateway } from '../../gateway/http/server.ts';
import { createLogger } from '../../gateway/observability/logger.ts';
import { createTopic, uniqueTopicName } from '../infra/kafka-admin.ts';
import { kcatConsume } from '../infra/kcat.ts';
import { createTestPki } from '../infra/test-pki.ts';
import { eventually } from '../support/eventually.ts';
import { kafkaEngines } from '../support/kafka-engines.ts';
import { postLines } from '../support/start-test-gateway.ts';

// TLS and SASL to a real broker, for every engine: the local test broker's SASL_PLAINTEXT
// listener (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512) and SSL listener. Records go in through
// the secured listener and are read back with kcat over PLAINTEXT. Wrong credentials (or
// an untrusted CA) answer 503 KAFKA_UNAVAILABLE, and no password ever reaches a log line
// or /metrics (the logger is the production one, redaction included, at debug level).

const brokers = inject('kafkaBrokers');
const security = inject('kafkaSecurity');
// Integration tests never skip: a broker that is not ours has no secured listeners to test.
// Thrown while collecting, since with no variants the file would hold no test to fail.
if (!security) {
  throw new Error(
    'kafka-security tests need the local test broker (its SASL and SSL listeners); ' +
      'KAFKA_BROKERS or testcontainers brokers do not provide them',
  );
}

type Variant = {
  readonly name: string;
  readonly brokers: string;
  readonly sasl?: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  readonly tls?: boolean;
};

const variants: Variant[] = [
  { name: 'SASL PLAIN', brokers: security.saslBrokers, sasl: 'plain' },
  { name: 'SASL SCRAM-SHA-256', brokers: security.saslBrokers, sasl: 'scram-sha-256' },
  { name: 'SASL SCRAM-SHA-512', brokers: security.saslBrokers, sasl: 'scram-sha-512' },
  { name: 'TLS', brokers: security.sslBrokers, tls: true },
];

let dir: string;
let otherCaFile: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-kafka-security-'));
  otherCaFile = (await createTestPki(join(dir, 'other-pki'), { caName: 'untrusted-ca' })).caFile;
});

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

interface Harness {
  readonly gateway: GatewayServer;
  readonly logs: string[];
}

async function start(
  engine: string,
  variant: Variant,
  topic: string,
  credentials: { username: string; password: string } | undefined,
  caFile: string | undefined,
): Promise<Harness> {
  const files = join(dir, `${engine}-${variant.name.replace(/\W+/g, '-')}-${randomBytes(4).toString('hex')}`);
  const sasl =
    credentials && variant.sasl
      ? { mechanism: variant.sasl, usernameFile: `${files}.username`, passwordFile: `${files}.password` }
      : undefined;
  if (sasl && credentials) {
    await writeFile(sasl.usernameFile, `${credentials.username}\n`);
    await writeFile(sasl.passwordFile, `${credentials.password}\n`);
  }
  const parsed = validateConfig({
    revision: 'security',
    producers: {
      main: {
        type: 'kafka',
        engine,
        brokers: [variant.brokers],
        batch: { lingerMs: 5 },
        requestTimeoutMs: 5_000,
        retries: 1,
        ...(sasl ? { sasl } : {}),
        ...(variant.tls ? { tls: { enabled: true, caFile } } : {}),
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
  return { gateway, logs };
}

const line = (id: string) => JSON.stringify({ id, msg: 'secured' });

describe.each(kafkaEngines())('%s engine', (engine) => {
  describe.each(variants)('$name', (variant) => {
    const good = variant.sasl ? security.users[variant.sasl] : undefined;

    it('produces through the secured listener; kcat reads the records back', async () => {
      const topic = uniqueTopicName(`sec-${engine}-${variant.sasl ?? 'tls'}`);
      await createTopic(brokers, topic, 1);
      const { gateway, logs } = await start(engine, variant, topic, good, security.caFile);
      try {
        await Promise.race([
          gateway.connected,
          new Promise((_, reject) => setTimeout(() => reject(new Error('no connection in 30 s')), 30_000)),
        ]);
        const sent = Array.from({ length: 10 }, (_, i) => line(`${engine}-${variant.name}-${i}`));
        const answer = await postLines(`${gateway.url}/log/repo/secure`, sent.join('\n'));
        expect(answer.status).toBe(200);
        expect(answer.body).toMatchObject({ accepted: 10 });
        const read = await kcatConsume({ brokers, topic, count: 10, untilEnd: true, timeoutMs: 20_000 });
        expect(read.map((message) => message.value)).toEqual(sent);
        const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
        if (good) {
          expect(logs.join('')).not.toContain(good.password);
          expect(metrics).not.toContain(good.password);
        }
      } finally {
        await gateway.shutdown();
      }
    });

    it(
      variant.sasl
        ? 'a wrong password answers 503 KAFKA_UNAVAILABLE and reaches no log line'
        : 'an untrusted broker certificate answers 503 KAFKA_UNAVAILABLE',
      async () => {
        const topic = uniqueTopicName(`sec-bad-${engine}-${variant.sasl ?? 'tls'}`);
        const wrong = good
          ? { username: good.username, password: `wrong-${randomBytes(12).toString('hex')}` }
          : undefined;
        const { gateway, logs } = await start(engine, variant, topic, wrong, otherCaFile);
        try {
          // At least one connection attempt failed and was logged.
          await eventually(
            async () => logs.join(''),
            (text) => text.includes('producer connect failed'),
            30_000,
          );
          const answer = await postLines(`${gateway.url}/log/repo/secure`, line('refused'));
          expect(answer.status).toBe(503);
          expect(answer.headers.get('retry-after')).not.toBeNull();
          expect(answer.body).toMatchObject({ error: { code: 'KAFKA_UNAVAILABLE', retryable: true } });
          const ready = await fetch(`${gateway.url}/readyz`);
          expect(ready.status).toBe(503);
          const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
          const text = logs.join('');
          // The log says why, so an operator can tell bad credentials from a broker outage.
          expect(text).toMatch(variant.sasl ? /authenticat|SASL/i : /certificate|verify/i);
          for (const secret of [wrong?.password, good?.password]) {
            if (secret === undefined) continue;
            expect(text).not.toContain(secret);
            expect(metrics).not.toContain(secret);
          }
        } finally {
          await gateway.shutdown();
        }
      },
    );
  });
});
