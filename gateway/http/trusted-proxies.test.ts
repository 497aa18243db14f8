import { once } from 'node:events';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { type IncomingMessage, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../kernel/config-schema.ts';
import { validateConfig } from '../config/parse-config.ts';
import { type GatewayServer, startGateway } from './server.ts';

// Real sockets: the gateway listens on 127.0.0.1 and the client binds its end to another
// loopback address (127.0.0.0/8 is all loopback on Linux), so the TCP peer the gateway sees
// is a trusted proxy or not. `from: clientAddress` writes what the gateway decided.

const PROXY = '127.0.0.2';
const STRANGER = '127.0.0.3';

describe('server.trustedProxies on a listening gateway', () => {
  let dir: string;
  let gateway: GatewayServer;
  let sent = 0;
  const recordsFile = () => join(dir, 'records.jsonl');
  const configWith = (trustedProxies: string[]): GatewayConfig => {
    const parsed = validateConfig({
      revision: `proxies-${trustedProxies.join(',')}`,
      server: { trustedProxies },
      producers: { main: { type: 'file', path: recordsFile() } },
      repos: {
        access: {
          producer: 'main',
          topic: 'logs.access',
          executers: [{ type: 'set', field: 'client', from: 'clientAddress' }],
        },
      },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return parsed.config;
  };

  /** Posts one line from `localAddress` and returns the client address recorded for it. */
  const clientSeen = async (localAddress: string, headers: Record<string, string | undefined> = {}) => {
    const id = ++sent;
    const { port } = new URL(gateway.url);
    const body = JSON.stringify({ id });
    const req = request({
      host: '127.0.0.1',
      port,
      localAddress,
      method: 'POST',
      path: '/log/repo/access',
      headers: {
        ...Object.fromEntries(Object.entries(headers).filter(([, value]) => value !== undefined)),
        'content-length': Buffer.byteLength(body),
      },
    });
    req.end(body);
    const [res] = (await once(req, 'response')) as [IncomingMessage];
    res.resume();
    await once(res, 'end');
    expect(res.statusCode).toBe(200);
    const records = (await readFile(recordsFile(), 'utf8'))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { value: { id: number; client: string } });
    return records.find((record) => record.value.id === id)?.value.client;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-proxies-'));
    gateway = await startGateway(configWith([`${PROXY}/32`]), {
      logger: pino({ level: 'silent' }),
      host: '127.0.0.1',
      port: 0,
    });
    await gateway.connected;
  });
  afterAll(async () => {
    await gateway?.shutdown();
    await rm(dir, { recursive: true, force: true });
  });

  it.each([
    { name: 'X-Forwarded-For', headers: { 'x-forwarded-for': '198.51.100.7' }, expected: '198.51.100.7' },
    {
      name: 'X-Forwarded-For with a spoofed left part',
      headers: { 'x-forwarded-for': '1.1.1.1, 198.51.100.7' },
      expected: '198.51.100.7',
    },
    {
      name: 'Forwarded',
      headers: { forwarded: 'for="[2001:db8::7]:5000";proto=https' },
      expected: '2001:db8::7',
    },
    { name: 'X-Real-IP', headers: { 'x-real-ip': '198.51.100.8' }, expected: '198.51.100.8' },
    { name: 'no header', headers: {}, expected: PROXY },
  ])('from the trusted proxy, $name names the client', async ({ headers, expected }) => {
    expect(await clientSeen(PROXY, headers)).toBe(expected);
  });

  it.each([
    { 'x-forwarded-for': '198.51.100.7' },
    { forwarded: 'for=198.51.100.7' },
    { 'x-real-ip': '198.51.100.7' },
  ])('from any other peer, %o is ignored', async (headers) => {
    expect(await clientSeen(STRANGER, headers)).toBe(STRANGER);
  });

  it('follows a reload: a new list applies to the next request, no restart', async () => {
    await gateway.applyConfig(configWith([`${STRANGER}/32`]));
    expect(await clientSeen(STRANGER, { 'x-forwarded-for': '198.51.100.9' })).toBe('198.51.100.9');
    expect(await clientSeen(PROXY, { 'x-forwarded-for': '198.51.100.9' })).toBe(PROXY);
    await gateway.applyConfig(configWith([]));
    expect(await clientSeen(STRANGER, { 'x-forwarded-for': '198.51.100.9' })).toBe(STRANGER);
  });
});
