/** Request facts a pipeline may use (request-context executers read these). */
export interface LineContext {
  readonly repo: string;
  readonly receivedAt: number;
  readonly clientAddress: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
}

/**
 * What became of one line. `dropped` is a deliberate outcome of the repo's
 * rules (a constraint, a sample); `invalid` means the line could not be
 * processed (bad JSON, an executer that could not apply). Neither is a reason
 * for the sender to retry.
 */
export type LineOutcome =
  | {
      readonly kind: 'accepted';
      readonly topic: string;
      readonly key: string | null;
      readonly value: Buffer;
      /** Kafka record headers (the repo's `headers`); absent when there are none. */
      readonly headers?: Readonly<Record<string, string>>;
    }
  | { readonly kind: 'dropped'; readonly reason: string }
  | {
      readonly kind: 'invalid';
      readonly reason: string;
      readonly message: string;
      /** Set when the repo has a dead-letter topic: produce the original line there with these headers. */
      readonly deadLetter?: DeadLetter;
    };

export type InvalidOutcome = Extract<LineOutcome, { kind: 'invalid' }>;

/** An invalid outcome built once (at load or compile time) and shared by every line it applies to. */
export function invalidOutcome(reason: string, message: string): InvalidOutcome {
  return Object.freeze({ kind: 'invalid', reason, message });
}

/** Where an invalid line goes, as received, when its repo has a dead-letter topic. */
export interface DeadLetter {
  readonly topic: string;
  /** sluice-reason, sluice-repo, sluice-revision. */
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * A repo's pipeline, compiled once per config load. Pure and total: never throws.
 * `utf8Checked` says the caller validated the line as UTF-8 already (once for its whole
 * request body), so the decoder does not check it again.
 */
export type CompiledPipeline = (line: Buffer, context: LineContext, utf8Checked?: boolean) => LineOutcome;
