import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayConfig } from '../../kernel/config-schema.ts';
import { writeConfigMapVolume } from '../../test/support/atomic-writer.ts';
import { eventually } from '../../test/support/eventually.ts';
import { startTestGatewayWith } from '../../test/support/start-test-gateway.ts';
import { validateConfig } from '../config/parse-config.ts';
import { REDACTED_PATHS } from '../observability/logger.ts';
import { IngestAuth } from './ingest-auth-tokens.ts';
import type { GatewayServer } from './server.ts';

// The ingest-auth contract through the real server: token files read at start and reload,
// rotated in place like a Secret volume, and answers that never tell a protected repo
// from an unknown one.

const TOKEN_A = 'tok-A-6c1d0f9e3b2a';
const TOKEN_B = 'tok-B-91e7a4d2c5f8';
const TOKEN_C = 'tok-C-0a5e9b3f7d21';

let dir: string;
let secretDir: string;
let otherSecretDir: string;
let gateway: GatewayServer;
const logLines: string[] = [];

const configFor = (tokensFile: string): GatewayConfig => {
  const parsed = validateConfig({
    revision: 'auth-test',
    producers: { main: { type: 'file', path: join(dir, 'records.jsonl') } },
    repos: {
      open: { producer: 'main', topic: 'logs.open' },
      secure: {
        producer: 'main',
        topic: 'logs.secure',
        auth: { tokensFile },
        // Would copy the token into the record if the gateway let the header through.
        executers: [{ type: 'set', field: 'auth', from: 'header', header: 'authorization' }],
      },
    },
  });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
  return parsed.config;
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-auth-'));
  secretDir = join(dir, 'secret');
  otherSecretDir = join(dir, 'other-secret');
  await writeConfigMapVolume(secretDir, { tokens: `${TOKEN_A}\n` });
  await writeConfigMapVolume(otherSecretDir, { tokens: `${TOKEN_C}\n` });
  const capture = new Writable({
    write(chunk, _encoding, done) {
      logLines.push(String(chunk));
      done();
    },
  });
  gateway = await startTestGatewayWith(configFor(join(secretDir, 'tokens')), {
    logger: pino({ level: 'debug', redact: { paths: REDACTED_PATHS, censor: '[redacted]' } }, capture),
    secretPollIntervalMs: 200,
  });
});

afterAll(async () => {
  await gateway?.shutdown();
  await rm(dir, { recursive: true, force: true });
});

async function post(repo: string, token?: string) {
  const response = await fetch(`${gateway.url}/log/repo/${repo}`, {
    method: 'POST',
    body: '{"msg":"hello"}\n',
    headers: {
      'content-type': 'application/x-ndjson',
      ...(token === undefined ? {} : { authorization: `Bearer ${token}` }),
    },
  });
  const headers = Object.fromEntries(response.headers);
  return { status: response.status, headers, text: await response.text() };
}

/** What a caller can observe, minus the per-request id and the clock. */
const observable = (answer: Awaited<ReturnType<typeof post>>) => {
  const { date: _date, 'x-request-id': _id, ...headers } = answer.headers;
  return { status: answer.status, headers, text: answer.text };
};

describe('ingest authentication', () => {
  it('answers a protected repo and an unknown one identically without a valid token', async () => {
    const answers = await Promise.all([
      post('secure'),
      post('no-such-repo'),
      post('secure', 'wrong'),
      post('no-such-repo', 'wrong'),
    ]);
    const [first, ...rest] = answers.map(observable);
    expect(first?.status).toBe(401);
    expect(first?.headers['www-authenticate']).toBe('Bearer realm="sluice"');
    expect(JSON.parse(first?.text ?? '{}')).toEqual({
      error: { code: 'UNAUTHORIZED', message: 'missing or invalid bearer token', retryable: false },
    });
    for (const answer of rest) expect(answer).toEqual(first);
  });

  it('lets a valid token in, and tells its holder that an unknown repo does not exist', async () => {
    expect((await post('secure', TOKEN_A)).status).toBe(200);
    expect((await post('open')).status).toBe(200);
    expect((await post('open', 'anything')).status).toBe(200);
    const unknown = await post('no-such-repo', TOKEN_A);
    expect(unknown.status).toBe(404);
    expect(JSON.parse(unknown.text)).toMatchObject({ error: { code: 'REPO_NOT_FOUND' } });
  });

  it('never hands the Authorization header to the pipeline', async () => {
    expect((await post('secure', TOKEN_A)).status).toBe(200);
    const records = await eventually(
      () => readFile(join(dir, 'records.jsonl'), 'utf8').catch(() => ''),
      (text) => text.includes('logs.secure'),
    );
    expect(records).not.toContain(TOKEN_A);
  });

  it('picks up a rotated tokens file without a config change, old and new overlapping', async () => {
    await writeConfigMapVolume(secretDir, { tokens: `${TOKEN_A}\n${TOKEN_B}\n` });
    await eventually(
      async () => (await post('secure', TOKEN_B)).status,
      (status) => status === 200,
    );
    expect((await post('secure', TOKEN_A)).status).toBe(200);
    await writeConfigMapVolume(secretDir, { tokens: `${TOKEN_B}\n` });
    await eventually(
      async () => (await post('secure', TOKEN_A)).status,
      (status) => status === 401,
    );
    expect((await post('secure', TOKEN_B)).status).toBe(200);
  });

  it('reads the file a reloaded config names', async () => {
    await gateway.applyConfig({ ...configFor(join(otherSecretDir, 'tokens')), revision: 'auth-test-2' });
    expect((await post('secure', TOKEN_C)).status).toBe(200);
    expect((await post('secure', TOKEN_B)).status).toBe(401);
  });

  it('keeps every token out of logs and metrics', async () => {
    await post('secure', TOKEN_B);
    const metrics = await (await fetch(`${gateway.url}/metrics`)).text();
    expect(metrics).toContain('status="401"');
    for (const token of [TOKEN_A, TOKEN_B, TOKEN_C]) {
      expect(logLines.join('')).not.toContain(token);
      expect(metrics).not.toContain(token);
    }
    expect(logLines.join('')).toContain('ingest tokens loaded');
  });
});

describe('IngestAuth reading token files', () => {
  const silent = pino({ level: 'silent' });
  const config = (file: string) =>
    ({
      repos: { secure: { producer: 'main', topic: 't', mode: 'sync', auth: { tokensFile: file } } },
    }) as Pick<GatewayConfig, 'repos'>;

  it('fails closed when a file was never readable', async () => {
    const auth = await IngestAuth.create(config('/nope'), {
      logger: silent,
      readText: async () => {
        throw Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
      },
    });
    try {
      expect(auth.current.tokens).toEqual([]);
      expect(auth.current.repos.get('secure')).toBe(true);
    } finally {
      auth.close();
    }
  });

  it('keeps the tokens read before when a file becomes unreadable', async () => {
    let readable = true;
    const auth = await IngestAuth.create(config('/s/tokens'), {
      logger: silent,
      readText: async () => {
        if (!readable) throw new Error('EACCES');
        return `${TOKEN_A}\n`;
      },
    });
    try {
      readable = false;
      auth.install(await auth.prepare(config('/s/tokens')));
      expect(auth.current.tokens).toHaveLength(1);
      // Another file that never read: nothing carried over to it.
      auth.install(await auth.prepare(config('/s/other')));
      expect(auth.current.tokens).toHaveLength(0);
    } finally {
      auth.close();
    }
  });
});
