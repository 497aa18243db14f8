import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ensureDebianTool, runCommand, sleep, tail } from './system-tools.ts';

/**
 * Path of kcat, the librdkafka command-line client. Tests read messages back with it so
 * what the gateway wrote is checked by a client other than the one that produced it.
 */
export function ensureKcat(): Promise<string> {
  return ensureDebianTool({
    command: 'kcat',
    pkg: 'kcat',
    purpose: 'to read messages back from Kafka in the integration tests and as the benchmark reference',
  });
}

export interface KcatMessage {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  /** The payload; '' for a null payload (see `valueIsNull`). */
  value: string;
  valueIsNull: boolean;
  headers: Array<{ key: string; value: string | null }>;
  /** Milliseconds since the epoch. */
  timestamp: number;
  /** 'create' or 'logappend' (broker time); kcat's `tstype`. */
  timestampType: string;
}

export interface KcatConsumeOptions {
  brokers: string;
  topic: string;
  /**
   * Messages to wait for. Without `untilEnd`, kcat runs until this many arrived (across all
   * partitions) and the call fails if they do not within `timeoutMs`: the way to wait for
   * something asynchronous, like a gateway's delivery. Left out, everything currently in the
   * topic is read.
   */
  count?: number;
  /** Stop at the current end of every partition (`-e`) even if fewer than `count` were read. */
  untilEnd?: boolean;
  /** Bound on the whole call, including waiting for the topic to exist. Default 15 s. */
  timeoutMs?: number;
  partition?: number;
  /** Where to start; default 'beginning'. A number is an absolute offset. */
  offset?: 'beginning' | 'end' | 'stored' | number;
  /** librdkafka properties (`-X key=value`). */
  properties?: Record<string, string>;
}

/**
 * Reads messages with kcat as a plain (group-less) librdkafka consumer. Order is per
 * partition, not global. A topic that does not exist yet is waited for until the timeout.
 */
export async function kcatConsume(options: KcatConsumeOptions): Promise<KcatMessage[]> {
  const kcat = await ensureKcat();
  const timeoutMs = options.timeoutMs ?? 15_000;
  const deadline = Date.now() + timeoutMs;
  const untilEnd = options.untilEnd ?? options.count === undefined;
  const args = ['-C', '-q', '-J', '-b', options.brokers, '-t', options.topic];
  args.push('-o', String(options.offset ?? 'beginning'));
  if (options.partition !== undefined) args.push('-p', String(options.partition));
  if (options.count !== undefined) args.push('-c', String(options.count));
  if (untilEnd) args.push('-e');
  for (const [key, value] of Object.entries(options.properties ?? {})) args.push('-X', `${key}=${value}`);

  for (;;) {
    const run = await runCommand(kcat, args, { timeoutMs: Math.max(1, deadline - Date.now()) });
    const messages = parseJsonEnvelopes(run.stdout);
    if (run.timedOut) {
      throw new Error(
        `kcat read ${messages.length} of ${options.count ?? 'all'} messages from ${options.topic} ` +
          `within ${timeoutMs} ms${run.stderr ? `:\n${tail(run.stderr, 10)}` : ''}`,
      );
    }
    if (run.code === 0) return messages;
    // Auto-created topics (and ones created by the code under test) may appear a moment late.
    if (/Unknown topic or partition/i.test(run.stderr) && Date.now() + 250 < deadline) {
      await sleep(250);
      continue;
    }
    throw new Error(`kcat -C ${options.topic} failed (exit ${run.code}):\n${tail(run.stderr, 20)}`);
  }
}

export type KcatCompression = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

export interface KcatProduceOptions {
  brokers: string;
  topic: string;
  /** One message per line; a line must not contain '\n' (kcat's message delimiter). */
  lines: Iterable<string>;
  compression?: KcatCompression;
  /** Split each line at the first occurrence into key and value (`-K`). */
  keyDelimiter?: string;
  partition?: number;
  /** Headers put on every message (`-H`). */
  headers?: Record<string, string>;
  /** librdkafka properties (`-X key=value`), e.g. linger.ms or batch.size for a benchmark. */
  properties?: Record<string, string>;
  /** Default 60 s. */
  timeoutMs?: number;
}

export interface KcatProduceResult {
  messages: number;
  /** Bytes written to kcat's stdin, delimiters included. */
  bytes: number;
  /** From spawn until kcat exited, i.e. until every message was acknowledged. */
  durationMs: number;
}

/**
 * Produces lines with `kcat -P`, which exits only after librdkafka flushed and had every
 * message acknowledged (acks=all by default), so on success the messages are in the log.
 */
export async function kcatProduce(options: KcatProduceOptions): Promise<KcatProduceResult> {
  const kcat = await ensureKcat();
  const timeoutMs = options.timeoutMs ?? 60_000;
  const args = ['-P', '-b', options.brokers, '-t', options.topic, '-z', options.compression ?? 'none'];
  if (options.keyDelimiter !== undefined) args.push('-K', options.keyDelimiter);
  if (options.partition !== undefined) args.push('-p', String(options.partition));
  for (const [key, value] of Object.entries(options.headers ?? {})) args.push('-H', `${key}=${value}`);
  for (const [key, value] of Object.entries(options.properties ?? {})) args.push('-X', `${key}=${value}`);

  const started = Date.now();
  const child = spawn(kcat, args, { stdio: ['pipe', 'ignore', 'pipe'] });
  const stderr: Buffer[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk));
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill('SIGKILL');
  }, timeoutMs);
  const closed = once(child, 'close') as Promise<[number | null, NodeJS.Signals | null]>;
  // kcat dying early makes our writes fail with EPIPE; its exit code and stderr tell why.
  child.stdin.on('error', () => undefined);

  let messages = 0;
  let bytes = 0;
  let chunk = '';
  const flush = async () => {
    if (chunk === '' || child.stdin.destroyed) return;
    bytes += Buffer.byteLength(chunk);
    const ok = child.stdin.write(chunk);
    chunk = '';
    if (!ok) await Promise.race([once(child.stdin, 'drain'), closed]);
  };
  try {
    for (const line of options.lines) {
      chunk += `${line}\n`;
      messages += 1;
      if (chunk.length >= 64 * 1024) await flush();
    }
    await flush();
    child.stdin.end();
    const [code, signal] = await closed;
    const durationMs = Date.now() - started;
    if (timedOut) throw new Error(`kcat -P ${options.topic} did not finish within ${timeoutMs} ms`);
    if (code !== 0) {
      throw new Error(
        `kcat -P ${options.topic} failed (exit ${code ?? signal}):\n` +
          tail(Buffer.concat(stderr).toString('utf8'), 20),
      );
    }
    return { messages, bytes, durationMs };
  } finally {
    clearTimeout(timer);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

interface KcatEnvelope {
  topic: string;
  partition: number;
  offset: number;
  tstype?: string;
  ts?: number;
  headers?: Array<string | null>;
  key: string | null;
  payload: string | null;
}

function parseJsonEnvelopes(stdout: string): KcatMessage[] {
  const messages: KcatMessage[] = [];
  for (const line of stdout.split('\n')) {
    if (line.trim() === '') continue;
    let envelope: KcatEnvelope;
    try {
      envelope = JSON.parse(line) as KcatEnvelope;
    } catch {
      // A line cut off by a timeout kill; everything before it is complete.
      continue;
    }
    if (!('payload' in envelope)) continue;
    const headers: KcatMessage['headers'] = [];
    const flat = envelope.headers ?? [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      headers.push({ key: flat[i] ?? '', value: flat[i + 1] ?? null });
    }
    messages.push({
      topic: envelope.topic,
      partition: envelope.partition,
      offset: envelope.offset,
      key: envelope.key,
      value: envelope.payload ?? '',
      valueIsNull: envelope.payload === null,
      headers,
      timestamp: envelope.ts ?? -1,
      timestampType: envelope.tstype ?? 'unknown',
    });
  }
  return messages;
}
