import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createSecureContext, type Server as TlsServer } from 'node:tls';
import type { Logger } from 'pino';
import type { ListenerTlsConfig } from '../../kernel/config-schema.ts';
import { WatchedFiles } from '../config/watched-files.ts';

export interface ListenerCertificate {
  readonly key: string;
  readonly cert: string;
}

export type CertificateRead =
  | { readonly ok: true; readonly certificate: ListenerCertificate; readonly digest: string }
  | { readonly ok: false; readonly message: string };

/**
 * Reads a key and certificate and checks that they make a usable TLS context (both PEM,
 * the key matching the certificate). Never throws; the message names files, never content.
 */
export async function readListenerCertificate(
  tls: ListenerTlsConfig,
  read: (path: string) => Promise<string> = (path) => readFile(path, 'utf8'),
): Promise<CertificateRead> {
  let certificate: ListenerCertificate;
  try {
    certificate = { cert: await read(tls.certFile), key: await read(tls.keyFile) };
  } catch (error) {
    return { ok: false, message: `cannot read the certificate files: ${(error as Error).message}` };
  }
  try {
    createSecureContext(certificate);
  } catch (error) {
    // OpenSSL's reason (e.g. key values mismatch), which never quotes the key.
    return {
      ok: false,
      message: `${tls.certFile} and ${tls.keyFile} are not a usable key and certificate: ${(error as Error).message}`,
    };
  }
  const digest = createHash('sha256')
    .update(certificate.cert)
    .update('\0')
    .update(certificate.key)
    .digest('hex');
  return { ok: true, certificate, digest };
}

export interface ListenerTlsOptions {
  readonly logger: Logger;
  /** Fallback re-read interval of the certificate files, for changes a watch missed. */
  readonly pollIntervalMs?: number;
}

/**
 * Keeps an HTTPS listener's certificate in step with its files: re-read on every config
 * reload and whenever a file changes (their directories are watched like the config's,
 * with a polling fallback). A new certificate goes in with `setSecureContext`: new
 * connections get it, open ones keep the one they negotiated, nothing restarts. A file
 * pair that is unreadable or does not match (say, one file written before the other)
 * keeps the certificate in use and is tried again on the next change or poll.
 */
export class ListenerTls {
  readonly initial: ListenerCertificate;
  readonly #options: ListenerTlsOptions;
  #config: ListenerTlsConfig;
  #digest: string;
  #server: TlsServer | undefined;
  readonly #files: WatchedFiles;
  #closed = false;
  #checking: Promise<boolean> = Promise.resolve(false);

  private constructor(
    config: ListenerTlsConfig,
    first: CertificateRead & { ok: true },
    options: ListenerTlsOptions,
  ) {
    this.#config = config;
    this.#options = options;
    this.initial = first.certificate;
    this.#digest = first.digest;
    this.#files = new WatchedFiles({
      logger: options.logger,
      onChange: () => void this.check(),
      pollIntervalMs: options.pollIntervalMs,
    });
  }

  /** Reads the first certificate; throws when it is unusable (the listener cannot start without one). */
  static async create(config: ListenerTlsConfig, options: ListenerTlsOptions): Promise<ListenerTls> {
    const first = await readListenerCertificate(config);
    if (!first.ok) throw new Error(`listener TLS: ${first.message}`);
    return new ListenerTls(config, first, options);
  }

  /** Starts following the files for `server` (the HTTPS server that was built with `initial`). */
  attach(server: TlsServer): void {
    this.#server = server;
    this.#watch();
  }

  /** Follows the files a reloaded config names (the same ones, or new paths) and re-reads them. */
  update(config: ListenerTlsConfig): Promise<boolean> {
    const moved = config.certFile !== this.#config.certFile || config.keyFile !== this.#config.keyFile;
    this.#config = config;
    if (moved) this.#watch();
    return this.check();
  }

  /** Re-reads the files; resolves true when a new certificate went in. Serialized. */
  check(): Promise<boolean> {
    const run = async () => {
      if (this.#closed || !this.#server) return false;
      const read = await readListenerCertificate(this.#config);
      if (!read.ok) {
        this.#options.logger.error(
          { certFile: this.#config.certFile, keyFile: this.#config.keyFile, reason: read.message },
          'listener certificate not reloaded; keeping the one in use',
        );
        return false;
      }
      if (read.digest === this.#digest) return false;
      this.#server.setSecureContext(read.certificate);
      this.#digest = read.digest;
      this.#options.logger.info({ certFile: this.#config.certFile }, 'listener certificate reloaded');
      return true;
    };
    this.#checking = this.#checking.then(run, run);
    return this.#checking;
  }

  close(): void {
    this.#closed = true;
    this.#files.close();
  }

  #watch(): void {
    if (!this.#closed && this.#server) this.#files.follow([this.#config.certFile, this.#config.keyFile]);
  }
}
