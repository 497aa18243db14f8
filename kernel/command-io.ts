import type { Readable, Writable } from 'node:stream';

/** The standard streams a `sluice` subcommand runs with: the process's, or in-memory ones in tests. */
export interface CommandIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
}
