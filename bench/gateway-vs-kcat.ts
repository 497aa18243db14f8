// `npm run bench`: the gateway, as a separate process in sync mode with lz4 and acks=all, under
// closed-loop load of CDN access-log JSONL, then open-loop load at half its peak rate; and, as
// the reference, the same lines pushed with `kcat -P -z lz4 -X acks=all` to the same broker.
// Prints one table (each run and the median) on stdout; progress goes to stderr. With
// --matrix quick|full, one row per engine × compression × mode × pipeline cell instead, each
// against kcat with that compression, written into docs/benchmarks/ as well.
// Usage: npm run bench -- [--duration S] [--connections N] [--runs N] … (--help lists them)

import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { Pool } from 'undici';
import { stringify } from 'yaml';
import { parseConfigText } from '../gateway/config/parse-config.ts';
import { createEngine } from '../gateway/producers/create-engine.ts';
import type { KafkaProducerConfig } from '../kernel/config-schema.ts';
import {
  createTopic,
  deleteTopic,
  uniqueTopicName,
  waitForKafka,
  withKafkaAdmin,
} from '../test/infra/kafka-admin.ts';
import {
  ensureKafkaDistribution,
  type KafkaBrokerHandle,
  kafkaVersion,
  startKafkaBroker,
} from '../test/infra/kafka-broker.ts';
import { ensureKcat, type KcatCompression, kcatProduce } from '../test/infra/kcat.ts';
import { generateAccessLogLines } from './access-log-data.ts';
import { BENCH_ENGINES, BENCH_USAGE, type BenchOptions, parseBenchArgs } from './bench-args.ts';
import { cellLabel, expandMatrix, type MatrixCell, typicalPipeline } from './bench-matrix.ts';
import { benchBodies, benchContext, benchRepoPipeline, DISTINCT_BODIES } from './bench-repo.ts';
import { type RunFigures, renderReport } from './bench-report.ts';
import { summarizeLatencies } from './bench-stats.ts';
import { measureEngineCost } from './engine-cost.ts';
import { type GatewayProcess, startGatewayProcess } from './gateway-process.ts';
import { envText, gatewayCommandLine, type ImageRuntime, parseImageRuntime } from './image-runtime.ts';
import {
  type IngestTarget,
  type PhaseTally,
  type RequestBody,
  runClosedLoop,
  runOpenLoop,
} from './load-generator.ts';
import { type CellFigures, medianFigures, renderMatrixMarkdown, spliceSection } from './matrix-report.ts';
import { sumSamples } from './metric-samples.ts';
import {
  parseCpuModel,
  readChildPids,
  readProcessCpuSeconds,
  readProcessMemory,
  readSystemCpuSeconds,
} from './proc-stats.ts';
import { measureStageCosts, pipelineMessages, type StageCosts } from './stage-costs.ts';
import { renderThroughputSvg } from './throughput-svg.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const GATEWAY_MAIN = join(ROOT, 'gateway', 'main.ts');
const FLOOR_MAIN = join(ROOT, 'bench', 'http-floor.ts');
const DATA_SEED = 1;
const MiB = 1024 * 1024;
const REPO = 'access';

const progress = (line: string) => process.stderr.write(`[bench] ${line}\n`);

// Everything started is registered here and undone in reverse order, on success, on error and
// on Ctrl-C alike.
const cleanups: Array<() => Promise<unknown> | unknown> = [];
const liveGateways = new Set<GatewayProcess>();
let cleaning: Promise<void> | undefined;
const abort = new AbortController();
/** Set when a signal or the time bound ended the run; the process exits with it. */
let interruptedExitCode: number | undefined;

function cleanupAll(): Promise<void> {
  cleaning ??= (async () => {
    for (let step = cleanups.pop(); step !== undefined; step = cleanups.pop()) {
      try {
        await step();
      } catch (error) {
        progress(`cleanup step failed: ${(error as Error).message}`);
      }
    }
  })();
  return cleaning;
}

function installInterruptHandlers(budgetMs: number): void {
  let interrupted = false;
  const bail = (why: string, code: number) => {
    if (interrupted) {
      for (const gateway of liveGateways) gateway.killNow();
      process.exit(code);
    }
    interrupted = true;
    interruptedExitCode = code;
    abort.abort();
    progress(`${why}; cleaning up`);
    void cleanupAll().finally(() => process.exit(code));
  };
  process.on('SIGINT', () => bail('interrupted', 130));
  process.on('SIGTERM', () => bail('terminated', 143));
  // No run may outlast its budget, whatever hangs.
  setTimeout(() => bail(`time bound of ${Math.round(budgetMs / 1000)} s exceeded`, 1), budgetMs).unref();
  process.once('exit', () => {
    for (const gateway of liveGateways) gateway.killNow();
  });
}

interface Broker {
  brokers: string;
  /** Topics on an existing cluster are deleted afterwards; a local broker goes away with its data. */
  external: boolean;
  description: string;
  pid: () => number | undefined;
  /** The local broker's log.dirs, where topic sizes on disk are read; undefined for a cluster. */
  dataDir: string | undefined;
}

async function provideBroker(): Promise<Broker> {
  const external = process.env.KAFKA_BROKERS?.trim();
  if (external) {
    await waitForKafka(external, 30_000);
    return {
      brokers: external,
      external: true,
      description: `existing cluster KAFKA_BROKERS=${external} (version not probed; broker CPU not measured)`,
      pid: () => undefined,
      dataDir: undefined,
    };
  }
  const libsDir = await ensureKafkaDistribution({ log: progress });
  progress('starting a local Kafka broker');
  const broker: KafkaBrokerHandle = await startKafkaBroker({ libsDir });
  cleanups.push(() => broker.stop());
  return {
    brokers: broker.brokers,
    external: false,
    description: `Apache Kafka ${await kafkaVersion()}, local single-node KRaft broker on loopback (JVM heap 512 MB)`,
    pid: () => broker.pid,
    dataDir: broker.dataDir,
  };
}

function* cycle(lines: readonly string[], count: number): Generator<string> {
  for (let i = 0; i < count; i++) yield lines[i % lines.length] ?? '';
}

async function topicMessageCount(brokers: string, topic: string): Promise<number> {
  const offsets = await withKafkaAdmin(brokers, (admin) => admin.fetchTopicOffsets(topic));
  return offsets.reduce((sum, p) => sum + Number(p.high) - Number(p.low), 0);
}

async function scrapeMetrics(pool: Pool): Promise<string> {
  const response = await pool.request({ path: '/metrics', method: 'GET' });
  return response.body.text();
}

/** What the single-run mode measures, as a matrix cell. */
const singleCell = (options: BenchOptions): MatrixCell => ({
  engine: options.engine,
  compression: 'lz4',
  mode: 'sync',
  pipeline: 'pass-through',
});

/**
 * Bytes of a topic's log segments in the broker's data dir: the record batches as the
 * producer compressed them (plus Kafka's per-batch framing). NaN without a local broker.
 */
async function topicBytesOnDisk(broker: Broker, topic: string): Promise<number> {
  if (broker.dataDir === undefined) return Number.NaN;
  const dataDir = broker.dataDir;
  let total = 0;
  for (const dir of await readdir(dataDir)) {
    if (!dir.startsWith(`${topic}-`) || !/^\d+$/.test(dir.slice(topic.length + 1))) continue;
    for (const file of await readdir(join(dataDir, dir))) {
      if (file.endsWith('.log')) total += (await stat(join(dataDir, dir, file))).size;
    }
  }
  return total;
}

function gatewayConfig(
  options: BenchOptions,
  brokers: string,
  topic: string,
  cell: MatrixCell,
  errorTopic: string,
): string {
  const pipeline = cell.pipeline === 'typical' ? typicalPipeline(errorTopic) : {};
  return stringify({
    revision: 'bench',
    server: { host: '127.0.0.1', port: 0 },
    producers: {
      kafka: {
        type: 'kafka',
        engine: cell.engine,
        brokers: brokers.split(',').map((b) => b.trim()),
        clientId: 'sluice-bench',
        compression: cell.compression,
        acks: 'all',
        batch: { maxMessages: options.maxMessages, maxBytes: options.maxBytes, lingerMs: options.lingerMs },
      },
    },
    repos: { [REPO]: { producer: 'kafka', topic, mode: cell.mode, ...pipeline } },
  });
}

interface CpuSnapshot {
  gateway: number;
  gatewayMainThread: number;
  broker: number;
  self: number;
  systemBusy: number;
  at: number;
}

/** The gateway and, with --workers, its workers: CPU seconds and RSS summed over them. */
async function gatewayPids(pid: number): Promise<number[]> {
  return [pid, ...(await readChildPids(pid))];
}

async function sumOver(pids: readonly number[], read: (pid: number) => Promise<number | null>) {
  const values = await Promise.all(pids.map(read));
  return values.every((v) => v === null) ? null : values.reduce<number>((sum, v) => sum + (v ?? 0), 0);
}

async function treeMemory(pid: number): Promise<{ rssBytes: number; peakRssBytes: number } | null> {
  const memories = await Promise.all((await gatewayPids(pid)).map(readProcessMemory));
  const known = memories.filter((m) => m !== null);
  if (known.length === 0) return null;
  return {
    rssBytes: known.reduce((sum, m) => sum + m.rssBytes, 0),
    peakRssBytes: known.reduce((sum, m) => sum + m.peakRssBytes, 0),
  };
}

async function cpuSnapshot(gatewayPid: number, brokerPid: number | undefined): Promise<CpuSnapshot> {
  const pids = await gatewayPids(gatewayPid);
  const [gateway, gatewayMainThread, broker, system] = await Promise.all([
    sumOver(pids, (pid) => readProcessCpuSeconds(pid)),
    sumOver(pids, (pid) => readProcessCpuSeconds(pid, true)),
    brokerPid === undefined ? Promise.resolve(null) : readProcessCpuSeconds(brokerPid),
    readSystemCpuSeconds(),
  ]);
  const self = process.cpuUsage();
  return {
    gateway: gateway ?? Number.NaN,
    gatewayMainThread: gatewayMainThread ?? Number.NaN,
    broker: broker ?? Number.NaN,
    self: (self.user + self.system) / 1e6,
    systemBusy: system?.busy ?? Number.NaN,
    at: performance.now(),
  };
}

function failureCount(tally: PhaseTally): number {
  return Object.values(tally.failures).reduce((a, b) => a + b, 0);
}

interface KcatFigures {
  lines: number;
  linesPerS: number;
  mbPerS: number;
  topicMessages: number;
  /** Topic bytes on disk / bytes fed to kcat. */
  wireRatio: number;
}

/** The reference: `kcat -P -z COMPRESSION -X acks=all` with `count` of the same lines. */
async function measureKcat(
  broker: Broker,
  lines: readonly string[],
  count: number,
  compression: KcatCompression,
  options: BenchOptions,
  label: string,
): Promise<KcatFigures> {
  const kcatTopic = uniqueTopicName(`bench-kcat-${label.replace(/[^a-zA-Z0-9._-]/g, '-')}`);
  await createTopic(broker.brokers, kcatTopic, options.partitions);
  if (broker.external) cleanups.push(() => deleteTopic(broker.brokers, kcatTopic));
  progress(`${label}: kcat -P -z ${compression} -X acks=all, ${count} lines`);
  const kcat = await kcatProduce({
    brokers: broker.brokers,
    topic: kcatTopic,
    lines: cycle(lines, count),
    compression,
    properties: { acks: 'all' },
    timeoutMs: 600_000,
  });
  const kcatSeconds = kcat.durationMs / 1000;
  return {
    lines: kcat.messages,
    linesPerS: kcat.messages / kcatSeconds,
    mbPerS: kcat.bytes / kcatSeconds / 1e6,
    topicMessages: await topicMessageCount(broker.brokers, kcatTopic),
    wireRatio: (await topicBytesOnDisk(broker, kcatTopic)) / kcat.bytes,
  };
}

interface CellRun {
  figures: RunFigures;
  /** JSONL bytes of every request accepted in all phases. */
  receivedBytes: number;
  wireBytes: number;
  /** After the gateway drained: messages in its topics ≥ lines acknowledged in all phases. */
  lossFree: boolean;
}

/** What every run of one `npm run bench` invocation shares. */
interface BenchSession {
  readonly options: BenchOptions;
  readonly broker: Broker;
  readonly lines: readonly string[];
  readonly bodies: readonly RequestBody[];
  readonly workDir: string;
  readonly nodeArgs: readonly string[];
  /** How the image runs the gateway (Dockerfile): the bench runs it the same way. */
  readonly image: ImageRuntime;
  /** Per pipeline kind, measured once per invocation (in-process, no load). */
  readonly stageCosts: Map<string, StageCosts>;
  /** Per engine × compression × pipeline, measured once per invocation. */
  readonly engineCosts: Map<string, number>;
}

interface FloorFigures {
  linesPerS: number;
  cpuUsPerLine: number;
}

/**
 * The HTTP floor (bench/http-floor.ts) under the same closed loop as the gateway, run the
 * way the image runs Node (its environment, NODE_OPTIONS among it): lines/s and CPU µs per line of HTTP alone.
 */
async function measureFloor(session: BenchSession, label: string): Promise<FloorFigures> {
  const { options, bodies, image } = session;
  progress(`${label}: HTTP floor, ${options.durationS} s closed loop`);
  const floor = await startGatewayProcess({
    mainFile: FLOOR_MAIN,
    configFile: '',
    command: [FLOOR_MAIN, '--lines', String(options.linesPerRequest)],
    env: image.env,
    cwd: ROOT,
  });
  liveGateways.add(floor);
  cleanups.push(() => floor.stop(5_000));
  const pool = new Pool(floor.url, {
    connections: options.connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
  });
  cleanups.push(() => pool.destroy());
  const target: IngestTarget = { pool, path: `/log/repo/${REPO}`, bodies };
  await runClosedLoop(target, { concurrency: options.connections, durationMs: 1_000, signal: abort.signal });
  const before = await readProcessCpuSeconds(floor.pid);
  const tally = await runClosedLoop(target, {
    concurrency: options.connections,
    durationMs: options.durationS * 1000,
    signal: abort.signal,
  });
  const after = await readProcessCpuSeconds(floor.pid);
  await pool.close();
  await floor.stop();
  liveGateways.delete(floor);
  return {
    linesPerS: tally.linesAcked / (tally.elapsedMs / 1000),
    cpuUsPerLine: (((after ?? Number.NaN) - (before ?? Number.NaN)) / tally.linesAcked) * 1e6,
  };
}

/** The image's command line, its script taken from dist/ when the image runs compiled sources. */
function imageCommand(image: ImageRuntime, configFile: string): string[] {
  const [script = '', ...rest] = gatewayCommandLine(image, configFile);
  return [script.endsWith('.js') ? join(ROOT, 'dist', script) : join(ROOT, script), ...rest];
}

async function stageCostsOf(session: BenchSession, cell: MatrixCell): Promise<StageCosts> {
  const known = session.stageCosts.get(cell.pipeline);
  if (known) return known;
  progress(`stages of the ${cell.pipeline} pipeline (in-process)`);
  const { pipeline, decode, maxLineBytes, batch } = benchRepoPipeline(cell.pipeline);
  const costs = await measureStageCosts({
    bodies: session.bodies.map((body) => body.data),
    pipeline,
    decode,
    context: benchContext,
    maxLineBytes,
    batch: { ...batch, maxMessages: session.options.maxMessages, maxBytes: session.options.maxBytes },
  });
  session.stageCosts.set(cell.pipeline, costs);
  return costs;
}

/** The cell's engine alone, delivering the cell's pipeline output to a topic of its own. */
async function engineCostOf(session: BenchSession, cell: MatrixCell, configText: string): Promise<number> {
  const key = `${cell.engine} ${cell.compression} ${cell.pipeline}`;
  const known = session.engineCosts.get(key);
  if (known !== undefined) return known;
  const parsed = parseConfigText(configText);
  if (!parsed.ok) throw new Error(`bench config invalid: ${JSON.stringify(parsed.issues)}`);
  const config = parsed.config.producers.kafka as KafkaProducerConfig;
  const topic = uniqueTopicName('bench-engine');
  await createTopic(session.broker.brokers, topic, session.options.partitions);
  if (session.broker.external) cleanups.push(() => deleteTopic(session.broker.brokers, topic));
  const { pipeline, maxLineBytes } = benchRepoPipeline(cell.pipeline);
  const messages = pipelineMessages(
    session.bodies.map((body) => body.data),
    pipeline,
    benchContext,
    maxLineBytes,
  ).map((entry) => entry.message);
  const { engine } = createEngine('bench', config, pino({ level: 'warn' }), {
    requestTimeoutMs: parsed.config.server.requestTimeoutMs,
  });
  progress(`${key}: the engine alone (in-process)`);
  await engine.connect();
  try {
    const cost = await measureEngineCost({
      engine,
      topic,
      messages,
      batchMessages: session.options.maxMessages,
      concurrency: 4,
      lines: 400_000,
    });
    session.engineCosts.set(key, cost.cpuUsPerLine);
    return cost.cpuUsPerLine;
  } finally {
    await engine.close();
  }
}

async function runOnce(
  run: number,
  session: BenchSession,
  cell: MatrixCell = singleCell(session.options),
  reference?: KcatFigures,
  floorReference?: FloorFigures,
): Promise<CellRun> {
  const { options, broker, lines, bodies, workDir, nodeArgs, image } = session;
  const gatewayTopic = uniqueTopicName(`bench-gateway-r${run}`);
  const errorTopic = uniqueTopicName(`bench-errors-r${run}`);
  const topics = cell.pipeline === 'typical' ? [gatewayTopic, errorTopic] : [gatewayTopic];
  for (const topic of topics) {
    await createTopic(broker.brokers, topic, options.partitions);
    if (broker.external) cleanups.push(() => deleteTopic(broker.brokers, topic));
  }
  const configFile = join(workDir, `gateway-run${run}.yaml`);
  const configText = gatewayConfig(options, broker.brokers, gatewayTopic, cell, errorTopic);
  await writeFile(configFile, configText);
  const topicMessages = async () => {
    let sum = 0;
    for (const topic of topics) sum += await topicMessageCount(broker.brokers, topic);
    return sum;
  };

  progress(`run ${run} (${cellLabel(cell)}): starting the gateway`);
  const gateway = await startGatewayProcess({
    mainFile: GATEWAY_MAIN,
    configFile,
    command: imageCommand(image, configFile),
    env: image.env,
    nodeArgs,
    cwd: ROOT,
    gatewayArgs: options.workers > 1 ? ['--workers', String(options.workers)] : [],
    expectedWorkers: options.workers,
  });
  liveGateways.add(gateway);
  cleanups.push(() => gateway.stop(5_000));
  const pool = new Pool(gateway.url, {
    connections: options.connections,
    pipelining: 1,
    keepAliveTimeout: 60_000,
    headersTimeout: 60_000,
    bodyTimeout: 60_000,
  });
  cleanups.push(() => pool.destroy());
  const target: IngestTarget = { pool, path: `/log/repo/${REPO}`, bodies };
  await new Promise((resolve) => setTimeout(resolve, 500));
  const idle = await treeMemory(gateway.pid);

  let warmLines = 0;
  let warmBytes = 0;
  if (options.warmupS > 0) {
    progress(`run ${run}: warm-up ${options.warmupS} s`);
    const warm = await runClosedLoop(target, {
      concurrency: options.connections,
      durationMs: options.warmupS * 1000,
      signal: abort.signal,
    });
    warmLines = warm.linesAcked;
    warmBytes = warm.bytesAcked;
    if (failureCount(warm) > 0) progress(`run ${run}: warm-up failures ${JSON.stringify(warm.failures)}`);
  }

  progress(`run ${run}: peak (closed loop, ${options.connections} connections) ${options.durationS} s`);
  const metricsBefore = await scrapeMetrics(pool);
  const cpuBefore = await cpuSnapshot(gateway.pid, broker.pid());
  const peak = await runClosedLoop(target, {
    concurrency: options.connections,
    durationMs: options.durationS * 1000,
    signal: abort.signal,
  });
  const cpuAfter = await cpuSnapshot(gateway.pid, broker.pid());
  const metricsAfter = await scrapeMetrics(pool);
  const peakSeconds = peak.elapsedMs / 1000;
  const peakLatency = summarizeLatencies(peak.latenciesMs);
  const peakLinesPerS = peak.linesAcked / peakSeconds;

  // Every line answered 200 so far must be in the topic (duplicates from retries may add more).
  const linesAckedBeforeCheck = warmLines + peak.linesAcked;
  const topicMessagesAtCheck = await topicMessages();
  progress(
    `run ${run}: ${Math.round(peakLinesPerS)} lines/s, p99 ${peakLatency.p99.toFixed(1)} ms; ` +
      `topic holds ${topicMessagesAtCheck} messages for ${linesAckedBeforeCheck} acknowledged lines`,
  );

  const halfTargetLinesPerS = peakLinesPerS / 2;
  let half: PhaseTally | undefined;
  if (options.halfRateS > 0 && halfTargetLinesPerS > 0) {
    progress(
      `run ${run}: open loop at ${Math.round(halfTargetLinesPerS)} lines/s for ${options.halfRateS} s`,
    );
    half = await runOpenLoop(target, {
      requestsPerSecond: halfTargetLinesPerS / options.linesPerRequest,
      durationMs: options.halfRateS * 1000,
      maxOutstanding: Math.max(1_000, options.connections * 100),
      signal: abort.signal,
    });
  }
  const halfLatency = summarizeLatencies(half?.latenciesMs ?? []);

  const finalMemory = await treeMemory(gateway.pid);
  await pool.close();
  const stopped = await gateway.stop();
  liveGateways.delete(gateway);
  if (stopped.code !== 0) progress(`run ${run}: the gateway exited with ${stopped.code ?? stopped.signal}`);
  // After the drain, async lines are delivered too: every acknowledged line must be there.
  const linesAckedTotal = linesAckedBeforeCheck + (half?.linesAcked ?? 0);
  const topicMessagesFinal = await topicMessages();
  let wireBytes = 0;
  for (const topic of topics) wireBytes += await topicBytesOnDisk(broker, topic);

  // The reference: as many lines as the gateway took at peak, at least one second's worth.
  const kcat =
    reference ??
    (await measureKcat(
      broker,
      lines,
      Math.max(peak.linesAcked, options.linesPerRequest * 100),
      cell.compression,
      options,
      `run ${run}`,
    ));

  const floor = floorReference ?? (await measureFloor(session, `run ${run}`));
  const stages = await stageCostsOf(session, cell);
  const engineUs = await engineCostOf(session, cell, configText);

  const elapsed = (cpuAfter.at - cpuBefore.at) / 1000;
  const gatewayCpuS = cpuAfter.gateway - cpuBefore.gateway;
  const brokerCpuS = cpuAfter.broker - cpuBefore.broker;
  const selfCpuS = cpuAfter.self - cpuBefore.self;
  const systemBusyS = cpuAfter.systemBusy - cpuBefore.systemBusy;
  const known = gatewayCpuS + (Number.isFinite(brokerCpuS) ? brokerCpuS : 0) + selfCpuS;
  const delta = (name: string) => sumSamples(metricsAfter, name) - sumSamples(metricsBefore, name);
  const batches = delta('sluice_batch_messages_count');

  const figures: RunFigures = {
    peakLinesPerS,
    peakMbPerS: peak.bytesAcked / peakSeconds / 1e6,
    peakP50Ms: peakLatency.p50,
    peakP99Ms: peakLatency.p99,
    peakMaxMs: peakLatency.max,
    peakRequests: peak.requests,
    peakFailures: peak.failures,
    halfTargetLinesPerS: half === undefined ? Number.NaN : halfTargetLinesPerS,
    halfLinesPerS: half === undefined ? Number.NaN : half.linesAcked / (half.elapsedMs / 1000),
    halfP50Ms: halfLatency.p50,
    halfP99Ms: halfLatency.p99,
    halfMaxMs: halfLatency.max,
    halfFailures: half?.failures ?? {},
    halfOverloaded: half?.overloaded ?? false,
    idleRssMb: (idle?.rssBytes ?? Number.NaN) / MiB,
    peakRssMb: (finalMemory?.peakRssBytes ?? Number.NaN) / MiB,
    gatewayCpuS,
    gatewayCpuCores: gatewayCpuS / elapsed,
    gatewayMainThreadCores: (cpuAfter.gatewayMainThread - cpuBefore.gatewayMainThread) / elapsed,
    cpuSPerMillionLines: (gatewayCpuS / peak.linesAcked) * 1e6,
    avgBatchMessages: batches > 0 ? delta('sluice_batch_messages_sum') / batches : Number.NaN,
    avgProduceMs:
      batches > 0
        ? (delta('sluice_produce_latency_seconds_sum') / delta('sluice_produce_latency_seconds_count')) * 1000
        : Number.NaN,
    heapTotalMb: sumSamples(metricsAfter, 'sluice_process_nodejs_heap_size_total_bytes') / MiB,
    externalMb: sumSamples(metricsAfter, 'sluice_process_nodejs_external_memory_bytes') / MiB,
    gatewayWarnings: gateway.logs.warnings,
    brokerCpuCores: brokerCpuS / elapsed,
    loadGeneratorCpuCores: selfCpuS / elapsed,
    otherCpuCores: Math.max(0, systemBusyS - known) / elapsed,
    kcatLines: kcat.lines,
    kcatLinesPerS: kcat.linesPerS,
    kcatMbPerS: kcat.mbPerS,
    ratio: peakLinesPerS / kcat.linesPerS,
    floorLinesPerS: floor.linesPerS,
    floorRatio: peakLinesPerS / floor.linesPerS,
    stages: {
      ...stages,
      http: floor.cpuUsPerLine,
      engine: engineUs,
      gateway: (gatewayCpuS / peak.linesAcked) * 1e6,
    },
    // Sync answers mean delivered: checked right after the peak. Async ones after the drain.
    linesAckedBeforeCheck: cell.mode === 'sync' ? linesAckedBeforeCheck : linesAckedTotal,
    topicMessagesAtCheck: cell.mode === 'sync' ? topicMessagesAtCheck : topicMessagesFinal,
    kcatTopicMessages: kcat.topicMessages,
  };
  return {
    figures,
    receivedBytes: warmBytes + peak.bytesAcked + (half?.bytesAcked ?? 0),
    wireBytes,
    lossFree:
      topicMessagesFinal >= linesAckedTotal && figures.topicMessagesAtCheck >= figures.linesAckedBeforeCheck,
  };
}

/** Lines per kcat reference in a matrix: a few seconds of kcat on this machine. */
const KCAT_REFERENCE_LINES = 400_000;
const DOCS_DIR = join(ROOT, 'docs', 'benchmarks');

function toCellFigures(cell: MatrixCell, result: CellRun, kcat: KcatFigures): CellFigures {
  const f = result.figures;
  const failures = (tally: Record<string, number>) => Object.values(tally).reduce((a, b) => a + b, 0);
  return {
    cell,
    linesPerS: f.peakLinesPerS,
    mbPerS: f.peakMbPerS,
    p50Ms: f.peakP50Ms,
    p99Ms: f.peakP99Ms,
    halfP99Ms: f.halfP99Ms,
    peakRssMb: f.peakRssMb,
    cpuSPerMillionLines: f.cpuSPerMillionLines,
    receivedBytes: result.receivedBytes,
    wireBytes: result.wireBytes,
    kcatLinesPerS: kcat.linesPerS,
    kcatWireRatio: kcat.wireRatio,
    floorLinesPerS: f.floorLinesPerS,
    stages: f.stages,
    failures: failures(f.peakFailures) + failures(f.halfFailures),
    lossFree: result.lossFree,
  };
}

/** Every cell of the matrix, each against the kcat reference of its compression. */
async function runMatrix(session: BenchSession): Promise<CellFigures[]> {
  const { options, broker, lines } = session;
  const cells = expandMatrix(options.matrix ?? 'quick', BENCH_ENGINES);
  const results: CellFigures[] = [];
  let reference: { compression: string; kcat: KcatFigures } | undefined;
  const floor = await measureFloor(session, 'floor');
  let run = 0;
  for (const [index, cell] of cells.entries()) {
    if (abort.signal.aborted) break;
    if (reference?.compression !== cell.compression) {
      const kcat = await measureKcat(
        broker,
        lines,
        KCAT_REFERENCE_LINES,
        cell.compression,
        options,
        `kcat-${cell.compression}`,
      );
      reference = { compression: cell.compression, kcat };
    }
    const repeats: CellFigures[] = [];
    for (let r = 0; r < options.runs && !abort.signal.aborted; r++) {
      run += 1;
      progress(`cell ${index + 1}/${cells.length}: ${cellLabel(cell)}`);
      const result = await runOnce(run, session, cell, reference.kcat, floor);
      repeats.push(toCellFigures(cell, result, reference.kcat));
    }
    if (repeats.length > 0) results.push(medianFigures(repeats));
  }
  return results;
}

/**
 * Puts the results into docs/benchmarks/README.md between this matrix kind's markers
 * (appended when absent) and writes its chart: throughput.svg for the full matrix,
 * throughput-quick.svg for the quick one.
 */
async function writeMatrixDocs(kind: string, markdown: string, cells: readonly CellFigures[]): Promise<void> {
  await mkdir(DOCS_DIR, { recursive: true });
  const readme = join(DOCS_DIR, 'README.md');
  const current = await readFile(readme, 'utf8').catch(() => '# Benchmarks\n');
  await writeFile(readme, spliceSection(current, `bench-matrix:${kind}`, markdown));
  const chart = kind === 'full' ? 'throughput.svg' : `throughput-${kind}.svg`;
  await writeFile(
    join(DOCS_DIR, chart),
    renderThroughputSvg(cells, `Gateway lines/s per cell (${kind} matrix)`),
  );
  progress(`wrote ${readme} and ${join(DOCS_DIR, chart)}`);
}

function firstLine(command: string, args: string[]): string {
  const out = spawnSync(command, args, { encoding: 'utf8', timeout: 5_000 });
  return (
    `${out.stdout ?? ''}`
      .split('\n')
      .find((line) => /version/i.test(line))
      ?.trim() ?? 'unknown'
  );
}

async function main(): Promise<number> {
  const parsed = parseBenchArgs(process.argv.slice(2));
  if (!parsed.ok) {
    process.stderr.write(`${parsed.message}\n${BENCH_USAGE}\n`);
    return 2;
  }
  if (parsed.help) {
    process.stdout.write(`${BENCH_USAGE}\n`);
    return 0;
  }
  const options = parsed.options;
  const perRunS = options.warmupS + options.durationS + options.halfRateS + 150;
  const cellCount = options.matrix === undefined ? 1 : expandMatrix(options.matrix, BENCH_ENGINES).length;
  installInterruptHandlers((300 + cellCount * options.runs * perRunS) * 1000);
  const nodeArgs = (process.env.SLUICE_BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');
  const loadBefore = loadavg();

  const kcatPath = await ensureKcat();
  const broker = await provideBroker();
  const workDir = await mkdtemp(join(tmpdir(), 'sluice-bench-'));
  cleanups.push(() => rm(workDir, { recursive: true, force: true }));

  const lines = generateAccessLogLines(DISTINCT_BODIES * options.linesPerRequest, DATA_SEED);
  const bodies = benchBodies(lines, options.linesPerRequest);
  const bodyBytes = bodies.reduce((sum, b) => sum + b.data.length, 0) / bodies.length;
  const lineBytes = lines.reduce((sum, l) => sum + Buffer.byteLength(l), 0) / lines.length;
  const dockerfile = await readFile(join(ROOT, 'Dockerfile'), 'utf8');
  const parsedImage = parseImageRuntime(dockerfile);
  if (!parsedImage.ok) throw new Error(`Dockerfile: ${parsedImage.message}`);
  const image = parsedImage.runtime;
  if (image.entrypoint[1]?.endsWith('.js')) {
    // The image runs the compiled JavaScript (Dockerfile's build stage): so does the bench.
    progress('compiling the runtime sources as the image does (tsconfig.build.json)');
    const build = spawnSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json'], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (build.status !== 0)
      throw new Error(`tsc -p tsconfig.build.json failed:\n${build.stdout}${build.stderr}`);
  }
  const session: BenchSession = {
    options,
    broker,
    lines,
    bodies,
    workDir,
    nodeArgs,
    image,
    stageCosts: new Map(),
    engineCosts: new Map(),
  };

  const cpuModel = parseCpuModel(await readFile('/proc/cpuinfo', 'utf8').catch(() => '')) ?? 'unknown CPU';
  const argv = process.argv.slice(2);
  const env = [
    process.env.KAFKA_BROKERS ? `KAFKA_BROKERS=${process.env.KAFKA_BROKERS}` : '',
    nodeArgs.length > 0 ? `SLUICE_BENCH_GATEWAY_NODE_ARGS="${nodeArgs.join(' ')}"` : '',
  ].filter((e) => e !== '');
  const command = [...env, 'npm run bench', ...(argv.length > 0 ? ['--', ...argv] : [])].join(' ');
  const load = (l: number[]) => l.map((v) => v.toFixed(2)).join(' ');
  const machine = (loadAfter: number[]) => [
    `${availableParallelism()} CPUs (${cpuModel}), ${(totalmem() / 1024 ** 3).toFixed(0)} GiB RAM, Linux ${release()}`,
    `Node ${process.version} for the gateway and the load generator`,
    broker.description,
    `kcat ${firstLine(kcatPath, ['-V'])}`,
    `load average (1/5/15 min) ${load(loadBefore)} before, ${load(loadAfter)} after`,
  ];

  if (options.matrix !== undefined) {
    const cells = await runMatrix(session);
    const markdown = renderMatrixMarkdown({
      title: `Matrix (${options.matrix}), ${new Date().toISOString().slice(0, 10)}`,
      command,
      machine: machine(loadavg()),
      settings: [
        `per cell: a fresh gateway process${options.workers > 1 ? ` with --workers ${options.workers}` : ''}, ` +
          `${options.warmupS} s warm-up, ${options.durationS} s closed loop (${options.connections} connections, ` +
          `${options.linesPerRequest} lines of ~${lineBytes.toFixed(0)} B per request, ${(bodyBytes / 1024).toFixed(1)} KiB), ` +
          `then ${options.halfRateS} s open loop at half that peak rate; ${options.runs} run(s) per cell, medians`,
        `gateway: run as the image runs it (Dockerfile): ${envText(image.env)} node ${gatewayCommandLine(image, 'FILE').join(' ')}`,
        `HTTP floor: bench/http-floor.ts (node:http, reads each body, answers 200), same environment, same load, ${options.durationS} s, once per matrix run`,
        `producer: acks all, batch maxMessages ${options.maxMessages}, maxBytes ${options.maxBytes}, lingerMs ${options.lingerMs}; ` +
          `topics ${options.partitions} partitions` +
          (nodeArgs.length > 0 ? `; gateway node flags ${nodeArgs.join(' ')}` : ''),
        'pipelines: pass-through = JSON decoder only (the original line bytes are forwarded); typical = ' +
          'key host, constraint status exists, splitter + assigner on edge, drop-if path, rename ua, remove referer, ' +
          'timestamp to epoch-ms, route 5xx to a second topic (bench/bench-matrix.ts)',
        `kcat: -P -z COMPRESSION -X acks=all with ${KCAT_REFERENCE_LINES.toLocaleString('en-US')} of the same lines, ` +
          "once per compression just before that compression's cells; its time includes process start",
        'wire / raw: bytes of the topic log segments on the broker after the gateway drained, over the JSONL bytes ' +
          'of the requests it accepted (typical rewrites lines, so its numerator is of different content)',
      ],
      notes: [
        `the gateway, the broker, the load generator and kcat share the same ${availableParallelism()} cores, ` +
          'with other users of the machine: compare ratios within one run rather than absolute figures.',
        'RSS is VmHWM in MiB, summed over the workers with --workers; CPU s per million lines is the gateway ' +
          "processes' CPU in the peak phase.",
      ],
      cells,
    });
    process.stdout.write(markdown);
    await writeMatrixDocs(options.matrix, markdown, cells);
    return cells.every((cell) => cell.lossFree) ? 0 : 1;
  }

  const runs: RunFigures[] = [];
  for (let run = 1; run <= options.runs && !abort.signal.aborted; run++) {
    runs.push((await runOnce(run, session)).figures);
  }
  const loadAfter = loadavg();

  const report = renderReport({
    command,
    machine: machine(loadAfter),
    settings: [
      `load: ${options.connections} keep-alive connections (undici), one request in flight each, ` +
        `${options.linesPerRequest} lines per request (${(bodyBytes / 1024).toFixed(1)} KiB), ` +
        `${options.warmupS} s warm-up + ${options.durationS} s closed loop, ` +
        `then ${options.halfRateS} s open loop at half the peak rate (latency from the scheduled send time)`,
      `data: ${lines.length} distinct access-log lines (seed ${DATA_SEED}, avg ${lineBytes.toFixed(0)} bytes) posted round-robin`,
      `gateway: separate process${options.workers > 1 ? ` with --workers ${options.workers} (figures summed over them)` : ''}, ` +
        `repo mode sync, kafka producer engine ${options.engine}, compression lz4, acks all, ` +
        `batch maxMessages ${options.maxMessages}, maxBytes ${options.maxBytes}, lingerMs ${options.lingerMs}` +
        (nodeArgs.length > 0 ? `, node flags ${nodeArgs.join(' ')}` : ''),
      `gateway command line as in the image (Dockerfile): ${envText(image.env)} node ${gatewayCommandLine(image, 'FILE').join(' ')}`,
      `HTTP floor: bench/http-floor.ts (node:http, reads each body, answers 200), same environment and load, ${options.durationS} s per run`,
      `kcat: -P -z lz4 -X acks=all, other librdkafka settings default; its time includes process start and the final flush`,
      `topics: ${options.partitions} partitions, replication factor 1, a fresh pair per run`,
    ],
    notes: [
      `the gateway, the broker, the load generator (this process) and kcat share the same ${availableParallelism()} cores; ` +
        'during the peak phase the load generator takes CPU the gateway could use (see its row). kcat runs after the ' +
        'gateway stopped, fed through a pipe by this process.',
      'MB/s counts uncompressed JSONL bytes (10^6 bytes); RSS is in MiB; "other processes" is machine CPU not used by ' +
        'the gateway, the broker or this process (other users of the machine).',
      'every non-200 answer, and every 200 that did not accept all lines, counts as a failure.',
    ],
    runs,
  });
  process.stdout.write(report);
  return runs.some((r) => r.topicMessagesAtCheck < r.linesAckedBeforeCheck) ? 1 : 0;
}

let exitCode = 1;
try {
  exitCode = await main();
} catch (error) {
  // After an interrupt, whatever was in flight fails as cleanup pulls things away; that is not news.
  if (!abort.signal.aborted) {
    process.stderr.write(
      `[bench] FAILED: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
  }
} finally {
  await cleanupAll();
}
process.exit(interruptedExitCode ?? exitCode);
