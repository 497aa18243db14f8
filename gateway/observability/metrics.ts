import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/**
 * Every gateway metric, registered on a registry owned by one app instance so
 * tests and reloads never share global state. Label values are bounded: repo
 * and producer names come from config, never from the request (unknown repos
 * are counted under one label).
 */
export interface GatewayMetrics {
  readonly registry: Registry;
  readonly requests: Counter<'repo' | 'status'>;
  readonly bytesIn: Counter<'repo' | 'encoding'>;
  readonly linesReceived: Counter<'repo'>;
  readonly linesAccepted: Counter<'repo'>;
  readonly linesDropped: Counter<'repo' | 'reason'>;
  readonly linesInvalid: Counter<'repo' | 'reason'>;
  readonly requestDuration: Histogram<'repo' | 'mode'>;
  readonly produceLatency: Histogram<'producer'>;
  readonly batchMessages: Histogram<'producer'>;
  readonly batchBytes: Histogram<'producer'>;
  readonly pendingBytes: Gauge<'producer'>;
  readonly producerErrors: Counter<'producer' | 'kind'>;
  readonly asyncDeliveryFailures: Counter<'repo'>;
  readonly syncDeliveryFailures: Counter<'repo'>;
  readonly configInfo: Gauge<'revision'>;
  readonly repoSuspended: Gauge<'repo'>;
  readonly configReloads: Counter<'result'>;
  readonly producerLifecycle: Counter<'event'>;
}

export const UNKNOWN_REPO_LABEL = '_unknown';

export function createGatewayMetrics(options: { defaultMetrics?: boolean } = {}): GatewayMetrics {
  const registry = new Registry();
  if (options.defaultMetrics ?? true)
    collectDefaultMetrics({ register: registry, prefix: 'sluice_process_' });
  const registers = [registry];
  return {
    registry,
    requests: new Counter({
      name: 'sluice_requests_total',
      help: 'Ingest requests by repo and HTTP status.',
      labelNames: ['repo', 'status'],
      registers,
    }),
    bytesIn: new Counter({
      name: 'sluice_request_bytes_total',
      help: 'Request body bytes received on the wire, by repo and content encoding.',
      labelNames: ['repo', 'encoding'],
      registers,
    }),
    linesReceived: new Counter({
      name: 'sluice_lines_received_total',
      help: 'Non-empty lines received.',
      labelNames: ['repo'],
      registers,
    }),
    linesAccepted: new Counter({
      name: 'sluice_lines_accepted_total',
      help: 'Lines that passed the pipeline and were handed to the producer.',
      labelNames: ['repo'],
      registers,
    }),
    linesDropped: new Counter({
      name: 'sluice_lines_dropped_total',
      help: 'Lines dropped on purpose by the pipeline, by reason.',
      labelNames: ['repo', 'reason'],
      registers,
    }),
    linesInvalid: new Counter({
      name: 'sluice_lines_invalid_total',
      help: 'Lines that could not be processed, by reason.',
      labelNames: ['repo', 'reason'],
      registers,
    }),
    requestDuration: new Histogram({
      name: 'sluice_request_duration_seconds',
      help: 'Ingest request duration until the answer, by repo and mode.',
      labelNames: ['repo', 'mode'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    produceLatency: new Histogram({
      name: 'sluice_produce_latency_seconds',
      help: 'Time from a batch being sent to its acknowledgement or failure.',
      labelNames: ['producer'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
      registers,
    }),
    batchMessages: new Histogram({
      name: 'sluice_batch_messages',
      help: 'Messages per batch sent to the producer engine.',
      labelNames: ['producer'],
      buckets: [1, 5, 10, 50, 100, 250, 500, 1000, 5000, 10000],
      registers,
    }),
    batchBytes: new Histogram({
      name: 'sluice_batch_bytes',
      help: 'Uncompressed message bytes per batch.',
      labelNames: ['producer'],
      buckets: [1024, 8192, 65536, 262144, 1048576, 4194304, 16777216],
      registers,
    }),
    pendingBytes: new Gauge({
      name: 'sluice_pending_bytes',
      help: 'Message bytes admitted but not yet acknowledged, per producer.',
      labelNames: ['producer'],
      registers,
    }),
    producerErrors: new Counter({
      name: 'sluice_producer_errors_total',
      help: 'Failed batches by producer and kind of error.',
      labelNames: ['producer', 'kind'],
      registers,
    }),
    asyncDeliveryFailures: new Counter({
      name: 'sluice_async_lines_failed_total',
      help: 'Lines answered 202 in async mode whose delivery to Kafka later failed.',
      labelNames: ['repo'],
      registers,
    }),
    syncDeliveryFailures: new Counter({
      name: 'sluice_sync_lines_failed_total',
      help: 'Lines of sync requests that Kafka did not acknowledge (answered 503; the sender retries them).',
      labelNames: ['repo'],
      registers,
    }),
    configInfo: new Gauge({
      name: 'sluice_config_info',
      help: 'The config revision this gateway runs (value 1).',
      labelNames: ['revision'],
      registers,
    }),
    repoSuspended: new Gauge({
      name: 'sluice_repo_suspended',
      help: 'Whether a repo of the running config is suspended (1) or takes lines (0).',
      labelNames: ['repo'],
      registers,
    }),
    configReloads: new Counter({
      name: 'sluice_config_reload_total',
      help: 'Config reloads of changed content by result: applied, invalid, error.',
      labelNames: ['result'],
      registers,
    }),
    producerLifecycle: new Counter({
      name: 'sluice_producer_lifecycle_total',
      help: 'Producers created and closed, across reloads.',
      labelNames: ['event'],
      registers,
    }),
  };
}
