import type { LineOutcome } from '../pipeline/line-outcome.ts';

export interface LineError {
  readonly line: number;
  readonly reason: string;
  readonly message: string;
}

/** The counts every ingest answer reports. received = accepted + dropped + invalid. */
export interface IngestSummary {
  readonly received: number;
  readonly accepted: number;
  readonly dropped: { readonly total: number; readonly byReason: Readonly<Record<string, number>> };
  readonly invalid: { readonly total: number; readonly byReason: Readonly<Record<string, number>> };
  readonly errors: readonly LineError[];
}

/** Counts line outcomes of one request; keeps only the first `maxErrors` line errors. */
export class IngestTally {
  received = 0;
  accepted = 0;
  droppedTotal = 0;
  invalidTotal = 0;
  readonly dropped = new Map<string, number>();
  readonly invalid = new Map<string, number>();
  readonly errors: LineError[] = [];
  readonly #maxErrors: number;

  constructor(maxErrors: number) {
    this.#maxErrors = maxErrors;
  }

  record(outcome: LineOutcome, lineNumber: number): void {
    this.received += 1;
    switch (outcome.kind) {
      case 'accepted':
        this.accepted += 1;
        return;
      case 'dropped':
        this.droppedTotal += 1;
        this.dropped.set(outcome.reason, (this.dropped.get(outcome.reason) ?? 0) + 1);
        return;
      case 'invalid':
        this.invalidTotal += 1;
        this.invalid.set(outcome.reason, (this.invalid.get(outcome.reason) ?? 0) + 1);
        if (this.errors.length < this.#maxErrors) {
          this.errors.push({ line: lineNumber, reason: outcome.reason, message: outcome.message });
        }
    }
  }

  summary(): IngestSummary {
    return {
      received: this.received,
      accepted: this.accepted,
      dropped: { total: this.droppedTotal, byReason: Object.fromEntries(this.dropped) },
      invalid: { total: this.invalidTotal, byReason: Object.fromEntries(this.invalid) },
      errors: this.errors,
    };
  }
}
