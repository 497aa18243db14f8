import { createHash } from 'node:crypto';

/**
 * JSON with object keys sorted, so key order (in YAML, in a Kubernetes object) never counts
 * as a change. The gateway and the operator compare and digest configs with it: both must
 * produce the same text for the same value.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, item: unknown) =>
    item !== null && typeof item === 'object' && !Array.isArray(item)
      ? Object.fromEntries(Object.entries(item).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : item,
  );
}

/** A short, stable digest of any JSON value (key order does not matter): 16 hex digits of SHA-256. */
export function digestOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, 16);
}
