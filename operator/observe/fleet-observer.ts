import type { Logger } from 'pino';
import { GATEWAY_CONTAINER_PORT, GATEWAY_NAMES } from '../api/constants.ts';
import type { Caches } from '../controller/reconcile-namespace.ts';
import type { Track } from '../render/render-gateway-config.ts';
import { parseGatewayMetrics } from '../rollout/gateway-metrics.ts';
import { EMPTY_TOTALS, foldTrackSamples, type PodSample, type TrackTotals } from '../rollout/track-totals.ts';
import { ENDPOINT_SLICES, readyEndpoints, type TrackEndpoint } from './endpoint-slices.ts';
import { type HttpGet, httpGet } from './http-get.ts';
import { type PodObservation, parsePodReport } from './pod-report.ts';

export interface FleetObserverOptions {
  readonly caches: Caches;
  /** The namespaces whose fleets to observe (those the operator runs a fleet in). */
  readonly namespaces: () => Iterable<string>;
  /** Namespaces where a rollout is under analysis: their pods' /metrics are read too. */
  readonly wantsMetrics: (namespace: string) => boolean;
  /** Called when what a namespace's pods report changed: the operator reconciles it. */
  readonly onChange: (namespace: string) => void;
  readonly logger: Logger;
  /** Between poll rounds (10 s by default). */
  readonly intervalMs?: number;
  /** Per request (2 s by default): a slow pod is unknown for this round, nothing worse. */
  readonly timeoutMs?: number;
  /** Requests in flight at once across the fleet (8 by default). */
  readonly concurrency?: number;
  /** `https` when the gateways serve TLS (listener TLS). */
  readonly scheme?: 'http' | 'https';
  readonly port?: number;
  readonly get?: HttpGet;
}

export interface ObserverMetrics {
  /** Polls by outcome: `ok` or `unknown`. */
  readonly polls: { ok: number; unknown: number };
  rounds: number;
}

const TRACKS: readonly Track[] = ['stable', 'canary'];
const MAX_STATUS_BYTES = 1024 * 1024;
const MAX_METRICS_BYTES = 16 * 1024 * 1024;

/**
 * The operator's eyes on the gateway pods (the one place it talks to them). On an interval it
 * reads each track's ready endpoints from the EndpointSlice cache and asks every pod for
 * `/status` (and, while a rollout in its namespace is under analysis, `/metrics`), with
 * bounded concurrency and short timeouts. It never runs on a reconcile's path: reconciles read
 * its last observations synchronously, and it enqueues a namespace only when what its pods
 * report changed (or, under analysis, on every round). A pod that does not answer is
 * `unknown` — never a failure by itself. Memory is bounded by the pods that exist: entries of
 * pods no longer among the endpoints are dropped each round.
 */
export class FleetObserver {
  readonly #options: FleetObserverOptions;
  readonly #get: HttpGet;
  /** namespace → pod → last observation. */
  #observations = new Map<string, Map<string, PodObservation>>();
  /** namespace/track → folded metric totals. */
  #totals = new Map<string, TrackTotals>();
  #fingerprints = new Map<string, string>();
  #timer: NodeJS.Timeout | undefined;
  #nudge: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #again = false;
  #stopped = false;
  readonly #abort = new AbortController();
  readonly metrics: ObserverMetrics = { polls: { ok: 0, unknown: 0 }, rounds: 0 };

  constructor(options: FleetObserverOptions) {
    this.#options = options;
    this.#get = options.get ?? httpGet;
  }

  start(): void {
    const interval = this.#options.intervalMs ?? 10_000;
    this.#timer = setInterval(() => void this.poll(), interval);
    this.#timer.unref();
    void this.poll();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer) clearInterval(this.#timer);
    if (this.#nudge) clearTimeout(this.#nudge);
    this.#abort.abort(new Error('observer stopping'));
    await this.#running;
  }

  /** Endpoints changed: poll soon rather than at the next interval (debounced). */
  nudge(): void {
    if (this.#stopped || this.#nudge) return;
    this.#nudge = setTimeout(() => {
      this.#nudge = undefined;
      void this.poll();
    }, 250);
    this.#nudge.unref();
  }

  /** The track's ready endpoints now, each with what it last said (unknown until first polled). */
  pods(namespace: string): Record<Track, PodObservation[]> {
    const seen = this.#observations.get(namespace);
    const out = {} as Record<Track, PodObservation[]>;
    for (const track of TRACKS) {
      out[track] = this.#endpoints(namespace, track).map(
        (endpoint) =>
          seen?.get(endpoint.pod) ?? { pod: endpoint.pod, state: 'unknown', problem: 'not polled yet' },
      );
    }
    return out;
  }

  /** The folded /metrics totals of a track (empty until a rollout in the namespace asks for metrics). */
  totals(namespace: string, track: Track): TrackTotals {
    return this.#totals.get(`${namespace}/${track}`) ?? EMPTY_TOTALS;
  }

  /** One round over every observed namespace; rounds never overlap (a call during one runs another after it). */
  poll(): Promise<void> {
    if (this.#stopped) return Promise.resolve();
    if (this.#running) {
      this.#again = true;
      return this.#running;
    }
    this.#running = this.#round()
      .catch((error: unknown) => this.#options.logger.warn({ err: error }, 'fleet observation round failed'))
      .finally(() => {
        this.#running = undefined;
        if (this.#again && !this.#stopped) {
          this.#again = false;
          void this.poll();
        }
      });
    return this.#running;
  }

  #endpoints(namespace: string, track: Track): TrackEndpoint[] {
    return readyEndpoints(
      this.#options.caches.list(ENDPOINT_SLICES, namespace),
      GATEWAY_NAMES[track].workload,
    );
  }

  async #round(): Promise<void> {
    const { logger } = this.#options;
    const namespaces = [...this.#options.namespaces()];
    const jobs: Array<() => Promise<void>> = [];
    const next = new Map<string, Map<string, PodObservation>>();
    const samples = new Map<string, PodSample[]>();
    const endpointsByTrack = new Map<string, TrackEndpoint[]>();
    for (const namespace of namespaces) {
      const observed = new Map<string, PodObservation>();
      next.set(namespace, observed);
      const metrics = this.#options.wantsMetrics(namespace);
      for (const track of TRACKS) {
        const endpoints = this.#endpoints(namespace, track);
        endpointsByTrack.set(`${namespace}/${track}`, endpoints);
        const trackSamples: PodSample[] = [];
        samples.set(`${namespace}/${track}`, trackSamples);
        for (const endpoint of endpoints) {
          jobs.push(async () => {
            observed.set(endpoint.pod, await this.#status(endpoint));
            if (metrics) {
              const counters = await this.#metrics(endpoint);
              if (counters) trackSamples.push({ pod: endpoint.pod, counters });
            }
          });
        }
      }
    }
    await runBounded(jobs, this.#options.concurrency ?? 8);
    if (this.#stopped) return;
    this.#observations = next;
    this.metrics.rounds += 1;

    for (const namespace of namespaces) {
      let analysed = false;
      for (const track of TRACKS) {
        const key = `${namespace}/${track}`;
        if (!this.#options.wantsMetrics(namespace)) {
          this.#totals.delete(key);
          continue;
        }
        analysed = true;
        const keep = new Set((endpointsByTrack.get(key) ?? []).map((endpoint) => endpoint.pod));
        this.#totals.set(key, foldTrackSamples(this.totals(namespace, track), samples.get(key) ?? [], keep));
      }
      const fingerprint = fingerprintOf(next.get(namespace));
      const changed = this.#fingerprints.get(namespace) !== fingerprint;
      this.#fingerprints.set(namespace, fingerprint);
      if (changed || analysed) {
        logger.debug({ namespace, changed, analysed }, 'fleet observation moved');
        this.#options.onChange(namespace);
      }
    }
    for (const namespace of [...this.#fingerprints.keys()]) {
      if (!next.has(namespace)) this.#fingerprints.delete(namespace);
    }
    for (const key of [...this.#totals.keys()]) {
      if (!next.has(key.slice(0, key.lastIndexOf('/')))) this.#totals.delete(key);
    }
  }

  #url(endpoint: TrackEndpoint, path: string): string {
    const host = endpoint.address.includes(':') ? `[${endpoint.address}]` : endpoint.address;
    return `${this.#options.scheme ?? 'http'}://${host}:${this.#options.port ?? GATEWAY_CONTAINER_PORT}${path}`;
  }

  async #status(endpoint: TrackEndpoint): Promise<PodObservation> {
    try {
      const answer = await this.#get(this.#url(endpoint, '/status'), {
        timeoutMs: this.#options.timeoutMs ?? 2000,
        maxBytes: MAX_STATUS_BYTES,
        signal: this.#abort.signal,
      });
      if (answer.status !== 200) return this.#unknown(endpoint, `/status answered ${answer.status}`);
      let body: unknown;
      try {
        body = JSON.parse(answer.body);
      } catch {
        return this.#unknown(endpoint, '/status is not JSON');
      }
      const parsed = parsePodReport(body);
      if (!parsed.ok) return this.#unknown(endpoint, parsed.problem);
      this.metrics.polls.ok += 1;
      return { pod: endpoint.pod, state: 'reported', report: parsed.report };
    } catch (error) {
      return this.#unknown(endpoint, (error as Error).message);
    }
  }

  async #metrics(endpoint: TrackEndpoint) {
    try {
      const answer = await this.#get(this.#url(endpoint, '/metrics'), {
        timeoutMs: this.#options.timeoutMs ?? 2000,
        maxBytes: MAX_METRICS_BYTES,
        signal: this.#abort.signal,
      });
      return answer.status === 200 ? parseGatewayMetrics(answer.body) : undefined;
    } catch {
      // Unknown for this round: its increases are counted at the next answer.
      return undefined;
    }
  }

  #unknown(endpoint: TrackEndpoint, problem: string): PodObservation {
    this.metrics.polls.unknown += 1;
    return { pod: endpoint.pod, state: 'unknown', problem };
  }
}

/** What a reconcile's verdict depends on: pods, their state, digests and refusals. */
function fingerprintOf(observations: ReadonlyMap<string, PodObservation> | undefined): string {
  const parts: string[] = [];
  for (const [pod, observation] of [...(observations ?? new Map<string, PodObservation>())].sort(
    ([a], [b]) => (a < b ? -1 : a > b ? 1 : 0),
  )) {
    if (observation.state === 'unknown') {
      parts.push(`${pod}?`);
      continue;
    }
    const { report } = observation;
    parts.push(
      `${pod}=${report.revision}|${[...report.repos].map(([name, digest]) => `${name}:${digest}`).join(',')}|${report.rejected?.revision ?? ''}`,
    );
  }
  return parts.join(';');
}

/** Runs `jobs` with at most `limit` in flight. */
async function runBounded(jobs: ReadonlyArray<() => Promise<void>>, limit: number): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const job = jobs[next] as () => Promise<void>;
      next += 1;
      await job();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, jobs.length) }, worker));
}
