import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createTopic, uniqueTopicName } from '../infra/kafka-admin.ts';
import { kcatConsume } from '../infra/kcat.ts';
import { kafkaEngines } from '../support/kafka-engines.ts';

// Real gateway process (`node gateway/main.ts`) and real Apache Kafka broker: SIGTERM in
// the middle of sustained sync load. Every line that got a 200 must be in Kafka, requests
// after the signal fail retryably (503 or a refused connection), and the process exits 0
// within the shutdown bound.

const brokers = inject('kafkaBrokers');

describe.each(kafkaEngines())('SIGTERM under load (%s engine)', (engine) => {
  let dir: string | undefined;
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('loses no acknowledged line and exits cleanly within the grace period', async () => {
    const topic = uniqueTopicName(`sigterm-${engine}`);
    await createTopic(brokers, topic, 3);
    dir = await mkdtemp(join(tmpdir(), 'sluice-sigterm-'));
    const configFile = join(dir, 'gateway.yaml');
    await writeFile(
      configFile,
      [
        'revision: sigterm-test',
        'server: { host: 127.0.0.1, port: 0, shutdownTimeoutMs: 15000, requestTimeoutMs: 10000 }',
        'producers:',
        `  main: { type: kafka, engine: ${engine}, brokers: [${brokers.split(',').join(', ')}], compression: lz4, batch: { lingerMs: 10 } }`,
        'repos:',
        `  access: { producer: main, topic: ${topic}, mode: sync }`,
      ].join('\n'),
    );
    const child = spawn(process.execPath, ['gateway/main.ts', '--config', configFile], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, LOG_LEVEL: 'info' },
    });
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    let url = '';
    let ready = false;
    const logs = createInterface({ input: child.stdout });
    const listening = new Promise<void>((resolve) => {
      logs.on('line', (line) => {
        const entry = JSON.parse(line) as { msg?: string; address?: string; producer?: string };
        if (entry.msg === 'gateway listening' && entry.address) url = entry.address;
        if (entry.msg === 'producer connected') ready = true;
        if (url && ready) resolve();
      });
    });
    await listening;

    const acknowledged: string[] = [];
    const statuses = new Map<string, number>();
    let stop = false;
    let sequence = 0;
    const worker = async (w: number) => {
      while (!stop) {
        const ids = Array.from({ length: 20 }, () => `w${w}-${sequence++}`);
        try {
          const response = await fetch(`${url}/log/repo/access`, {
            method: 'POST',
            body: ids.map((id) => JSON.stringify({ id, pad: 'x'.repeat(200) })).join('\n'),
            signal: AbortSignal.timeout(20_000),
          });
          await response.arrayBuffer();
          statuses.set(String(response.status), (statuses.get(String(response.status)) ?? 0) + 1);
          if (response.status === 200) acknowledged.push(...ids);
          else expect([503]).toContain(response.status);
        } catch {
          // Connection refused or reset once the listener closed: retryable for a sender.
          statuses.set('connection-error', (statuses.get('connection-error') ?? 0) + 1);
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
    };
    const workers = Array.from({ length: 8 }, (_, w) => worker(w));
    // 1.5 s of load before the signal (a duration, not a wait for an event).
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const signalledAt = performance.now();
    child.kill('SIGTERM');
    const code = await exited;
    const exitMs = performance.now() - signalledAt;
    stop = true;
    await Promise.all(workers);

    expect(code).toBe(0);
    expect(exitMs).toBeLessThan(15_000);
    expect(acknowledged.length).toBeGreaterThan(100);
    const read = await kcatConsume({ brokers, topic, untilEnd: true, timeoutMs: 30_000 });
    const found = new Set(read.map((message) => JSON.parse(message.value).id as string));
    const missing = acknowledged.filter((id) => !found.has(id));
    console.log(
      `SIGTERM under load (${engine}): ${acknowledged.length} lines acknowledged, ${found.size} found, ${missing.length} missing, exit in ${Math.round(exitMs)} ms, answers ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
    expect(missing).toEqual([]);
  });
});
