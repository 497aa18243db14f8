import { connect, type Socket } from 'node:net';

// HTTP/1.1 over a plain socket, for requests no well-behaved client would send: malformed
// chunked encoding, conflicting length headers, dripping bytes, headers beyond limits.

export interface RawAnswer {
  /** Status of the first response, or null when the server closed without answering. */
  readonly status: number | null;
  /** Everything received (all responses), as latin1 text. */
  readonly text: string;
  /** The server closed the connection (as opposed to the client giving up). */
  readonly closedByServer: boolean;
  /** The connection was reset (ECONNRESET/EPIPE) rather than closed in order. */
  readonly reset: boolean;
  readonly elapsedMs: number;
}

export interface RawTarget {
  readonly host: string;
  readonly port: number;
}

export function targetOf(url: string): RawTarget {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port) };
}

/**
 * Opens a connection, lets `send` write to it (write errors after the server answered and
 * closed are expected and ignored), and collects what comes back until the server closes
 * the connection or `timeoutMs` passes.
 */
export function rawExchange(
  target: RawTarget,
  send: (socket: Socket) => Promise<void> | void,
  timeoutMs: number,
): Promise<RawAnswer> {
  return new Promise((resolve) => {
    const started = performance.now();
    const socket = connect(target.port, target.host);
    const chunks: Buffer[] = [];
    let settled = false;
    let reset = false;
    const finish = (closedByServer: boolean) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const text = Buffer.concat(chunks).toString('latin1');
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({
        status: match ? Number(match[1]) : null,
        text,
        closedByServer,
        reset,
        elapsedMs: performance.now() - started,
      });
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('close', () => finish(true));
    socket.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'ECONNRESET' || error.code === 'EPIPE') reset = true;
    });
    socket.on('connect', () => {
      void Promise.resolve()
        .then(() => send(socket))
        .catch(() => undefined);
    });
  });
}

/** Writes and waits for the socket to take the bytes; rejects once the socket is gone. */
export function write(socket: Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    if (socket.destroyed) {
      reject(new Error('socket closed'));
      return;
    }
    socket.write(data, (error) => (error ? reject(error) : resolve()));
  });
}

/** Request head for `POST path` with the given header lines (no trailing blank line added twice). */
export function head(path: string, headers: readonly string[]): string {
  return `POST ${path} HTTP/1.1\r\nHost: sluice\r\n${headers.map((line) => `${line}\r\n`).join('')}\r\n`;
}
