import { request as httpRequest } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { isIP } from 'node:net';
import type { KubeCredentials } from './kube-credentials.ts';
import { tunnelThrough } from './proxy-tunnel.ts';

export { loadKubeConfig } from './kube-credentials.ts';

/**
 * The operator's only door to the Kubernetes API. Authentication and TLS come
 * from kube-credentials.ts (kubeconfig files, in-cluster service account); requests are plain HTTPS so server-side apply, status
 * subresources and watches are spoken exactly as the API defines them. Every
 * request is counted so tests can prove that an unchanged world writes nothing.
 */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    generation?: number;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: Array<Record<string, unknown>>;
    deletionTimestamp?: string;
    managedFields?: unknown[];
    creationTimestamp?: string;
  };
  [field: string]: unknown;
}

/**
 * A kind the API serves, carrying the type of its objects (`T`) so that what the client and
 * the caches return for it is typed without casts at every use.
 */
export interface ResourceRef<T extends KubeObject = KubeObject> {
  /** e.g. `/api/v1` or `/apis/sluice.dev/v1alpha1` */
  readonly groupVersionPath: string;
  readonly plural: string;
  readonly namespaced: boolean;
  /** Type only, never set: ties the ref to its objects' type (keeps `ResourceRef<T>` covariant in T). */
  readonly objectType?: T;
}

/** An object whose spec and status have known types (a custom resource, as its CRD defines it). */
export type TypedObject<Spec, Status = unknown> = KubeObject & { spec: Spec; status?: Status };

/** What every request takes besides its arguments. */
export interface CallOptions {
  /** Aborts the request in flight (shutdown, lost leadership): it rejects with the signal's reason. */
  readonly signal?: AbortSignal | undefined;
}

export class KubeApiError extends Error {
  readonly status: number;
  readonly reason: string | undefined;
  readonly body: unknown;
  constructor(status: number, body: unknown) {
    const message = (body as { message?: string } | undefined)?.message ?? `HTTP ${status}`;
    super(message);
    this.name = 'KubeApiError';
    this.status = status;
    this.reason = (body as { reason?: string } | undefined)?.reason;
    this.body = body;
  }
}

/**
 * A watch stream that had to be abandoned: a line that is not a JSON watch event
 * (`WATCH_MALFORMED_EVENT`), or an `onEvent` handler that threw (`WATCH_HANDLER_FAILED`,
 * the handler's error as `cause`). The stream is closed; a caller such as the informer
 * relists, as after any other watch failure.
 */
export class KubeWatchError extends Error {
  override name = 'KubeWatchError';
  readonly code: 'WATCH_MALFORMED_EVENT' | 'WATCH_HANDLER_FAILED';
  constructor(code: KubeWatchError['code'], message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }
}

/** Items per page of a list (`limit`/`continue`), so a large collection never arrives as one body. */
export const LIST_PAGE_SIZE = 500;

const WATCH_TYPES = new Set(['ADDED', 'MODIFIED', 'DELETED', 'BOOKMARK', 'ERROR']);

/** A watch line as an event, or undefined when it is not one (bad JSON, or not the shape of an event). */
export function parseWatchLine(line: string): WatchEvent | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  const event = value as { type?: unknown; object?: { metadata?: unknown } } | null;
  if (typeof event !== 'object' || event === null || typeof event.type !== 'string') return undefined;
  if (!WATCH_TYPES.has(event.type) || typeof event.object !== 'object' || event.object === null)
    return undefined;
  if (
    event.type !== 'ERROR' &&
    (typeof event.object.metadata !== 'object' || event.object.metadata === null)
  ) {
    return undefined;
  }
  return value as WatchEvent;
}

export interface WatchEvent<T extends KubeObject = KubeObject> {
  readonly type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  readonly object: T & { code?: number };
}

export interface WatchHandle {
  /** Resolves when the stream ends (server closed it, error, or stop()). */
  readonly ended: Promise<void>;
  stop(): void;
}

export interface KubeClient {
  /** Requests made, by HTTP verb (reads too, watches excluded): tests prove an unchanged world writes nothing. */
  readonly requests: { byVerb: Record<string, number> };
  get<T extends KubeObject>(
    ref: ResourceRef<T>,
    namespace: string | undefined,
    name: string,
    options?: CallOptions,
  ): Promise<T | undefined>;
  /** Every page of the collection (`limit`/`continue`); the resourceVersion is the list's. */
  list<T extends KubeObject>(
    ref: ResourceRef<T>,
    namespace?: string,
    labelSelector?: string,
    options?: CallOptions,
  ): Promise<{ items: T[]; resourceVersion: string }>;
  /**
   * Streams changes after `resourceVersion`. `ended` rejects with KubeApiError for a refused
   * watch, KubeWatchError for a malformed line or a throwing `onEvent`, or the transport's error.
   */
  watch<T extends KubeObject>(
    ref: ResourceRef<T>,
    resourceVersion: string,
    onEvent: (event: WatchEvent<T>) => void,
    namespace?: string,
    labelSelector?: string,
  ): WatchHandle;
  /**
   * Server-side apply under `fieldManager` (force: the operator owns what it applies). What
   * is sent is any object (the apiserver validates it); what comes back is the ref's type.
   */
  apply<T extends KubeObject>(
    ref: ResourceRef<T>,
    object: KubeObject,
    fieldManager: string,
    options?: CallOptions,
  ): Promise<T>;
  applyStatus<T extends KubeObject>(
    ref: ResourceRef<T>,
    object: KubeObject,
    fieldManager: string,
    options?: CallOptions,
  ): Promise<T>;
  create<T extends KubeObject>(ref: ResourceRef<T>, object: KubeObject, options?: CallOptions): Promise<T>;
  replace<T extends KubeObject>(ref: ResourceRef<T>, object: KubeObject, options?: CallOptions): Promise<T>;
  delete(ref: ResourceRef, namespace: string | undefined, name: string, options?: CallOptions): Promise<void>;
}

function resourcePath(
  ref: ResourceRef<KubeObject>,
  namespace?: string,
  name?: string,
  subresource?: string,
): string {
  let path = ref.groupVersionPath;
  if (ref.namespaced && namespace !== undefined) path += `/namespaces/${encodeURIComponent(namespace)}`;
  path += `/${ref.plural}`;
  if (name !== undefined) path += `/${encodeURIComponent(name)}`;
  if (subresource !== undefined) path += `/${subresource}`;
  return path;
}

export function createKubeClient(
  credentials: KubeCredentials,
  options: { requestTimeoutMs?: number; pageSize?: number } = {},
): KubeClient {
  const pageSize = options.pageSize ?? LIST_PAGE_SIZE;
  const base = credentials.server;
  const timeoutMs = options.requestTimeoutMs ?? 30_000;
  const requests = { byVerb: {} as Record<string, number> };

  const send = async (
    method: string,
    path: string,
    body?: unknown,
    contentType = 'application/json',
    timeout = timeoutMs,
    signal?: AbortSignal,
  ) => {
    signal?.throwIfAborted();
    const auth = await credentials.auth();
    const hostname = base.hostname.replace(/^\[(.*)\]$/, '$1');
    const port = Number(base.port || (base.protocol === 'https:' ? 443 : 80));
    const tls = {
      rejectUnauthorized: credentials.rejectUnauthorized,
      ...(credentials.ca ? { ca: credentials.ca } : {}),
      ...(auth.cert && auth.key ? { cert: auth.cert, key: auth.key } : {}),
    };
    const options: RequestOptions = {
      method,
      hostname,
      port,
      path: `${base.pathname.replace(/\/$/, '')}${path}`,
      headers: {
        accept: 'application/json',
        ...auth.headers,
        ...(body === undefined ? {} : { 'content-type': contentType }),
      },
      timeout,
      // node:http destroys the request when it fires; the promise rejects with an AbortError.
      ...(signal ? { signal } : {}),
      ...tls,
      ...(credentials.tlsServerName ? { servername: credentials.tlsServerName } : {}),
      // proxy-url: every request through a CONNECT tunnel, TLS to the apiserver inside it
      // (verified against tls-server-name, else the server's host, as without a proxy).
      ...(credentials.proxy === undefined
        ? {}
        : {
            createConnection: tunnelThrough(credentials.proxy, {
              host: hostname,
              port,
              ...(base.protocol === 'https:'
                ? {
                    tls: {
                      ...tls,
                      host: hostname,
                      ...(credentials.tlsServerName
                        ? { servername: credentials.tlsServerName }
                        : isIP(hostname) === 0
                          ? { servername: hostname }
                          : {}),
                    },
                  }
                : {}),
            }) as RequestOptions['createConnection'],
          }),
    };
    const requester = base.protocol === 'https:' ? httpsRequest : httpRequest;
    return { options, requester, payload: body === undefined ? undefined : JSON.stringify(body) };
  };

  type Request = (
    method: string,
    path: string,
    body?: unknown,
    contentType?: string,
    signal?: AbortSignal,
  ) => Promise<unknown>;

  const once: Request = async (method, path, body, contentType, signal) => {
    const { options, requester, payload } = await send(method, path, body, contentType, timeoutMs, signal);
    return new Promise((resolve, reject) => {
      const req = requester(options, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            parsed = { message: text.slice(0, 500) };
          }
          const status = res.statusCode ?? 0;
          if (status >= 200 && status < 300) resolve(parsed);
          else reject(new KubeApiError(status, parsed));
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error(`${method} ${path} timed out`)));
      // Rejects with the signal's reason, so callers see why (shutdown, lost leadership).
      req.on('error', (error) => reject(signal?.aborted ? signal.reason : error));
      req.end(payload);
    });
  };

  const call: Request = async (method, path, body, contentType, signal) => {
    requests.byVerb[method] = (requests.byVerb[method] ?? 0) + 1;
    try {
      return await once(method, path, body, contentType, signal);
    } catch (error) {
      // 401: the credential expired or was revoked before its stated expiry (or stated none).
      // Fresh credentials get one more try, as kubectl does; a second 401 is the answer.
      if (!(error instanceof KubeApiError && error.status === 401 && credentials.invalidate())) throw error;
      return once(method, path, body, contentType, signal);
    }
  };

  // The one place a response becomes the ref's type: the apiserver answers with objects of it.
  const typed = <T extends KubeObject>(answer: Promise<unknown>) => answer as Promise<T>;

  const applyTo = <T extends KubeObject>(
    path: string,
    object: KubeObject,
    fieldManager: string,
    signal: AbortSignal | undefined,
  ) =>
    typed<T>(
      call(
        'PATCH',
        `${path}?fieldManager=${encodeURIComponent(fieldManager)}&force=true`,
        object,
        'application/apply-patch+yaml',
        signal,
      ),
    );

  return {
    requests,
    async get<T extends KubeObject>(
      ref: ResourceRef<T>,
      namespace: string | undefined,
      name: string,
      options?: CallOptions,
    ) {
      try {
        return await typed<T>(
          call('GET', resourcePath(ref, namespace, name), undefined, undefined, options?.signal),
        );
      } catch (error) {
        if (error instanceof KubeApiError && error.status === 404) return undefined;
        throw error;
      }
    },
    async list<T extends KubeObject>(
      ref: ResourceRef<T>,
      namespace?: string,
      labelSelector?: string,
      options?: CallOptions,
    ) {
      const items: T[] = [];
      let token: string | undefined;
      for (;;) {
        const query = new URLSearchParams({ limit: String(pageSize) });
        if (labelSelector) query.set('labelSelector', labelSelector);
        if (token) query.set('continue', token);
        const page = (await call(
          'GET',
          `${resourcePath(ref, namespace)}?${query}`,
          undefined,
          undefined,
          options?.signal,
        )) as {
          items?: T[];
          metadata: { resourceVersion: string; continue?: string };
        };
        items.push(...(page.items ?? []));
        token = page.metadata.continue;
        // Every page is of the first page's snapshot, so the last one's version is the list's.
        if (!token) return { items, resourceVersion: page.metadata.resourceVersion };
      }
    },
    watch<T extends KubeObject>(
      ref: ResourceRef<T>,
      resourceVersion: string,
      onEvent: (event: WatchEvent<T>) => void,
      namespace?: string,
      labelSelector?: string,
    ) {
      let request: ReturnType<typeof httpsRequest> | undefined;
      let stopped = false;
      const ended = (async () => {
        const selector = labelSelector ? `&labelSelector=${encodeURIComponent(labelSelector)}` : '';
        const query = `?watch=1&allowWatchBookmarks=true&resourceVersion=${encodeURIComponent(resourceVersion)}&timeoutSeconds=300${selector}`;
        const { options, requester } = await send(
          'GET',
          `${resourcePath(ref, namespace)}${query}`,
          undefined,
          undefined,
          0,
        );
        if (stopped) return;
        await new Promise<void>((resolve, reject) => {
          const abandon = (error: KubeWatchError) => {
            stopped = true;
            request?.destroy();
            reject(error);
          };
          request = requester(options, (res) => {
            if ((res.statusCode ?? 0) >= 300) {
              const chunks: Buffer[] = [];
              res.on('data', (chunk: Buffer) => chunks.push(chunk));
              res.on('end', () => {
                let body: unknown;
                try {
                  body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
                } catch {
                  body = undefined;
                }
                const error = new KubeApiError(res.statusCode ?? 0, body);
                // Fresh credentials for the watch that follows; the caller restarts it.
                if (error.status === 401) credentials.invalidate();
                reject(error);
              });
              return;
            }
            let buffered = '';
            res.setEncoding('utf8');
            res.on('data', (chunk: string) => {
              buffered += chunk;
              let newline = buffered.indexOf('\n');
              while (newline >= 0 && !stopped) {
                const line = buffered.slice(0, newline).trim();
                buffered = buffered.slice(newline + 1);
                newline = buffered.indexOf('\n');
                if (!line) continue;
                // Thrown inside a socket callback, either would be an uncaught exception.
                const event = parseWatchLine(line) as WatchEvent<T> | undefined;
                if (event === undefined) {
                  abandon(
                    new KubeWatchError(
                      'WATCH_MALFORMED_EVENT',
                      `watch ${ref.plural}: not a watch event: ${line.slice(0, 200)}`,
                    ),
                  );
                  return;
                }
                try {
                  onEvent(event);
                } catch (error) {
                  abandon(
                    new KubeWatchError('WATCH_HANDLER_FAILED', `watch ${ref.plural}: event handler failed`, {
                      cause: error,
                    }),
                  );
                  return;
                }
              }
            });
            res.on('end', () => resolve());
            res.on('error', (error) => (stopped ? resolve() : reject(error)));
            res.on('aborted', () => (stopped ? resolve() : reject(new Error('watch aborted'))));
          });
          request.on('error', (error) => (stopped ? resolve() : reject(error)));
          request.end();
        });
      })();
      return {
        ended,
        stop() {
          stopped = true;
          request?.destroy();
        },
      };
    },
    apply: <T extends KubeObject>(
      ref: ResourceRef<T>,
      object: KubeObject,
      fieldManager: string,
      options?: CallOptions,
    ) =>
      applyTo<T>(
        resourcePath(ref, object.metadata.namespace, object.metadata.name),
        object,
        fieldManager,
        options?.signal,
      ),
    applyStatus: <T extends KubeObject>(
      ref: ResourceRef<T>,
      object: KubeObject,
      fieldManager: string,
      options?: CallOptions,
    ) =>
      applyTo<T>(
        resourcePath(ref, object.metadata.namespace, object.metadata.name, 'status'),
        object,
        fieldManager,
        options?.signal,
      ),
    create: <T extends KubeObject>(ref: ResourceRef<T>, object: KubeObject, options?: CallOptions) =>
      typed<T>(
        call('POST', resourcePath(ref, object.metadata.namespace), object, undefined, options?.signal),
      ),
    replace: <T extends KubeObject>(ref: ResourceRef<T>, object: KubeObject, options?: CallOptions) =>
      typed<T>(
        call(
          'PUT',
          resourcePath(ref, object.metadata.namespace, object.metadata.name),
          object,
          undefined,
          options?.signal,
        ),
      ),
    async delete(ref, namespace, name, options) {
      try {
        await call('DELETE', resourcePath(ref, namespace, name), undefined, undefined, options?.signal);
      } catch (error) {
        if (!(error instanceof KubeApiError && error.status === 404)) throw error;
      }
    },
  };
}
