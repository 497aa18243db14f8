import { isUtf8 } from 'node:buffer';
import { collectMessages } from '../gateway/ingest/collect-messages.ts';
import { forEachLine } from '../gateway/ingest/split-lines.ts';
import { decodeJsonObject, type LineDecoder } from '../gateway/pipeline/decode-line.ts';
import type { CompiledPipeline, LineContext } from '../gateway/pipeline/line-outcome.ts';
import { BatchingProducer, MESSAGE_OVERHEAD_BYTES } from '../gateway/producers/batching-producer.ts';
import type { OutboundMessage, ProducerEngine } from '../gateway/producers/producer-engine.ts';

// The gateway's own per-line stages, measured in this process on the same request bodies the
// load generator posts: CPU microseconds per line of each stage, each as the difference of
// two loops that differ by that stage only. In-process and without load, so they are stable
// where throughput on a shared machine is not. HTTP (and body reading) comes from the floor
// server and the engine from its own measurement; see gateway-vs-kcat.ts.

export interface StageCosts {
  /** Finding line boundaries (and the view per line). */
  readonly split: number;
  /** UTF-8 check and the pipeline's decoder: JSON.parse into an object, or the read-only scan. */
  readonly decode: number;
  /** Constraint and executers (the compiled pipeline minus its decode and serialize). */
  readonly pipeline: number;
  /** JSON.stringify and the Buffer of a changed record; 0 when the original bytes are forwarded. */
  readonly serialize: number;
  /** Tally, grouping by topic, admission and batching until the engine is called. */
  readonly handOff: number;
}

export interface StageInput {
  readonly bodies: readonly Buffer[];
  readonly pipeline: CompiledPipeline;
  /** The decoder `pipeline` runs first (compileRepo's `decode`); JSON.parse when not given. */
  readonly decode?: LineDecoder;
  readonly context: LineContext;
  readonly maxLineBytes: number;
  readonly batch: { maxMessages: number; maxBytes: number; lingerMs: number };
  /** CPU time per measured loop; more is steadier. */
  readonly minMs?: number;
  readonly repetitions?: number;
}

const cpuMicros = (): number => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

/** CPU µs per line of `pass` (one pass over all bodies), the median of `repetitions` timed loops. */
async function perLine(
  lines: number,
  minMs: number,
  repetitions: number,
  pass: () => void | Promise<void>,
): Promise<number> {
  const samples: number[] = [];
  for (let r = 0; r < repetitions; r++) {
    let passes = 0;
    const start = cpuMicros();
    let elapsed = 0;
    do {
      await pass();
      passes += 1;
      elapsed = cpuMicros() - start;
    } while (elapsed < minMs * 1000);
    samples.push(elapsed / (passes * lines));
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)] as number;
}

/** An engine that acknowledges at once: what is left is the gateway's batching work. */
const instantEngine: ProducerEngine = {
  connect: async () => undefined,
  send: async () => undefined,
  close: async () => undefined,
};

export async function measureStageCosts(input: StageInput): Promise<StageCosts> {
  const { bodies, pipeline, context, maxLineBytes } = input;
  const decodeLine = input.decode ?? decodeJsonObject;
  const minMs = input.minMs ?? 300;
  const repetitions = input.repetitions ?? 5;
  let lines = 0;
  for (const body of bodies) {
    const result = forEachLine(body, maxLineBytes, () => undefined);
    if (result.ok) lines += result.lines;
  }
  // What the pipeline outputs, decoded once outside any timed loop: serialize's input.
  const changed: unknown[] = [];
  for (const body of bodies) {
    forEachLine(body, maxLineBytes, (line) => {
      const outcome = pipeline(line, context);
      if (outcome.kind === 'accepted' && outcome.value.buffer !== body.buffer) {
        changed.push(JSON.parse(outcome.value.toString('utf8')));
      }
    });
  }
  let sink = 0;
  const keep = (value: number) => {
    sink = (sink + value) | 0;
  };
  const split = () => {
    for (const body of bodies) forEachLine(body, maxLineBytes, (line) => keep(line.length));
  };
  // As the gateway does: one UTF-8 check per body (collect-messages.ts), counted in decode.
  const decode = () => {
    for (const body of bodies) {
      const utf8 = isUtf8(body);
      forEachLine(body, maxLineBytes, (line) => keep(decodeLine(line, utf8) ? 1 : 0));
    }
  };
  const run = () => {
    for (const body of bodies) {
      const utf8 = isUtf8(body);
      forEachLine(body, maxLineBytes, (line) => keep(pipeline(line, context, utf8).kind.length));
    }
  };
  const serialize = () => {
    for (const record of changed) keep(Buffer.from(JSON.stringify(record)).length);
  };
  const producer = new BatchingProducer({
    engine: instantEngine,
    batch: input.batch,
    maxPendingBytes: Number.MAX_SAFE_INTEGER,
    messageOverheadBytes: MESSAGE_OVERHEAD_BYTES,
    classifyError: () => 'unknown',
    observer: { batchSettled: () => undefined, pendingBytesChanged: () => undefined },
  });
  await producer.connect();
  const handOff = async () => {
    const deliveries: Promise<void>[] = [];
    for (const body of bodies) {
      const collected = collectMessages(body, pipeline, context, maxLineBytes, 10, producer);
      collected.tally.summary();
      const submitted = producer.submit(collected.groups, collected.cost);
      if (submitted.ok) deliveries.push(submitted.delivery);
    }
    await producer.flush();
    await Promise.all(deliveries);
  };
  const splitUs = await perLine(lines, minMs, repetitions, split);
  const decodeUs = await perLine(lines, minMs, repetitions, decode);
  const runUs = await perLine(lines, minMs, repetitions, run);
  const serializeUs = changed.length === 0 ? 0 : await perLine(lines, minMs, repetitions, serialize);
  const handOffUs = await perLine(lines, minMs, repetitions, handOff);
  await producer.close();
  // Read once so no loop above is dead code to the optimiser.
  if (sink === 0.5) process.stderr.write('');
  const positive = (value: number) => Math.max(0, value);
  return {
    split: splitUs,
    decode: positive(decodeUs - splitUs),
    pipeline: positive(runUs - decodeUs - serializeUs),
    serialize: serializeUs,
    handOff: positive(handOffUs - runUs),
  };
}

/** Messages as the pipeline outputs them, for measuring an engine on its own. */
export function pipelineMessages(
  bodies: readonly Buffer[],
  pipeline: CompiledPipeline,
  context: LineContext,
  maxLineBytes: number,
): { topic: string; message: OutboundMessage }[] {
  const out: { topic: string; message: OutboundMessage }[] = [];
  for (const body of bodies) {
    forEachLine(body, maxLineBytes, (line) => {
      const outcome = pipeline(line, context);
      if (outcome.kind === 'accepted') out.push({ topic: outcome.topic, message: outcome });
    });
  }
  return out;
}
