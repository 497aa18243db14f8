import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTopic, uniqueTopicName } from '../infra/kafka-admin.ts';
import { kcatConsume } from '../infra/kcat.ts';
import { eventually } from '../support/eventually.ts';
import { kafkaEngines } from '../support/kafka-engines.ts';

// Real `node gateway/main.ts --workers 2` against the real broker: both workers serve the
// shared port, a worker killed with SIGKILL is restarted by the primary, and one SIGTERM to
// the primary drains every worker (each delivers what it acknowledged) and exits 0.

const brokers = inject('kafkaBrokers');
const [engine = 'kafkajs'] = kafkaEngines();

interface Entry {
  msg?: string;
  address?: string;
  clean?: boolean;
  code?: number;
}

async function childPids(pid: number): Promise<number[]> {
  const text = await readFile(`/proc/${pid}/task/${pid}/children`, 'utf8').catch(() => '');
  return text
    .trim()
    .split(/\s+/)
    .filter((p) => p !== '')
    .map(Number);
}

describe(`gateway --workers 2 (${engine} engine)`, () => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('serves from both workers, restarts a killed one and drains all on SIGTERM', async () => {
    const topic = uniqueTopicName(`cluster-${engine}`);
    await createTopic(brokers, topic, 3);
    dir = await mkdtemp(join(tmpdir(), 'sluice-cluster-'));
    const configFile = join(dir, 'gateway.yaml');
    await writeFile(
      configFile,
      [
        'revision: cluster-test',
        'server: { host: 127.0.0.1, port: 0, shutdownDelayMs: 0, shutdownTimeoutMs: 15000 }',
        'producers:',
        `  main: { type: kafka, engine: ${engine}, brokers: [${brokers.split(',').join(', ')}], batch: { lingerMs: 5 } }`,
        'repos:',
        `  access: { producer: main, topic: ${topic}, mode: sync }`,
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['gateway/main.ts', '--config', configFile, '--workers', '2'], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, LOG_LEVEL: 'info' },
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const entries: Entry[] = [];
    createInterface({ input: child.stdout }).on('line', (line) => {
      try {
        entries.push(JSON.parse(line) as Entry);
      } catch {
        // Not a log line.
      }
    });
    const count = (msg: string) => entries.filter((entry) => entry.msg === msg).length;
    const waitFor = (msg: string, n: number) =>
      eventually(
        async () => count(msg),
        (seen) => seen >= n,
        30_000,
      );
    try {
      await waitFor('gateway listening', 2);
      await waitFor('producer connected', 2);
      const urls = new Set(entries.filter((e) => e.msg === 'gateway listening').map((e) => e.address));
      // Port 0 in a cluster: the primary binds once and both workers share that port.
      expect(urls.size).toBe(1);
      const url = [...urls][0] as string;
      const workerPids = await childPids(child.pid as number);
      expect(workerPids).toHaveLength(2);

      const post = async (ids: string[]) => {
        const response = await fetch(`${url}/log/repo/access`, {
          method: 'POST',
          body: ids.map((id) => JSON.stringify({ id })).join('\n'),
          // A fresh connection per request, so the primary's round-robin reaches both workers.
          headers: { connection: 'close' },
        });
        await response.arrayBuffer();
        return response.status;
      };
      const acknowledged: string[] = [];
      const send = async (prefix: string, requests: number) => {
        for (let r = 0; r < requests; r++) {
          const ids = Array.from({ length: 10 }, (_, i) => `${prefix}-${r}-${i}`);
          if ((await post(ids)) === 200) acknowledged.push(...ids);
        }
      };
      await send('a', 20);
      expect(acknowledged).toHaveLength(200);
      // Both workers answer: on fresh connections the primary's round-robin alternates.
      const answeredBy = new Set<number>();
      for (let i = 0; i < 10; i++) {
        const status = await fetch(`${url}/status`, { headers: { connection: 'close' } });
        answeredBy.add(((await status.json()) as { pid: number }).pid);
      }
      expect([...answeredBy].sort()).toEqual([...workerPids].sort());

      process.kill(workerPids[0] as number, 'SIGKILL');
      await waitFor('gateway listening', 3);
      await waitFor('producer connected', 3);
      await send('b', 20);
      expect(acknowledged).toHaveLength(400);

      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const stopped = entries.filter((entry) => entry.msg === 'gateway stopped');
      expect(stopped.map((entry) => entry.clean)).toEqual([true, true]);
      expect(count('cluster stopped')).toBe(1);

      const read = await kcatConsume({ brokers, topic, untilEnd: true, timeoutMs: 30_000 });
      const found = new Set(read.map((message) => (JSON.parse(message.value) as { id: string }).id));
      expect(acknowledged.filter((id) => !found.has(id))).toEqual([]);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      for (const pid of await childPids(child.pid as number)) process.kill(pid, 'SIGKILL');
    }
  });
});
