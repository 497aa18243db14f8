// Reads one gateway pod's GET /metrics body (Prometheus text exposition, as prom-client writes
// it) into the per-repo counters a rollout step is judged on. The body holds every repo of the
// pod and the process/runtime families too, so it is read in one pass over the text: a line is
// dismissed by its first characters unless it belongs to one of the few families below, and
// the label block is read by a scanner that never looks back. The operator may not import the
// gateway (test/support/import-rules.ts), so the family names and bucket bounds are restated
// here; a test reads gateway/observability/metrics.ts to hold them in step.

export interface RepoCounters {
  /** All ingest requests, whatever their status. */
  readonly requests: number;
  /** Requests answered 5xx or 429: the ones a sender retries. */
  readonly retryableFailures: number;
  readonly linesReceived: number;
  /** Lines that failed the pipeline (summed over reasons, dead-lettered ones included). */
  readonly linesInvalid: number;
  /** Lines Kafka did not acknowledge: sync + async delivery failures. */
  readonly deliveryFailures: number;
  /** Cumulative histogram bucket counts of request duration, one per LATENCY_BUCKETS bound (+Inf last). */
  readonly latencyBuckets: readonly number[];
}

/** Upper bounds in seconds of `sluice_request_duration_seconds`, ending with +Inf. */
export const LATENCY_BUCKETS: readonly number[] = Object.freeze([
  0.001,
  0.0025,
  0.005,
  0.01,
  0.025,
  0.05,
  0.1,
  0.25,
  0.5,
  1,
  2.5,
  5,
  10,
  Number.POSITIVE_INFINITY,
]);

export const ZERO_COUNTERS: RepoCounters = Object.freeze({
  requests: 0,
  retryableFailures: 0,
  linesReceived: 0,
  linesInvalid: 0,
  deliveryFailures: 0,
  latencyBuckets: Object.freeze(LATENCY_BUCKETS.map(() => 0)),
});

type Family = 'requests' | 'received' | 'invalid' | 'delivery' | 'bucket';

// Exact sample names. `_sum` and `_count` of the histogram are not needed: the +Inf bucket is
// the count, and the mean is not judged. Dropped lines are intended, not failures.
const FAMILIES: ReadonlyMap<string, Family> = new Map<string, Family>([
  ['sluice_requests_total', 'requests'],
  ['sluice_lines_received_total', 'received'],
  ['sluice_lines_invalid_total', 'invalid'],
  ['sluice_sync_lines_failed_total', 'delivery'],
  ['sluice_async_lines_failed_total', 'delivery'],
  ['sluice_request_duration_seconds_bucket', 'bucket'],
]);
const PREFIX = 'sluice_';

interface Tally {
  requests: number;
  retryableFailures: number;
  linesReceived: number;
  linesInvalid: number;
  deliveryFailures: number;
  latencyBuckets: number[];
}

/** The labels a line may carry that matter here; reused across lines to spare allocations. */
interface Labels {
  repo: string | undefined;
  status: string | undefined;
  le: string | undefined;
}

/**
 * Parses one pod's /metrics text into counters per repo (only repos present: a repo appears
 * once any of its series in the families above does). Never throws; malformed lines are
 * skipped, and so is a last line without its line feed (the format ends every line with one,
 * so a missing one means the body was cut). Repeated series add up. Values that are not
 * finite and non-negative are malformed for a counter. Map order is first appearance.
 */
export function parseGatewayMetrics(text: string): Map<string, RepoCounters> {
  const tallies = new Map<string, Tally>();
  const labels: Labels = { repo: undefined, status: undefined, le: undefined };
  let start = 0;
  for (;;) {
    const newline = text.indexOf('\n', start);
    if (newline === -1) break;
    if (text.startsWith(PREFIX, start)) readLine(text, start, newline, labels, tallies);
    start = newline + 1;
  }
  const out = new Map<string, RepoCounters>();
  for (const [repo, tally] of tallies) {
    out.set(repo, Object.freeze({ ...tally, latencyBuckets: Object.freeze(tally.latencyBuckets) }));
  }
  return out;
}

function readLine(text: string, from: number, lineEnd: number, labels: Labels, tallies: Map<string, Tally>) {
  const to = lineEnd > from && text.charCodeAt(lineEnd - 1) === 13 ? lineEnd - 1 : lineEnd;
  let pos = from + PREFIX.length;
  while (pos < to && isNameChar(text.charCodeAt(pos))) pos++;
  const family = FAMILIES.get(text.slice(from, pos));
  if (family === undefined || text.charCodeAt(pos) !== 123 /* { */) return;
  labels.repo = undefined;
  labels.status = undefined;
  labels.le = undefined;
  pos = readLabels(text, pos + 1, to, labels);
  if (pos < 0 || labels.repo === undefined) return;
  const value = readValue(text, pos, to);
  if (value === undefined) return;
  let bucket = -1;
  if (family === 'bucket') {
    bucket = bucketIndex(labels.le);
    if (bucket < 0) return;
  }
  let tally = tallies.get(labels.repo);
  if (tally === undefined) {
    tally = {
      requests: 0,
      retryableFailures: 0,
      linesReceived: 0,
      linesInvalid: 0,
      deliveryFailures: 0,
      latencyBuckets: LATENCY_BUCKETS.map(() => 0),
    };
    tallies.set(labels.repo, tally);
  }
  switch (family) {
    case 'requests':
      tally.requests += value;
      if (isRetryableStatus(labels.status)) tally.retryableFailures += value;
      break;
    case 'received':
      tally.linesReceived += value;
      break;
    case 'invalid':
      tally.linesInvalid += value;
      break;
    case 'delivery':
      tally.deliveryFailures += value;
      break;
    case 'bucket':
      tally.latencyBuckets[bucket] = (tally.latencyBuckets[bucket] ?? 0) + value;
      break;
  }
}

/**
 * Reads `name="value",…}` from just after the `{`; returns the index after the `}`, or -1 when
 * the block is malformed. Values are unescaped (\\ \" \n; any other escape is malformed, as in
 * Prometheus). Each character is looked at once.
 */
function readLabels(text: string, start: number, to: number, labels: Labels): number {
  let pos = start;
  for (;;) {
    pos = skipBlanks(text, pos, to);
    if (pos >= to) return -1;
    if (text.charCodeAt(pos) === 125 /* } */) return pos + 1;
    const nameStart = pos;
    while (pos < to && isNameChar(text.charCodeAt(pos))) pos++;
    if (pos === nameStart) return -1;
    const name = text.slice(nameStart, pos);
    pos = skipBlanks(text, pos, to);
    if (text.charCodeAt(pos) !== 61 /* = */) return -1;
    pos = skipBlanks(text, pos + 1, to);
    if (text.charCodeAt(pos) !== 34 /* " */) return -1;
    pos++;
    let value = '';
    let chunk = pos;
    for (;;) {
      if (pos >= to) return -1;
      const code = text.charCodeAt(pos);
      if (code === 34) break;
      if (code === 92 /* \ */) {
        const next = text.charCodeAt(pos + 1);
        const unescaped = next === 92 ? '\\' : next === 34 ? '"' : next === 110 ? '\n' : undefined;
        if (unescaped === undefined || pos + 1 >= to) return -1;
        value += text.slice(chunk, pos) + unescaped;
        pos += 2;
        chunk = pos;
        continue;
      }
      pos++;
    }
    value += text.slice(chunk, pos);
    pos = skipBlanks(text, pos + 1, to);
    if (name === 'repo') labels.repo = value;
    else if (name === 'status') labels.status = value;
    else if (name === 'le') labels.le = value;
    const separator = text.charCodeAt(pos);
    if (separator === 44 /* , */) pos++;
    else if (separator !== 125) return -1;
  }
}

/** The sample value after the label block: blanks, a number, then nothing or blanks and a timestamp. */
function readValue(text: string, start: number, to: number): number | undefined {
  const valueStart = skipBlanks(text, start, to);
  if (valueStart === start || valueStart >= to) return undefined;
  let end = valueStart;
  while (end < to && !isBlank(text.charCodeAt(end))) end++;
  const value = Number(text.slice(valueStart, end));
  return Number.isFinite(value) && value >= 0 ? value : undefined;
}

function bucketIndex(le: string | undefined): number {
  if (le === undefined) return -1;
  const bound = le === '+Inf' || le === 'Inf' ? Number.POSITIVE_INFINITY : Number(le);
  return Number.isNaN(bound) || le.trim() === '' ? -1 : LATENCY_BUCKETS.indexOf(bound);
}

function isRetryableStatus(status: string | undefined): boolean {
  return status === '429' || (status !== undefined && status.length === 3 && status.charCodeAt(0) === 53);
}

function skipBlanks(text: string, start: number, to: number): number {
  let pos = start;
  while (pos < to && isBlank(text.charCodeAt(pos))) pos++;
  return pos;
}

function isBlank(code: number): boolean {
  return code === 32 || code === 9;
}

/** [a-zA-Z0-9_:], the characters of metric and label names. */
function isNameChar(code: number): boolean {
  return (
    (code >= 97 && code <= 122) ||
    (code >= 65 && code <= 90) ||
    (code >= 48 && code <= 57) ||
    code === 95 ||
    code === 58
  );
}
