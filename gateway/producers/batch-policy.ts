import type { BatchConfig } from '../../kernel/config-schema.ts';

// Pure batching decisions. A batch is flushed when it is full by count or bytes;
// otherwise it waits at most `lingerMs` from its first message, so a size
// threshold alone can never hold a request hostage.

export interface BatchFill {
  readonly messages: number;
  readonly bytes: number;
}

/** True when adding a message of `size` bytes would overflow the open batch, so it must be flushed first. */
export function mustFlushBeforeAdding(fill: BatchFill, size: number, limits: BatchConfig): boolean {
  if (fill.messages === 0) return false;
  return fill.messages + 1 > limits.maxMessages || fill.bytes + size > limits.maxBytes;
}

/** True when the open batch reached a size limit and should be sent now. */
export function isBatchFull(fill: BatchFill, limits: BatchConfig): boolean {
  return fill.messages >= limits.maxMessages || fill.bytes >= limits.maxBytes;
}

export type PendingDecision =
  | { readonly accept: true }
  | { readonly accept: false; readonly reason: 'buffer_full' | 'too_large' };

/**
 * Admission against the pending-bytes cap. A request larger than the whole cap
 * can never be accepted (too_large, not worth retrying); one that merely does
 * not fit right now is told to retry later (buffer_full).
 */
export function admitPending(
  pendingBytes: number,
  requestBytes: number,
  maxPendingBytes: number,
): PendingDecision {
  if (requestBytes > maxPendingBytes) return { accept: false, reason: 'too_large' };
  if (pendingBytes + requestBytes > maxPendingBytes) return { accept: false, reason: 'buffer_full' };
  return { accept: true };
}
