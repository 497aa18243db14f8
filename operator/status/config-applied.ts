import { CONDITION, REASON } from '../api/constants.ts';
import type { PodObservation } from '../observe/pod-report.ts';
import type { Track } from '../render/render-gateway-config.ts';
import type { DesiredCondition } from './conditions.ts';

/** One track that should carry a repo: what it should run, and what its ready pods said. */
export interface TrackExpectation {
  readonly track: Track;
  /** The repo's digest in the track's rendered config. */
  readonly digest: string;
  /** The revision of the track's rendered config (what a pod that refused it names). */
  readonly revision: string;
  /** The track's ready endpoints as the observer last saw them. */
  readonly pods: readonly PodObservation[];
}

export interface TrackCounts {
  /** Ready pods running the repo's current config. */
  readonly applied: number;
  /** Ready pods of the track (its Service's ready endpoints). */
  readonly ready: number;
}

export interface ConfigAppliedResult {
  readonly condition: DesiredCondition;
  readonly counts: Partial<Record<Track, TrackCounts>>;
  /**
   * Whether the repo is served as rendered: every track that should carry it has a ready pod
   * running its current config, and no pod refused that config. Ready is True only then.
   */
  readonly served: {
    readonly status: 'True' | 'False' | 'Unknown';
    readonly reason: DesiredCondition['reason'];
    readonly message: string;
  };
}

interface TrackTally {
  readonly track: Track;
  readonly ready: number;
  readonly applied: number;
  readonly unknown: number;
  readonly rejected: ReadonlyArray<{ readonly pod: string; readonly message: string }>;
}

function tally(repo: string, expectation: TrackExpectation): TrackTally {
  let applied = 0;
  let unknown = 0;
  const rejected: Array<{ pod: string; message: string }> = [];
  for (const pod of expectation.pods) {
    if (pod.state === 'unknown') {
      unknown += 1;
      continue;
    }
    if (pod.report.repos.get(repo) === expectation.digest) applied += 1;
    // It refused this very revision: not merely behind, it will not catch up by itself.
    else if (pod.report.rejected?.revision === expectation.revision) {
      rejected.push({ pod: pod.pod, message: pod.report.rejected.message });
    }
  }
  return { track: expectation.track, ready: expectation.pods.length, applied, unknown, rejected };
}

const summary = (tallies: readonly TrackTally[]) =>
  tallies.map((t) => `${t.track} ${t.applied}/${t.ready}`).join(', ');

/**
 * ConfigApplied for one repo from its pods' reports, and whether the repo is served. Pods that
 * do not answer are unknown, never failures by themselves: with every other pod current the
 * condition is Unknown, not False. Pure.
 *
 * - False `ReloadRejected`: a pod refused the revision carrying the repo's config (the
 *   gateway's message is quoted); it goes on serving the config it had.
 * - False `NoReadyPods`: a track that should carry the repo has no ready pod.
 * - False `Progressing`: some pods still run an older config of the repo.
 * - Unknown `PodsNotObserved`: the rest did not answer /status.
 * - True `Applied`: every ready pod of every such track runs it.
 */
export function configApplied(
  repo: string,
  expectations: readonly TrackExpectation[],
  observedGeneration: number,
): ConfigAppliedResult {
  const tallies = expectations.map((expectation) => tally(repo, expectation));
  const counts = Object.fromEntries(
    tallies.map((t) => [t.track, { applied: t.applied, ready: t.ready }]),
  ) as Partial<Record<Track, TrackCounts>>;
  const condition = (
    status: DesiredCondition['status'],
    reason: DesiredCondition['reason'],
    message: string,
  ) => ({
    type: CONDITION.configApplied,
    status,
    reason,
    message,
    observedGeneration,
  });
  const rejected = tallies.flatMap((t) => t.rejected.map((r) => ({ ...r, track: t.track })));
  const empty = tallies.filter((t) => t.ready === 0);
  const everyTrackServes = tallies.every((t) => t.applied > 0);

  if (rejected.length > 0) {
    const first = rejected[0] as (typeof rejected)[number];
    const message = `${rejected.length} pod(s) refused the config carrying this repo and keep serving the previous one; ${first.track} pod ${first.pod} said: ${first.message} (${summary(tallies)} run the current config)`;
    return {
      condition: condition('False', REASON.reloadRejected, message),
      counts,
      served: { status: 'False', reason: REASON.reloadRejected, message },
    };
  }
  if (empty.length > 0) {
    const message = `no ready pod on the ${empty.map((t) => t.track).join(' and ')} track, which should carry this repo`;
    return {
      condition: condition('False', REASON.noReadyPods, message),
      counts,
      served: { status: 'False', reason: REASON.noReadyPods, message },
    };
  }
  const behind = tallies.filter((t) => t.applied + t.unknown < t.ready);
  const servedNow = everyTrackServes
    ? ({
        status: 'True',
        reason: REASON.applied,
        message: `served by pods running its current config (${summary(tallies)})`,
      } as const)
    : undefined;
  if (behind.length > 0) {
    const message = `pods are catching up: ${summary(tallies)} run the current config`;
    return {
      condition: condition('False', REASON.progressing, message),
      counts,
      served: servedNow ?? { status: 'False', reason: REASON.progressing, message },
    };
  }
  const unknown = tallies.reduce((sum, t) => sum + t.unknown, 0);
  if (unknown > 0) {
    const message = `${unknown} ready pod(s) did not answer /status; ${summary(tallies)} confirmed the current config`;
    return {
      condition: condition('Unknown', REASON.podsNotObserved, message),
      counts,
      served: servedNow ?? { status: 'Unknown', reason: REASON.podsNotObserved, message },
    };
  }
  const message = `every ready pod runs the current config (${summary(tallies)})`;
  return {
    condition: condition('True', REASON.applied, message),
    counts,
    served: { status: 'True', reason: REASON.applied, message },
  };
}
