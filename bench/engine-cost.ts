import type { OutboundMessage, ProducerEngine } from '../gateway/producers/producer-engine.ts';

// The Kafka engine on its own: CPU microseconds per line to deliver the pipeline's output
// (batches as the gateway forms them, acknowledged by the broker), in this process with no
// HTTP and no pipeline running. Native engines spend it on their own threads; process CPU
// counts every thread, so all engines are measured alike.

export interface EngineCostOptions {
  readonly engine: ProducerEngine;
  readonly topic: string;
  readonly messages: readonly OutboundMessage[];
  readonly batchMessages: number;
  /** Batches in flight at once, as concurrent requests keep several lanes busy. */
  readonly concurrency: number;
  /** Lines to deliver in the measured pass (after one unmeasured warm-up pass). */
  readonly lines: number;
}

export interface EngineCost {
  readonly cpuUsPerLine: number;
  readonly linesPerS: number;
}

const cpuMicros = (): number => {
  const usage = process.cpuUsage();
  return usage.user + usage.system;
};

async function deliver(options: EngineCostOptions, lines: number): Promise<void> {
  const { engine, topic, messages, batchMessages } = options;
  let sent = 0;
  const worker = async () => {
    while (sent < lines) {
      const from = sent % messages.length;
      const count = Math.min(batchMessages, lines - sent, messages.length - from);
      sent += count;
      await engine.send(topic, messages.slice(from, from + count));
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
}

export async function measureEngineCost(options: EngineCostOptions): Promise<EngineCost> {
  await deliver(options, Math.min(options.lines, 20_000));
  const cpu = cpuMicros();
  const started = performance.now();
  await deliver(options, options.lines);
  const elapsedS = (performance.now() - started) / 1000;
  return { cpuUsPerLine: (cpuMicros() - cpu) / options.lines, linesPerS: options.lines / elapsedS };
}
