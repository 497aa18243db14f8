import type { BatchConfig } from '../../kernel/config-schema.ts';
import { admitPending, isBatchFull, mustFlushBeforeAdding } from './batch-policy.ts';
import type { EngineErrorKind, OutboundMessage, ProducerEngine } from './producer-engine.ts';

/** What the batching producer reports; the metrics layer implements it. */
export interface ProducerObserver {
  batchSettled(outcome: { messages: number; bytes: number; seconds: number; error?: EngineErrorKind }): void;
  pendingBytesChanged(bytes: number): void;
}

export interface TopicMessages {
  readonly topic: string;
  readonly messages: readonly OutboundMessage[];
}

export type SubmitResult =
  | { readonly ok: true; readonly delivery: Promise<void> }
  | { readonly ok: false; readonly reason: 'buffer_full' | 'too_large' | 'unavailable' | 'closed' };

export class DeliveryError extends Error {
  readonly kind: EngineErrorKind;
  constructor(kind: EngineErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DeliveryError';
    this.kind = kind;
  }
}

interface Ticket {
  outstanding: number;
  failed: boolean;
  resolve(): void;
  reject(error: DeliveryError): void;
}

// A lane is its own BatchFill (messages = count, bytes), so the policy reads it without an
// object per message.
interface Lane {
  batch: OutboundMessage[];
  messages: number;
  bytes: number;
  tickets: Set<Ticket>;
  /** The ticket added last: consecutive messages of one request skip the set lookup. */
  lastTicket: Ticket | undefined;
  timer: NodeJS.Timeout | undefined;
}

export interface BatchingProducerOptions {
  readonly engine: ProducerEngine;
  readonly batch: BatchConfig;
  readonly maxPendingBytes: number;
  /**
   * Counted against `maxPendingBytes` per message on top of its key and value (default 0);
   * the gateway passes MESSAGE_OVERHEAD_BYTES.
   */
  readonly messageOverheadBytes?: number;
  readonly observer: ProducerObserver;
  readonly classifyError: (error: unknown) => EngineErrorKind;
  readonly now?: () => number;
}

const messageBytes = (message: OutboundMessage): number =>
  message.value.length +
  (message.key === null ? 0 : Buffer.byteLength(message.key)) +
  (message.headers === undefined ? 0 : headerBytes(message.headers));

function headerBytes(headers: Readonly<Record<string, string>>): number {
  let bytes = 0;
  for (const name in headers) bytes += Buffer.byteLength(name) + Buffer.byteLength(headers[name] as string);
  return bytes;
}

/**
 * What a message costs in memory beyond its key and value (the message object, the
 * engine's record and its encoding), counted against `maxPendingBytes` so that a body of
 * many tiny lines cannot slip a million messages past a cap meant for bytes. Measured with
 * both engines at 1.5-2 KB per tiny message including garbage; this is a floor, not a
 * measurement. Batch sizes (`batch.maxBytes`) and the batch metrics count payload bytes only.
 */
export const MESSAGE_OVERHEAD_BYTES = 512;

/**
 * Accumulates messages from concurrent requests into per-topic batches and
 * hands each batch to the engine. A submission's delivery promise settles when
 * every batch that carries one of its messages settled: resolved when all were
 * acknowledged, rejected as soon as one failed. Memory is bounded by
 * `maxPendingBytes`: bytes count from admission until their batch settles.
 */
export class BatchingProducer {
  readonly #options: BatchingProducerOptions;
  readonly #lanes = new Map<string, Lane>();
  readonly #inFlight = new Set<Promise<void>>();
  readonly #now: () => number;
  readonly #overhead: number;
  #pendingBytes = 0;
  #connected = false;
  #closed = false;

  constructor(options: BatchingProducerOptions) {
    this.#options = options;
    this.#now = options.now ?? performance.now.bind(performance);
    this.#overhead = options.messageOverheadBytes ?? 0;
  }

  get pendingBytes(): number {
    return this.#pendingBytes;
  }

  get maxPendingBytes(): number {
    return this.#options.maxPendingBytes;
  }

  /** What `message` counts against `maxPendingBytes` while it is pending. */
  costOf(message: OutboundMessage): number {
    return messageBytes(message) + this.#overhead;
  }

  get connected(): boolean {
    return this.#connected;
  }

  get closed(): boolean {
    return this.#closed;
  }

  async connect(): Promise<void> {
    await this.#options.engine.connect();
    this.#connected = true;
  }

  /**
   * Admits all messages of one request or none of them. `requestCost`, when the caller
   * already summed `costOf` over the messages (the ingest walk does), saves a second pass.
   */
  submit(groups: readonly TopicMessages[], requestCost?: number): SubmitResult {
    if (this.#closed) return { ok: false, reason: 'closed' };
    if (!this.#connected) return { ok: false, reason: 'unavailable' };
    let requestBytes = requestCost ?? 0;
    if (requestCost === undefined) {
      for (const group of groups) {
        for (const message of group.messages) requestBytes += this.costOf(message);
      }
    }
    const admission = admitPending(this.#pendingBytes, requestBytes, this.#options.maxPendingBytes);
    if (!admission.accept) return { ok: false, reason: admission.reason };
    this.#adjustPending(requestBytes);

    let ticket!: Ticket;
    const delivery = new Promise<void>((resolve, reject) => {
      ticket = { outstanding: 0, failed: false, resolve, reject };
    });
    for (const group of groups) this.#appendGroup(group.topic, group.messages, ticket);
    if (ticket.outstanding === 0) ticket.resolve();
    // Callers may stop waiting (request deadline) before delivery settles; a late
    // failure is reported through the observer, never as an unhandled rejection.
    delivery.catch(() => undefined);
    return { ok: true, delivery };
  }

  /** Sends every open batch now and waits until all in-flight batches settled. */
  async flush(): Promise<void> {
    for (const topic of this.#lanes.keys()) this.#flushLane(topic);
    while (this.#inFlight.size > 0) await Promise.allSettled([...this.#inFlight]);
  }

  /** Refuses new submissions, delivers what was admitted, then closes the engine. */
  async close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    this.#connected = false;
    await this.#options.engine.close();
  }

  #appendGroup(topic: string, messages: readonly OutboundMessage[], ticket: Ticket): void {
    let lane = this.#lanes.get(topic);
    if (!lane) {
      lane = {
        batch: [],
        messages: 0,
        bytes: 0,
        tickets: new Set(),
        lastTicket: undefined,
        timer: undefined,
      };
      this.#lanes.set(topic, lane);
    }
    const limits = this.#options.batch;
    for (let index = 0; index < messages.length; index++) {
      const message = messages[index] as OutboundMessage;
      const size = messageBytes(message);
      if (mustFlushBeforeAdding(lane, size, limits)) this.#flushLane(topic);
      lane.batch.push(message);
      lane.messages += 1;
      lane.bytes += size;
      if (lane.lastTicket !== ticket) {
        lane.lastTicket = ticket;
        if (!lane.tickets.has(ticket)) {
          lane.tickets.add(ticket);
          ticket.outstanding += 1;
        }
      }
      if (isBatchFull(lane, limits)) this.#flushLane(topic);
    }
    if (lane.messages > 0 && lane.timer === undefined) {
      lane.timer = setTimeout(() => this.#flushLane(topic), limits.lingerMs);
    }
  }

  #flushLane(topic: string): void {
    const lane = this.#lanes.get(topic);
    if (!lane || lane.messages === 0) return;
    if (lane.timer !== undefined) clearTimeout(lane.timer);
    const { batch: messages, bytes, tickets } = lane;
    lane.batch = [];
    lane.messages = 0;
    lane.bytes = 0;
    lane.tickets = new Set();
    lane.lastTicket = undefined;
    lane.timer = undefined;
    const started = this.#now();
    const sending = this.#send(topic, messages).then(
      () => this.#settle(tickets, messages.length, bytes, started, undefined),
      (error: unknown) => this.#settle(tickets, messages.length, bytes, started, error),
    );
    this.#inFlight.add(sending);
    void sending.finally(() => this.#inFlight.delete(sending));
  }

  // The engine is called through a promise chain so a synchronous throw becomes a rejection.
  async #send(topic: string, messages: OutboundMessage[]): Promise<void> {
    await this.#options.engine.send(topic, messages);
  }

  #settle(tickets: Set<Ticket>, count: number, bytes: number, started: number, error: unknown): void {
    this.#adjustPending(-(bytes + count * this.#overhead));
    const kind = error === undefined ? undefined : this.#options.classifyError(error);
    this.#options.observer.batchSettled({
      messages: count,
      bytes,
      seconds: (this.#now() - started) / 1000,
      ...(kind === undefined ? {} : { error: kind }),
    });
    for (const ticket of tickets) {
      if (ticket.failed) continue;
      if (kind !== undefined) {
        ticket.failed = true;
        ticket.reject(new DeliveryError(kind, (error as Error)?.message ?? String(error), { cause: error }));
        continue;
      }
      ticket.outstanding -= 1;
      if (ticket.outstanding === 0) ticket.resolve();
    }
  }

  #adjustPending(delta: number): void {
    this.#pendingBytes += delta;
    this.#options.observer.pendingBytesChanged(this.#pendingBytes);
  }
}
