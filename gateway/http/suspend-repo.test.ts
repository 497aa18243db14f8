import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../kernel/config-schema.ts';
import { validateConfig } from '../config/parse-config.ts';
import { type GatewayServer, startGateway } from './server.ts';

// Suspending and resuming a repo on a real listening gateway, through config swaps (what a
// hot reload does): no restart, and each state answers as documented.

const metricValue = (text: string, name: string, labels: string): number | undefined => {
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line === undefined ? undefined : Number(line.split(' ').at(-1));
};

describe('suspend and resume a repo', () => {
  let dir: string;
  let gateway: GatewayServer;
  const recordsFile = () => join(dir, 'records.jsonl');
  const records = async () =>
    (await readFile(recordsFile(), 'utf8').catch(() => ''))
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => JSON.parse(line) as { topic: string; value: { n: number } });
  const configWith = (access: Record<string, unknown>): GatewayConfig => {
    const parsed = validateConfig({
      revision: `rev-${JSON.stringify(access)}`,
      server: { retryAfterSeconds: 7 },
      producers: { main: { type: 'file', path: recordsFile() } },
      repos: {
        access: { producer: 'main', topic: 'logs.access', ...access },
        other: { producer: 'main', topic: 'logs.other' },
      },
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return parsed.config;
  };
  const post = async (repo: string, lines: number[]) => {
    const response = await fetch(`${gateway.url}/log/repo/${repo}`, {
      method: 'POST',
      body: lines.map((n) => JSON.stringify({ n })).join('\n'),
    });
    return { status: response.status, headers: response.headers, body: await response.json() };
  };
  const metrics = async () => (await fetch(`${gateway.url}/metrics`)).text();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sluice-suspend-'));
    gateway = await startGateway(configWith({}), {
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

  it('takes lines while active', async () => {
    expect((await post('access', [1, 2])).status).toBe(200);
    expect(metricValue(await metrics(), 'sluice_repo_suspended', 'repo="access"')).toBe(0);
  });

  it('suspended (reject): 503 SUSPENDED with Retry-After, nothing produced; other repos unaffected', async () => {
    await gateway.applyConfig(configWith({ suspend: true }));
    const before = (await records()).length;
    const answer = await post('access', [3, 4, 5]);
    expect(answer.status).toBe(503);
    expect(answer.headers.get('retry-after')).toBe('7');
    expect(answer.body).toEqual({
      error: { code: 'SUSPENDED', message: 'log repo "access" is suspended, retry later', retryable: true },
    });
    expect((await post('other', [6])).status).toBe(200);
    const after = await records();
    expect(after.slice(before).map((record) => record.topic)).toEqual(['logs.other']);
    const text = await metrics();
    expect(metricValue(text, 'sluice_repo_suspended', 'repo="access"')).toBe(1);
    expect(metricValue(text, 'sluice_repo_suspended', 'repo="other"')).toBe(0);
    expect(metricValue(text, 'sluice_requests_total', 'repo="access",status="503"')).toBe(1);
    const status = (await (await fetch(`${gateway.url}/status`)).json()) as {
      repos: Array<{ name: string; suspended: boolean }>;
    };
    expect(status.repos).toContainEqual(expect.objectContaining({ name: 'access', suspended: true }));
  });

  it('suspended (drop): 200 with every line counted as dropped under suspended, nothing produced', async () => {
    await gateway.applyConfig(configWith({ suspend: true, whileSuspended: 'drop' }));
    const before = (await records()).length;
    const answer = await post('access', [7, 8, 9, 10]);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      repo: 'access',
      received: 4,
      accepted: 0,
      dropped: { total: 4, byReason: { suspended: 4 } },
      invalid: { total: 0 },
    });
    expect(await records()).toHaveLength(before);
    const text = await metrics();
    expect(metricValue(text, 'sluice_lines_dropped_total', 'repo="access",reason="suspended"')).toBe(4);
    expect(metricValue(text, 'sluice_repo_suspended', 'repo="access"')).toBe(1);
  });

  it('resumes on the next config, without a restart', async () => {
    await gateway.applyConfig(configWith({ suspend: false }));
    const answer = await post('access', [11, 12]);
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ accepted: 2 });
    const produced = (await records()).filter((record) => record.topic === 'logs.access');
    expect(produced.map((record) => record.value.n)).toEqual([1, 2, 11, 12]);
    expect(metricValue(await metrics(), 'sluice_repo_suspended', 'repo="access"')).toBe(0);
  });
});
