import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { backoffDelay } from '../controller/backoff.ts';
import { KubeApiError, type KubeClient, type KubeObject, type ResourceRef } from './kube-client.ts';

export type InformerEvent = 'added' | 'updated' | 'deleted';
export type InformerHandler<T extends KubeObject = KubeObject> = (event: InformerEvent, object: T) => void;

const objectKey = (object: Pick<KubeObject, 'metadata'>): string =>
  `${object.metadata.namespace ?? ''}/${object.metadata.name}`;

/**
 * A list-then-watch cache of one resource. It relists when the apiserver
 * answers 410 Gone (the watch's resourceVersion expired), re-watches from the
 * last seen version when a watch ends normally, and restarts with capped
 * backoff after any other error (apiserver restart, network, a malformed watch
 * line). Handlers see every change, including the differences a relist reveals. A
 * handler that throws does not take the process down: the informer keeps the event's
 * object as unsettled, relists (with backoff), and hands unsettled objects to the
 * handlers again on that relist even when they did not change.
 */
export class Informer<T extends KubeObject = KubeObject> {
  readonly #client: KubeClient;
  readonly #ref: ResourceRef<T>;
  readonly #namespace: string | undefined;
  readonly #logger: Logger;
  readonly #handlers: InformerHandler<T>[] = [];
  readonly #cache = new Map<string, T>();
  #stopped = false;
  #watch: { stop(): void } | undefined;
  #synced!: () => void;
  readonly synced: Promise<void> = new Promise((resolve) => {
    this.#synced = resolve;
  });
  /** Watches that expired (410 Gone), that failed otherwise, and handler calls that threw; for tests. */
  readonly stats = { gone: 0, errors: 0, handlerErrors: 0 };
  /** Objects whose last event a handler threw on, by key: delivered again on the next relist. */
  readonly #unsettled = new Map<string, { event: InformerEvent; object: T }>();
  #handlerError: unknown;

  readonly #labelSelector: string | undefined;

  constructor(
    client: KubeClient,
    ref: ResourceRef<T>,
    logger: Logger,
    options: { namespace?: string; labelSelector?: string } = {},
  ) {
    this.#client = client;
    this.#ref = ref;
    this.#logger = logger;
    this.#namespace = options.namespace;
    this.#labelSelector = options.labelSelector;
  }

  onChange(handler: InformerHandler<T>): void {
    this.#handlers.push(handler);
  }

  get(namespace: string | undefined, name: string): T | undefined {
    return this.#cache.get(`${namespace ?? ''}/${name}`);
  }

  list(namespace?: string): T[] {
    const out: T[] = [];
    for (const object of this.#cache.values()) {
      if (namespace === undefined || object.metadata.namespace === namespace) out.push(object);
    }
    return out;
  }

  start(): void {
    void this.#run();
  }

  stop(): void {
    this.#stopped = true;
    this.#watch?.stop();
  }

  async #run(): Promise<void> {
    let failures = 0;
    let resourceVersion: string | undefined;
    while (!this.#stopped) {
      try {
        if (resourceVersion === undefined) {
          resourceVersion = await this.#relist();
          this.#synced();
        }
        resourceVersion = await this.#watchFrom(resourceVersion);
        failures = 0;
      } catch (error) {
        if (this.#stopped) return;
        if (error instanceof KubeApiError && error.status === 410) {
          this.stats.gone += 1;
          this.#logger.info({ resource: this.#ref.plural }, 'watch expired (410 Gone); relisting');
          resourceVersion = undefined;
          continue;
        }
        failures += 1;
        this.stats.errors += 1;
        const delay = backoffDelay(failures, 250, 10_000);
        this.#logger.warn(
          { resource: this.#ref.plural, err: error, retryInMs: delay },
          'watch failed; restarting',
        );
        resourceVersion = undefined;
        await sleep(delay);
      }
    }
  }

  async #relist(): Promise<string> {
    const { items, resourceVersion } = await this.#client.list(
      this.#ref,
      this.#namespace,
      this.#labelSelector,
    );
    const retry = new Map(this.#unsettled);
    this.#unsettled.clear();
    const seen = new Set<string>();
    for (const item of items) {
      const key = objectKey(item);
      seen.add(key);
      const before = this.#cache.get(key);
      this.#cache.set(key, item);
      if (!before) this.#emit('added', item);
      else if (before.metadata.resourceVersion !== item.metadata.resourceVersion || retry.has(key)) {
        this.#emit(retry.get(key)?.event === 'added' ? 'added' : 'updated', item);
      }
    }
    for (const [key, object] of this.#cache) {
      if (!seen.has(key)) {
        this.#cache.delete(key);
        this.#emit('deleted', object);
      }
    }
    // A deletion a handler threw on: the object is gone from the cache but not from the handler's view.
    for (const [key, { event, object }] of retry) {
      if (event === 'deleted' && !seen.has(key) && !this.#cache.has(key)) this.#emit('deleted', object);
    }
    this.#throwHandlerError();
    return resourceVersion;
  }

  /** After a handler threw: fail this list or watch, so #run relists with backoff. */
  #throwHandlerError(): void {
    const error = this.#handlerError;
    if (error === undefined) return;
    this.#handlerError = undefined;
    throw new InformerHandlerError(this.#ref.plural, error);
  }

  /** Watches until the stream ends; returns the last resourceVersion seen. Throws KubeApiError(410) on expiry. */
  async #watchFrom(resourceVersion: string): Promise<string> {
    let latest = resourceVersion;
    let gone: KubeApiError | undefined;
    const handle = this.#client.watch(
      this.#ref,
      resourceVersion,
      (event) => {
        if (event.type === 'ERROR') {
          const code = event.object.code ?? 500;
          gone = new KubeApiError(code, event.object);
          handle.stop();
          return;
        }
        latest = event.object.metadata.resourceVersion ?? latest;
        if (event.type === 'BOOKMARK') return;
        const key = objectKey(event.object);
        if (event.type === 'DELETED') {
          this.#cache.delete(key);
          this.#emit('deleted', event.object);
        } else {
          const existed = this.#cache.has(key);
          this.#cache.set(key, event.object);
          this.#emit(existed ? 'updated' : 'added', event.object);
        }
        if (this.#handlerError !== undefined) handle.stop();
      },
      this.#namespace,
      this.#labelSelector,
    );
    this.#watch = handle;
    await handle.ended;
    if (gone) throw gone;
    this.#throwHandlerError();
    return latest;
  }

  /** Calls every handler; one that throws is recorded (see #unsettled), the others still run. */
  #emit(event: InformerEvent, object: T): void {
    for (const handler of this.#handlers) {
      try {
        handler(event, object);
      } catch (error) {
        this.stats.handlerErrors += 1;
        this.#unsettled.set(objectKey(object), { event, object });
        this.#handlerError ??= error;
      }
    }
  }
}

/** A handler threw on an event (the handler's error is the cause); the informer relists. */
export class InformerHandlerError extends Error {
  override name = 'InformerHandlerError';
  readonly code = 'INFORMER_HANDLER_FAILED';
  constructor(resource: string, cause: unknown) {
    super(
      `${resource}: an informer handler threw: ${cause instanceof Error ? cause.message : String(cause)}`,
      {
        cause,
      },
    );
  }
}
