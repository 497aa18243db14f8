import {
  type CallOptions,
  KubeApiError,
  type KubeClient,
  type KubeObject,
  type ResourceRef,
  type WatchEvent,
  type WatchHandle,
} from '../../operator/kube/kube-client.ts';

/**
 * The one in-memory Kubernetes API of the unit tests: a KubeClient over a store of objects
 * that behaves like the apiserver where the operator relies on it — uids, resourceVersions
 * and generations are assigned, server-side apply replaces the applied fields and keeps the
 * status, status applies touch only the status, create refuses an existing name (409),
 * writes to what does not exist answer 404, lists honour label selectors, and watches
 * deliver every change after their resourceVersion. A test plays the other actors through
 * `put` and `remove` (users, controllers; no request counted), and breaks watches on purpose
 * with `suspendWatches` and `endWatches`. Tests that need a real apiserver's behaviour
 * beyond this use the real one (test/kube/).
 */
export interface FakeKubeClient extends KubeClient {
  /** Stored objects by `plural/namespace/name` (namespace empty for cluster-scoped ones). */
  readonly objects: Map<string, KubeObject>;
  /** Writes made through the client, as `apply|status|create|replace|delete plural/name`. */
  readonly writes: string[];
  /** Lists and watches started through the client. */
  readonly counts: { lists: number; watches: number };
  /** Stores `object` as another writer would (kubectl, a controller) and tells the watches. */
  put(ref: ResourceRef, object: KubeObject): KubeObject;
  /** Deletes as another writer would and tells the watches. */
  remove(ref: ResourceRef, namespace: string | undefined, name: string): void;
  /** The stored object, as `get` would answer without counting a request. */
  peek(ref: ResourceRef, namespace: string | undefined, name: string): KubeObject | undefined;
  /** Informer-like views of the store (what the reconciles read), always up to date. */
  readonly caches: {
    list<T extends KubeObject>(ref: ResourceRef<T>, namespace?: string): T[];
    get<T extends KubeObject>(
      ref: ResourceRef<T>,
      namespace: string | undefined,
      name: string,
    ): T | undefined;
  };
  /** Changes from now on are stored but not delivered to open watches (a lagging watch). */
  suspendWatches(): void;
  /**
   * Ends every open watch: `closed` as the apiserver's timeout does, `gone` as an expired
   * resourceVersion does (410), or with a transport error.
   */
  endWatches(how: 'closed' | 'gone' | Error): void;
  /** Sends `event` as it is to every open watch of `ref` (e.g. an ERROR event). */
  sendWatchEvent(ref: ResourceRef, event: WatchEvent): void;
}

export interface FakeKubeOptions {
  /** What the apiserver adds to what it stores (defaults); applied on every write. */
  readonly defaults?: (ref: ResourceRef, object: KubeObject) => KubeObject;
  /**
   * Awaited before every request is answered, with the request's signal: a test holds a
   * request in flight (e.g. until the signal aborts) to see what cancels it.
   */
  readonly onRequest?: (request: FakeRequest) => Promise<void> | void;
}

/** A request as `onRequest` sees it. */
export interface FakeRequest {
  readonly verb: 'GET' | 'PATCH' | 'POST' | 'PUT' | 'DELETE';
  readonly ref: ResourceRef;
  readonly name: string | undefined;
  readonly signal: AbortSignal | undefined;
}

interface OpenWatch {
  readonly ref: ResourceRef;
  readonly namespace: string | undefined;
  readonly selector: ((labels: Record<string, string>) => boolean) | undefined;
  readonly onEvent: (event: WatchEvent) => void;
  finish(error?: unknown): void;
}

const keyOf = (ref: ResourceRef, namespace: string | undefined, name: string) =>
  `${ref.plural}/${ref.namespaced ? (namespace ?? '') : ''}/${name}`;

/** `a=b,c` selectors: equality and existence, what the operator uses. */
function parseSelector(selector: string | undefined) {
  if (!selector) return undefined;
  const terms = selector.split(',').map((term) => term.trim().split('='));
  return (labels: Record<string, string>) =>
    terms.every(([key, value]) =>
      value === undefined ? Object.hasOwn(labels, key as string) : labels[key as string] === value,
    );
}

const notFound = (ref: ResourceRef, name: string) =>
  new KubeApiError(404, { reason: 'NotFound', message: `${ref.plural} "${name}" not found` });

export function createFakeKubeClient(
  seed: Array<[ResourceRef, KubeObject]> = [],
  options: FakeKubeOptions = {},
) {
  const objects = new Map<string, KubeObject>();
  const writes: string[] = [];
  const counts = { lists: 0, watches: 0 };
  const requests = { byVerb: {} as Record<string, number> };
  const watches = new Set<OpenWatch>();
  let version = 100;
  let uids = 0;
  let suspended = false;

  // Counts the request, then answers only once the hook lets it; an aborted signal rejects
  // with its reason, before and after the hook, as the real client does.
  const count = async (
    verb: FakeRequest['verb'],
    ref: ResourceRef,
    name: string | undefined,
    call: CallOptions | undefined,
  ) => {
    requests.byVerb[verb] = (requests.byVerb[verb] ?? 0) + 1;
    call?.signal?.throwIfAborted();
    await options.onRequest?.({ verb, ref, name, signal: call?.signal });
    call?.signal?.throwIfAborted();
  };
  // The store holds every kind as KubeObject; the ref names the type its objects have.
  const typed = <T extends KubeObject>(object: KubeObject) => object as T;
  const deliver = (ref: ResourceRef, event: WatchEvent) => {
    if (suspended) return;
    for (const watch of watches) {
      if (watch.ref.plural !== ref.plural || watch.ref.groupVersionPath !== ref.groupVersionPath) continue;
      const { namespace, labels } = event.object.metadata;
      if (watch.namespace !== undefined && namespace !== watch.namespace) continue;
      if (watch.selector && !watch.selector(labels ?? {})) continue;
      try {
        watch.onEvent(structuredClone(event));
      } catch (error) {
        // As the real client: a throwing handler ends its watch with the error.
        watch.finish(error);
      }
    }
  };
  const store = (ref: ResourceRef, object: KubeObject, status: 'keep' | 'replace'): KubeObject => {
    const key = keyOf(ref, object.metadata.namespace, object.metadata.name);
    const before = objects.get(key);
    const defaulted = options.defaults
      ? options.defaults(ref, structuredClone(object))
      : structuredClone(object);
    version += 1;
    const specChanged = JSON.stringify(before?.spec) !== JSON.stringify(defaulted.spec);
    const stored: KubeObject = {
      ...defaulted,
      metadata: {
        ...defaulted.metadata,
        uid: before?.metadata.uid ?? defaulted.metadata.uid ?? `uid-${++uids}`,
        resourceVersion: String(version),
        generation:
          before === undefined
            ? (defaulted.metadata.generation ?? 1)
            : (before.metadata.generation ?? 1) + (specChanged ? 1 : 0),
        creationTimestamp: before?.metadata.creationTimestamp ?? '2026-01-01T00:00:00Z',
      },
      ...(status === 'keep' && before?.status !== undefined ? { status: before.status } : {}),
    };
    objects.set(key, stored);
    deliver(ref, { type: before ? 'MODIFIED' : 'ADDED', object: stored });
    return structuredClone(stored);
  };
  const drop = (ref: ResourceRef, namespace: string | undefined, name: string): boolean => {
    const key = keyOf(ref, namespace, name);
    const before = objects.get(key);
    if (before === undefined) return false;
    objects.delete(key);
    version += 1;
    deliver(ref, {
      type: 'DELETED',
      object: { ...before, metadata: { ...before.metadata, resourceVersion: String(version) } },
    });
    return true;
  };
  const inScope = (ref: ResourceRef, namespace: string | undefined, selector: string | undefined) => {
    const prefix = `${ref.plural}/`;
    const matches = parseSelector(selector);
    return [...objects.entries()]
      .filter(([key, object]) => {
        if (!key.startsWith(prefix)) return false;
        if (ref.namespaced && namespace !== undefined && object.metadata.namespace !== namespace)
          return false;
        return matches === undefined || matches(object.metadata.labels ?? {});
      })
      .map(([, object]) => structuredClone(object));
  };

  /** The stored version of `object`; a write to what does not exist answers 404. */
  const existing = (ref: ResourceRef, object: KubeObject): KubeObject => {
    const before = objects.get(keyOf(ref, object.metadata.namespace, object.metadata.name));
    if (before === undefined) throw notFound(ref, object.metadata.name);
    return before;
  };

  for (const [ref, object] of seed) store(ref, object, 'replace');

  const client: FakeKubeClient = {
    requests,
    objects,
    writes,
    counts,
    async get<T extends KubeObject>(
      ref: ResourceRef<T>,
      namespace: string | undefined,
      name: string,
      call?: CallOptions,
    ) {
      await count('GET', ref, name, call);
      const stored = objects.get(keyOf(ref, namespace, name));
      return stored === undefined ? undefined : typed<T>(structuredClone(stored));
    },
    async list<T extends KubeObject>(
      ref: ResourceRef<T>,
      namespace?: string,
      labelSelector?: string,
      call?: CallOptions,
    ) {
      await count('GET', ref, undefined, call);
      counts.lists += 1;
      return {
        items: inScope(ref, namespace, labelSelector).map((object) => typed<T>(object)),
        resourceVersion: String(version),
      };
    },
    watch<T extends KubeObject>(
      ref: ResourceRef<T>,
      _resourceVersion: string,
      onEvent: (event: WatchEvent<T>) => void,
      namespace?: string,
      labelSelector?: string,
    ): WatchHandle {
      counts.watches += 1;
      let finish!: (error?: unknown) => void;
      const ended = new Promise<void>((resolve, reject) => {
        finish = (error) => {
          watches.delete(watch);
          if (error === undefined) resolve();
          else reject(error);
        };
      });
      const watch: OpenWatch = {
        ref,
        namespace: ref.namespaced ? namespace : undefined,
        selector: parseSelector(labelSelector),
        onEvent: (event) => onEvent({ type: event.type, object: typed<T & { code?: number }>(event.object) }),
        finish: (error) => finish(error),
      };
      watches.add(watch);
      return { ended, stop: () => finish() };
    },
    async apply<T extends KubeObject>(
      ref: ResourceRef<T>,
      object: KubeObject,
      _manager: string,
      call?: CallOptions,
    ) {
      await count('PATCH', ref, object.metadata.name, call);
      writes.push(`apply ${ref.plural}/${object.metadata.name}`);
      return typed<T>(store(ref, object, 'keep'));
    },
    async applyStatus<T extends KubeObject>(
      ref: ResourceRef<T>,
      object: KubeObject,
      _manager: string,
      call?: CallOptions,
    ) {
      await count('PATCH', ref, object.metadata.name, call);
      writes.push(`status ${ref.plural}/${object.metadata.name}`);
      const before = existing(ref, object);
      return typed<T>(store(ref, { ...before, status: object.status }, 'replace'));
    },
    async create<T extends KubeObject>(ref: ResourceRef<T>, object: KubeObject, call?: CallOptions) {
      await count('POST', ref, object.metadata.name, call);
      writes.push(`create ${ref.plural}/${object.metadata.name}`);
      if (objects.has(keyOf(ref, object.metadata.namespace, object.metadata.name))) {
        throw new KubeApiError(409, {
          reason: 'AlreadyExists',
          message: `${ref.plural} "${object.metadata.name}" already exists`,
        });
      }
      return typed<T>(store(ref, object, 'replace'));
    },
    async replace<T extends KubeObject>(ref: ResourceRef<T>, object: KubeObject, call?: CallOptions) {
      await count('PUT', ref, object.metadata.name, call);
      writes.push(`replace ${ref.plural}/${object.metadata.name}`);
      const before = existing(ref, object);
      const wanted = object.metadata.resourceVersion;
      if (wanted !== undefined && wanted !== before.metadata.resourceVersion) {
        throw new KubeApiError(409, { reason: 'Conflict', message: 'the object has been modified' });
      }
      return typed<T>(store(ref, object, 'keep'));
    },
    async delete(ref, namespace, name, call) {
      await count('DELETE', ref, name, call);
      writes.push(`delete ${ref.plural}/${name}`);
      drop(ref, namespace, name);
    },
    put: (ref, object) => store(ref, object, 'replace'),
    remove: (ref, namespace, name) => {
      drop(ref, namespace, name);
    },
    peek: (ref, namespace, name) => objects.get(keyOf(ref, namespace, name)),
    caches: {
      list: <T extends KubeObject>(ref: ResourceRef<T>, namespace?: string) =>
        [...objects.entries()]
          .filter(
            ([key, object]) =>
              key.startsWith(`${ref.plural}/`) &&
              (namespace === undefined || object.metadata.namespace === namespace),
          )
          .map(([, object]) => typed<T>(object)),
      get: <T extends KubeObject>(ref: ResourceRef<T>, namespace: string | undefined, name: string) => {
        const stored = objects.get(keyOf(ref, namespace, name));
        return stored === undefined ? undefined : typed<T>(stored);
      },
    },
    suspendWatches() {
      suspended = true;
    },
    endWatches(how) {
      suspended = false;
      for (const watch of [...watches]) {
        if (how === 'closed') watch.finish();
        else if (how === 'gone')
          watch.finish(new KubeApiError(410, { reason: 'Expired', message: 'too old resource version' }));
        else watch.finish(how);
      }
    },
    sendWatchEvent(ref, event) {
      deliver(ref, event);
    },
  };
  return client;
}
