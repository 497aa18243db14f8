/**
 * Every failure the ingest API can answer with, its HTTP status and whether a
 * sender should retry. Retryable answers carry Retry-After. The codes are part
 * of the API: senders and dashboards match on them.
 */
export const IngestErrors = {
  REPO_NOT_FOUND: { status: 404, retryable: false, message: 'no such log repo' },
  // The same answer for a protected repo and, to callers without a valid token, an unknown
  // one (see ingest-auth.ts): it never names the repo.
  UNAUTHORIZED: { status: 401, retryable: false, message: 'missing or invalid bearer token' },
  BODY_TOO_LARGE: { status: 413, retryable: false, message: 'request body exceeds the limit' },
  DECOMPRESSED_TOO_LARGE: { status: 413, retryable: false, message: 'decompressed body exceeds the limit' },
  LINE_TOO_LARGE: { status: 413, retryable: false, message: 'a line exceeds the line length limit' },
  TOO_MANY_LINES: { status: 413, retryable: false, message: 'the request carries more lines than the limit' },
  REQUEST_TOO_LARGE_FOR_PRODUCER: {
    status: 413,
    retryable: false,
    message: 'accepted lines exceed what the producer can ever buffer',
  },
  UNSUPPORTED_ENCODING: { status: 415, retryable: false, message: 'unsupported Content-Encoding' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, retryable: false, message: 'Content-Type is not a media type' },
  BAD_REQUEST: { status: 400, retryable: false, message: 'unusable request' },
  CORRUPT_BODY: { status: 400, retryable: false, message: 'body could not be decompressed' },
  BUFFER_FULL: { status: 429, retryable: true, message: 'producer buffer is full, retry later' },
  KAFKA_UNAVAILABLE: { status: 503, retryable: true, message: 'Kafka is unavailable, retry later' },
  DELIVERY_FAILED: { status: 503, retryable: true, message: 'Kafka did not acknowledge the lines, retry' },
  DELIVERY_TIMEOUT: { status: 503, retryable: true, message: 'Kafka did not acknowledge in time, retry' },
  SHUTTING_DOWN: { status: 503, retryable: true, message: 'gateway is shutting down, retry' },
  // A suspended repo (spec.suspend): retryable, so senders keep their lines until it resumes.
  SUSPENDED: { status: 503, retryable: true, message: 'log repo is suspended, retry later' },
  INTERNAL: { status: 500, retryable: true, message: 'internal error' },
} as const satisfies Record<string, { status: number; retryable: boolean; message: string }>;

export type IngestErrorCode = keyof typeof IngestErrors;

export interface IngestFailure {
  readonly code: IngestErrorCode;
  readonly detail?: string;
}

export const failure = (code: IngestErrorCode, detail?: string): IngestFailure =>
  detail === undefined ? { code } : { code, detail };

export function describeFailure(failure: IngestFailure) {
  const entry = IngestErrors[failure.code];
  return {
    status: entry.status,
    retryable: entry.retryable,
    body: { code: failure.code, message: failure.detail ?? entry.message, retryable: entry.retryable },
  };
}
