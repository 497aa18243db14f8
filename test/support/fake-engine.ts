import type { OutboundMessage, ProducerEngine } from '../../gateway/producers/producer-engine.ts';

export interface SentBatch {
  readonly topic: string;
  readonly messages: readonly OutboundMessage[];
  ack(): void;
  fail(error: Error): void;
}

export type FakeEngine = ProducerEngine & {
  readonly batches: SentBatch[];
  /** Acknowledge every batch as soon as it is sent (the default) or hold them for the test to settle. */
  autoAck: boolean;
  /** When set, connect() never resolves: the broker is unreachable. */
  hangOnConnect: boolean;
};

/** An in-memory engine that records batches; tests acknowledge or fail them at will. */
export function fakeEngine(options: { autoAck?: boolean; hangOnConnect?: boolean } = {}): FakeEngine {
  const batches: SentBatch[] = [];
  const engine: FakeEngine = {
    batches,
    autoAck: options.autoAck ?? false,
    hangOnConnect: options.hangOnConnect ?? false,
    connect: () => (engine.hangOnConnect ? new Promise<void>(() => undefined) : Promise.resolve()),
    close: async () => undefined,
    send: (topic, messages) =>
      new Promise<void>((resolve, reject) => {
        batches.push({ topic, messages, ack: resolve, fail: reject });
        if (engine.autoAck) resolve();
      }),
  };
  return engine;
}
