import type { ConfigIssue } from './parse-config.ts';

/** A config the gateway refused to load: which revision, when, and the gateway's own words. */
export interface RejectedReload {
  /** The revision the refused file declares, when it declares one. */
  readonly revision?: string;
  /** RFC 3339. */
  readonly at: string;
  /** `invalid` (the config does not validate) or `error` (unreadable, or failed while applying). */
  readonly result: 'invalid' | 'error';
  readonly message: string;
}

/** What `/status` says about reloads: the last rejection, until a later reload applies. */
export interface ReloadReport {
  readonly lastResult: 'applied' | 'invalid' | 'error' | 'none';
  readonly rejected: RejectedReload | null;
}

const MAX_MESSAGE_ISSUES = 3;
const MAX_MESSAGE_CHARS = 1024;

/**
 * The gateway's memory of its reloads, read by `/status`: the operator compares a rejected
 * revision with the one it rendered and shows the message on the LogRepo (ConfigApplied
 * False, ReloadRejected). A rejection is kept until a later config applies, so a pod still
 * serving the old config keeps saying why. Messages name config paths and schema words, never
 * file content or secret values.
 */
export class ReloadStatus {
  #report: ReloadReport = { lastResult: 'none', rejected: null };
  readonly #now: () => Date;

  constructor(now: () => Date = () => new Date()) {
    this.#now = now;
  }

  get report(): ReloadReport {
    return this.#report;
  }

  applied(): void {
    this.#report = { lastResult: 'applied', rejected: null };
  }

  rejected(result: 'invalid' | 'error', message: string, revision?: string): void {
    this.#report = {
      lastResult: result,
      rejected: {
        ...(revision === undefined ? {} : { revision }),
        at: this.#now().toISOString(),
        result,
        message: message.length > MAX_MESSAGE_CHARS ? `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…` : message,
      },
    };
  }
}

/** One line naming the first failing paths, as the rejection message. */
export function describeIssues(issues: readonly ConfigIssue[]): string {
  const shown = issues
    .slice(0, MAX_MESSAGE_ISSUES)
    .map((issue) => `${issue.path}: ${issue.message}`)
    .join('; ');
  const more = issues.length > MAX_MESSAGE_ISSUES ? ` (and ${issues.length - MAX_MESSAGE_ISSUES} more)` : '';
  return `${shown}${more}`;
}
