// `node bench/cpu-profile-top.ts FILE.cpuprofile [N]`: the N functions with the most self
// time in a V8 CPU profile (from `node --cpu-prof`), to find what the gateway's hot path
// spends its time on. Pure core (`topSelfTime`, `renderTop`), thin file-reading edge.

import { readFile } from 'node:fs/promises';

/** The parts of the `.cpuprofile` JSON (Chrome DevTools Profile) this reads. */
export interface CpuProfile {
  readonly nodes: readonly {
    readonly id: number;
    readonly callFrame: {
      readonly functionName: string;
      readonly url: string;
      readonly lineNumber: number;
    };
    readonly hitCount?: number;
  }[];
  readonly samples?: readonly number[];
  /** Microseconds since the previous sample; the first is since `startTime`. */
  readonly timeDeltas?: readonly number[];
}

export interface SelfTime {
  /** `function (file:line)`; one row per distinct function, summed over call paths. */
  readonly frame: string;
  readonly selfMs: number;
  /** Share of all sampled time, 0..1. */
  readonly share: number;
}

/** Strips the checkout's absolute prefix so rows read `gateway/…` or `node_modules/…`. */
function shortUrl(url: string): string {
  const marker = url.lastIndexOf('/node_modules/');
  if (marker >= 0) return url.slice(marker + 1);
  const gateway = url.search(/\/(gateway|bench|test)\//);
  if (gateway >= 0) return url.slice(gateway + 1);
  return url.replace(/^file:\/\//, '');
}

function frameName(frame: CpuProfile['nodes'][number]['callFrame']): string {
  const name = frame.functionName === '' ? '(anonymous)' : frame.functionName;
  if (frame.url === '') return name;
  // lineNumber is 0-based in the profile format.
  return `${name} (${shortUrl(frame.url)}:${frame.lineNumber + 1})`;
}

/**
 * Self time per function, most first. Each sample's time (its delta) goes to the node it
 * hit; without samples, hit counts stand in (as equal-weight samples of 1 ms).
 */
export function topSelfTime(profile: CpuProfile, n: number): SelfTime[] {
  const selfUs = new Map<number, number>();
  const { samples, timeDeltas } = profile;
  if (samples !== undefined && timeDeltas !== undefined && samples.length > 0) {
    for (let i = 0; i < samples.length; i++) {
      const id = samples[i] as number;
      selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, timeDeltas[i] ?? 0));
    }
  } else {
    for (const node of profile.nodes) selfUs.set(node.id, (node.hitCount ?? 0) * 1000);
  }
  const byFrame = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const frame = frameName(node.callFrame);
    byFrame.set(frame, (byFrame.get(frame) ?? 0) + us);
    total += us;
  }
  return [...byFrame]
    .sort(([fa, a], [fb, b]) => b - a || fa.localeCompare(fb))
    .slice(0, n)
    .map(([frame, us]) => ({ frame, selfMs: us / 1000, share: total > 0 ? us / total : 0 }));
}

/** One row per function: self ms, share, frame. */
export function renderTop(rows: readonly SelfTime[]): string {
  const lines = rows.map(
    (row) =>
      `${row.selfMs.toFixed(0).padStart(8)} ms ${(row.share * 100).toFixed(1).padStart(5)} %  ${row.frame}`,
  );
  return `${['  self ms  share  function (file:line)', ...lines].join('\n')}\n`;
}

if (import.meta.main) {
  const [file, count = '25'] = process.argv.slice(2);
  if (file === undefined) {
    process.stderr.write('usage: node bench/cpu-profile-top.ts FILE.cpuprofile [N]\n');
    process.exitCode = 2;
  } else {
    const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
    process.stdout.write(renderTop(topSelfTime(profile, Number(count))));
  }
}
