/**
 * The narrow contract between the gateway and a message sink (a Kafka client
 * library or a local stream). The HTTP path only ever sees this interface and
 * the batching producer in front of it, so an engine can be swapped without
 * touching request handling.
 */
export interface OutboundMessage {
  readonly key: string | null;
  readonly value: Buffer;
  readonly headers?: Readonly<Record<string, string>>;
}

export interface ProducerEngine {
  /** Establishes connections; rejects when the sink cannot be reached. */
  connect(): Promise<void>;
  /**
   * Delivers one batch to one topic. Resolves only once the sink acknowledged
   * every message with the configured durability; rejects otherwise. May be
   * called concurrently.
   */
  send(topic: string, messages: readonly OutboundMessage[]): Promise<void>;
  /** Closes connections; called after all sends settled. */
  close(): Promise<void>;
}

export type EngineErrorKind = 'timeout' | 'connection' | 'broker' | 'closed' | 'unknown';
