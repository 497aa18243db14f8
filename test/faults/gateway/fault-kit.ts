import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type GatewayProcess, startGatewayProcess } from '../../../bench/gateway-process.ts';
import { readProcessMemory } from '../../../bench/proc-stats.ts';
import { kcatConsume } from '../../infra/kcat.ts';
import { eventually } from '../../support/eventually.ts';

// Shared pieces of the gateway fault tests: a closed-loop load of uniquely identified
// lines that records what each request was answered, reading those ids back from Kafka,
// a gateway run as its own process with its memory sampled, and Prometheus text parsing.

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const MiB = 1024 * 1024;
/**
 * Peak RSS a gateway process may reach under a fault: the benchmark's peak under full sync
 * load is 386 MiB without `--max-semi-space-size` (docs/benchmarks/README.md, Memory), which
 * these child gateways run without; a frozen broker or an overload refused must not cost more
 * than healthy load does.
 */
export const PEAK_RSS_BOUND = 512 * MiB;

export interface LoadOptions {
  readonly url: string;
  readonly repo: string;
  readonly workers: number;
  readonly linesPerRequest: number;
  /** Filler per line, so a request has a known size. */
  readonly padBytes?: number;
  /**
   * Client-side bound on one request. Set above the gateway's requestTimeoutMs: a request
   * that hits it means the gateway hung, and the tests assert none does.
   */
  readonly clientTimeoutMs: number;
  /** Pause after a refused connection (listener closed), so a worker does not spin. */
  readonly backoffMs?: number;
  /** Label put into ids, so several loads can share a topic. */
  readonly tag?: string;
}

export interface LoadStats {
  requests: number;
  /** Every id sent in any request. */
  sent: number;
  /** Ids of lines in requests answered 200 (sync) or 202 (async). */
  readonly acknowledged: string[];
  readonly statuses: Record<string, number>;
  /** Answers that were not 2xx and lacked Retry-After, or had a status the test did not expect. */
  readonly violations: string[];
  /** Requests that hit the client timeout: the gateway did not answer in time. */
  clientTimeouts: number;
  /** Refused or reset connections (allowed only around shutdown). */
  connectionErrors: number;
  /** Slowest answer, ms. */
  maxLatencyMs: number;
  /** Slowest non-2xx answer, ms. */
  maxFailureLatencyMs: number;
  /** Time of the last 2xx, performance.now(). */
  lastSuccessAt: number;
}

export interface Load {
  readonly stats: LoadStats;
  stop(): Promise<LoadStats>;
}

/** Statuses a request may get under faults: success or a retryable refusal. */
export const RETRYABLE = new Set([429, 503]);

/**
 * Starts `workers` loops, each posting one request at a time until stopped. A line is
 * `{"id":"<tag>w<worker>-<n>","pad":"…"}`, ids unique over the whole load.
 */
export function startLoad(options: LoadOptions, allowed: ReadonlySet<number> = RETRYABLE): Load {
  const stats: LoadStats = {
    requests: 0,
    sent: 0,
    acknowledged: [],
    statuses: {},
    violations: [],
    clientTimeouts: 0,
    connectionErrors: 0,
    maxLatencyMs: 0,
    maxFailureLatencyMs: 0,
    lastSuccessAt: 0,
  };
  const pad = 'x'.repeat(options.padBytes ?? 100);
  let stopping = false;
  const worker = async (w: number) => {
    let sequence = 0;
    while (!stopping) {
      const ids = Array.from(
        { length: options.linesPerRequest },
        () => `${options.tag ?? ''}w${w}-${sequence++}`,
      );
      stats.sent += ids.length;
      const started = performance.now();
      try {
        const response = await fetch(`${options.url}/log/repo/${options.repo}`, {
          method: 'POST',
          body: ids.map((id) => JSON.stringify({ id, pad })).join('\n'),
          headers: { 'content-type': 'application/x-ndjson' },
          signal: AbortSignal.timeout(options.clientTimeoutMs),
        });
        const text = await response.text();
        const elapsed = performance.now() - started;
        stats.requests += 1;
        stats.statuses[response.status] = (stats.statuses[response.status] ?? 0) + 1;
        stats.maxLatencyMs = Math.max(stats.maxLatencyMs, elapsed);
        if (response.status === 200 || response.status === 202) {
          stats.acknowledged.push(...ids);
          stats.lastSuccessAt = performance.now();
        } else {
          stats.maxFailureLatencyMs = Math.max(stats.maxFailureLatencyMs, elapsed);
          const retryAfter = response.headers.get('retry-after');
          if (!allowed.has(response.status) || !retryAfter) {
            stats.violations.push(`${response.status} retry-after=${retryAfter} ${text.slice(0, 200)}`);
          }
        }
      } catch (error) {
        const name = (error as Error).name;
        if (name === 'TimeoutError' || name === 'AbortError') stats.clientTimeouts += 1;
        else stats.connectionErrors += 1;
        await sleep(options.backoffMs ?? 20);
      }
    }
  };
  const running = Array.from({ length: options.workers }, (_, w) => worker(w));
  return {
    stats,
    async stop() {
      stopping = true;
      await Promise.all(running);
      return stats;
    },
  };
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Waits (up to 60 s) until the load gets a 2xx answered after `since` (a performance.now()):
 * the gateway recovered by itself, with no help from the test.
 */
export async function untilSuccessAfter(load: Load, since: number): Promise<void> {
  await eventually(
    async () => load.stats.lastSuccessAt,
    (at) => at > since,
    60_000,
    200,
  );
}

export interface Readback {
  /** Distinct ids found. */
  readonly found: Set<string>;
  /** Messages read in total (duplicates included). */
  readonly messages: number;
  /** Ids found more than once (at-least-once retries after a lost acknowledgement). */
  readonly duplicates: number;
  /** Messages whose value was not the JSON line the load sent. */
  readonly malformed: number;
}

/** Reads every message of `topics` with kcat and checks each is a line the load sent. */
export async function readBack(brokers: string, topics: readonly string[]): Promise<Readback> {
  const counts = new Map<string, number>();
  let messages = 0;
  let malformed = 0;
  for (const topic of topics) {
    for (const message of await kcatConsume({ brokers, topic, untilEnd: true, timeoutMs: 60_000 })) {
      messages += 1;
      try {
        const value = JSON.parse(message.value) as { id?: unknown; pad?: unknown };
        if (typeof value.id !== 'string' || typeof value.pad !== 'string' || !/^x*$/.test(value.pad)) {
          malformed += 1;
          continue;
        }
        counts.set(value.id, (counts.get(value.id) ?? 0) + 1);
      } catch {
        malformed += 1;
      }
    }
  }
  let duplicates = 0;
  for (const count of counts.values()) if (count > 1) duplicates += 1;
  return { found: new Set(counts.keys()), messages, duplicates, malformed };
}

/** Ids the load saw acknowledged (200 or 202) that the read-back did not find. */
export function notFound(stats: LoadStats, read: Readback): string[] {
  return stats.acknowledged.filter((id) => !read.found.has(id));
}

/** A sample of a Prometheus text exposition: `name{labels}` (labels as written) → value. */
export function metricValue(text: string, name: string, labels = ''): number {
  const prefix = labels === '' ? `${name} ` : `${name}{${labels}} `;
  const line = text.split('\n').find((candidate) => candidate.startsWith(prefix));
  return line === undefined ? 0 : Number(line.slice(prefix.length).trim().split(' ')[0]);
}

/** Sum of every sample of `name` whose labels contain `match` (e.g. 'status="429"'). */
export function metricSum(text: string, name: string, match = ''): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (match !== '' && !line.includes(match)) continue;
    sum += Number(line.trim().split(' ').at(-1));
  }
  return sum;
}

export async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5_000) });
  return response.text();
}

export interface PendingSampler {
  /** Stops sampling; resolves the highest value seen. */
  stop(): Promise<number>;
}

/** Scrapes `producer`'s sluice_pending_bytes every `intervalMs` until stopped, keeping the highest. */
export function samplePendingBytes(url: string, producer: string, intervalMs: number): PendingSampler {
  let max = 0;
  let sampling = true;
  const loop = (async () => {
    while (sampling) {
      const text = await scrape(url).catch(() => '');
      max = Math.max(max, metricValue(text, 'sluice_pending_bytes', `producer="${producer}"`));
      await sleep(intervalMs);
    }
  })();
  return {
    async stop() {
      sampling = false;
      await loop;
      return max;
    },
  };
}

export interface ChildGateway {
  readonly process: GatewayProcess;
  readonly url: string;
  readonly configFile: string;
  /** Peak RSS sampled every 50 ms since start (and the kernel's own VmHWM at the last read). */
  peakRssBytes(): Promise<number>;
  /** RSS once the gateway was ready. */
  readonly startRssBytes: number;
  stop(graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `node gateway/main.ts` with `yaml` as its config; resolves once it listens and connected. */
export async function startChildGateway(yaml: string): Promise<ChildGateway> {
  const dir = await mkdtemp(join(tmpdir(), 'sluice-faults-'));
  const configFile = join(dir, 'gateway.yaml');
  await writeFile(configFile, yaml);
  const child = await startGatewayProcess({
    mainFile: join(ROOT, 'gateway/main.ts'),
    configFile,
    cwd: ROOT,
    gatewayArgs: ['--no-watch'],
  });
  const start = await readProcessMemory(child.pid);
  let peak = start?.rssBytes ?? 0;
  const sampler = setInterval(() => {
    void readProcessMemory(child.pid).then((memory) => {
      if (memory) peak = Math.max(peak, memory.rssBytes, memory.peakRssBytes);
    });
  }, 50);
  sampler.unref();
  return {
    process: child,
    url: child.url,
    configFile,
    startRssBytes: start?.rssBytes ?? 0,
    async peakRssBytes() {
      const memory = await readProcessMemory(child.pid);
      if (memory) peak = Math.max(peak, memory.rssBytes, memory.peakRssBytes);
      return peak;
    },
    async stop(graceMs = 30_000) {
      clearInterval(sampler);
      try {
        return await child.stop(graceMs);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  };
}

export const mib = (bytes: number) => Math.round((bytes / MiB) * 10) / 10;
