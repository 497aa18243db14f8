import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpGetResult {
  readonly status: number;
  readonly body: string;
}

export interface HttpGetOptions {
  readonly timeoutMs: number;
  /** Bodies longer than this are refused: a pod cannot make the operator buffer without bound. */
  readonly maxBytes: number;
  readonly signal?: AbortSignal;
}

export type HttpGet = (url: string, options: HttpGetOptions) => Promise<HttpGetResult>;

/**
 * GET a gateway pod's status or metrics. One attempt, no redirects, no keep-alive (a poll
 * round is short and pods come and go), bounded by a timeout covering connect and body and by
 * a maximum size. Rejects with an Error whose message says what happened, never with a body.
 * Over HTTPS the pod's certificate is not verified: the operator reads public status only and
 * sends nothing secret; the pods' clients verify it.
 */
export const httpGet: HttpGet = (url, options) =>
  new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = (target.protocol === 'https:' ? httpsRequest : httpRequest)(
      target,
      {
        method: 'GET',
        agent: false,
        headers: { accept: 'application/json, text/plain' },
        ...(target.protocol === 'https:' ? { rejectUnauthorized: false } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > options.maxBytes) {
            request.destroy(new Error(`answer larger than ${options.maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        response.on('end', () =>
          resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        response.on('error', reject);
      },
    );
    const timer = setTimeout(
      () => request.destroy(new Error(`no answer within ${options.timeoutMs} ms`)),
      options.timeoutMs,
    );
    timer.unref();
    request.on('error', (error) => reject(new Error((error as Error).message)));
    request.on('close', () => clearTimeout(timer));
    request.end();
  });
