import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { validateConfig } from '../../gateway/config/parse-config.ts';
import type { GatewayServer } from '../../gateway/http/server.ts';
import type { GatewayConfig } from '../../kernel/config-schema.ts';
import { createTopic, splitBrokers, uniqueTopicName } from '../infra/kafka-admin.ts';
import { createTestPki, type IssuedCertificate, type TestPki } from '../infra/test-pki.ts';
import { writeConfigMapVolume } from '../support/atomic-writer.ts';
import { eventually } from '../support/eventually.ts';
import { startTestGatewayWith } from '../support/start-test-gateway.ts';

// HTTPS on the gateway listener with a real TLS client: the certificate is swapped in
// place when its Secret volume changes or a reload names other files; new connections
// see the new certificate, connections already open keep working.

let dir: string;
let pki: TestPki;
let ca: string;
let gateway: GatewayServer;
const certs: Record<string, IssuedCertificate> = {};
const logs: string[] = [];
const brokers = inject('kafkaBrokers');
const topic = uniqueTopicName('listener-tls');

const configFor = (secretDir: string): GatewayConfig => {
  const parsed = validateConfig({
    revision: 'tls-test',
    server: { tls: { certFile: join(secretDir, 'tls.crt'), keyFile: join(secretDir, 'tls.key') } },
    producers: { main: { type: 'kafka', brokers: splitBrokers(brokers) } },
    repos: { open: { producer: 'main', topic } },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.config;
};

const secretPayload = async (cert: IssuedCertificate, key: IssuedCertificate = cert) => ({
  'tls.crt': await readFile(cert.certFile, 'utf8'),
  'tls.key': await readFile(key.keyFile, 'utf8'),
});

interface Answer {
  readonly status: number;
  readonly cn: string;
  readonly localPort: number;
}

function post(agent: Agent): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${gateway.url}/log/repo/open`,
      { method: 'POST', agent, headers: { 'content-type': 'application/x-ndjson' } },
      (res) => {
        const socket = res.socket as TLSSocket;
        const cn = String(socket.getPeerCertificate().subject?.CN);
        const localPort = socket.localPort ?? 0;
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, cn, localPort }));
      },
    );
    req.on('error', reject);
    req.end('{"msg":"over tls"}\n');
  });
}

const freshAgent = () => new Agent({ ca, keepAlive: false, maxCachedSessions: 0 });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-listener-tls-'));
  await createTopic(brokers, topic, 1);
  pki = await createTestPki(join(dir, 'pki'));
  ca = await readFile(pki.caFile, 'utf8');
  for (const name of ['gw-1', 'gw-2', 'gw-3']) certs[name] = await pki.issue(name);
  await writeConfigMapVolume(join(dir, 'secret'), await secretPayload(certs['gw-1'] as IssuedCertificate));
  gateway = await startTestGatewayWith(configFor(join(dir, 'secret')), {
    logger: pino({ level: 'info' }, { write: (line: string) => void logs.push(line) }),
    secretPollIntervalMs: 200,
  });
});

afterAll(async () => {
  await gateway?.shutdown();
  await rm(dir, { recursive: true, force: true });
});

describe('gateway listener TLS', () => {
  it('serves HTTPS with the mounted certificate, verified against the CA', async () => {
    expect(gateway.url).toMatch(/^https:\/\//);
    expect(await post(freshAgent())).toMatchObject({ status: 200, cn: 'gw-1' });
  });

  it('rotates the certificate without a restart; open connections keep working', async () => {
    const kept = new Agent({ ca, keepAlive: true, maxSockets: 1 });
    const before = await post(kept);
    expect(before).toMatchObject({ status: 200, cn: 'gw-1' });

    await writeConfigMapVolume(join(dir, 'secret'), await secretPayload(certs['gw-2'] as IssuedCertificate));
    await eventually(
      async () => (await post(freshAgent())).cn,
      (cn) => cn === 'gw-2',
    );
    // The same keep-alive socket, still on the certificate it negotiated.
    const after = await post(kept);
    expect(after).toEqual({ status: 200, cn: 'gw-1', localPort: before.localPort });
    kept.destroy();
  });

  it('keeps the certificate in use when the files do not match', async () => {
    const mismatched = await secretPayload(
      certs['gw-3'] as IssuedCertificate,
      certs['gw-2'] as IssuedCertificate,
    );
    await writeConfigMapVolume(join(dir, 'secret'), mismatched);
    await eventually(
      async () => logs.join(''),
      (text) => text.includes('listener certificate not reloaded'),
    );
    expect(await post(freshAgent())).toMatchObject({ status: 200, cn: 'gw-2' });
  });

  it('follows the files a reloaded config names', async () => {
    await writeConfigMapVolume(join(dir, 'other'), await secretPayload(certs['gw-3'] as IssuedCertificate));
    await gateway.applyConfig({ ...configFor(join(dir, 'other')), revision: 'tls-test-2' });
    expect(await post(freshAgent())).toMatchObject({ status: 200, cn: 'gw-3' });
  });

  it('never logs key material', async () => {
    const key = await readFile((certs['gw-3'] as IssuedCertificate).keyFile, 'utf8');
    const body = key.split('\n')[1] as string;
    expect(logs.join('')).not.toContain(body);
  });
});
