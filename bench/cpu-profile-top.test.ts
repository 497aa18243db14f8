import { describe, expect, it } from 'vitest';
import { type CpuProfile, renderTop, topSelfTime } from './cpu-profile-top.ts';

const frame = (functionName: string, url = '', lineNumber = 0) => ({ functionName, url, lineNumber });

const profile: CpuProfile = {
  nodes: [
    { id: 1, callFrame: frame('(root)') },
    { id: 2, callFrame: frame('forEachLine', 'file:///work/main/gateway/ingest/split-lines.ts', 26) },
    { id: 3, callFrame: frame('', 'file:///work/main/node_modules/kafkajs/src/index.js', 9) },
    // The same function reached through another call path: summed into one row.
    { id: 4, callFrame: frame('forEachLine', 'file:///work/main/gateway/ingest/split-lines.ts', 26) },
    { id: 5, callFrame: frame('(garbage collector)') },
  ],
  samples: [2, 3, 4, 5, 2, 1],
  timeDeltas: [1000, 3000, 2000, 500, 1000, 0],
};

describe('topSelfTime', () => {
  it('sums sample deltas per function, most first, with shortened file names', () => {
    expect(topSelfTime(profile, 10)).toEqual([
      { frame: 'forEachLine (gateway/ingest/split-lines.ts:27)', selfMs: 4, share: 4 / 7.5 },
      { frame: '(anonymous) (node_modules/kafkajs/src/index.js:10)', selfMs: 3, share: 3 / 7.5 },
      { frame: '(garbage collector)', selfMs: 0.5, share: 0.5 / 7.5 },
    ]);
  });

  it.each([0, 1, 2])('keeps at most %i rows', (n) => {
    expect(topSelfTime(profile, n)).toHaveLength(n);
  });

  it('falls back to hit counts when the profile has no samples', () => {
    const hits: CpuProfile = {
      nodes: [
        { id: 1, callFrame: frame('a'), hitCount: 1 },
        { id: 2, callFrame: frame('b'), hitCount: 3 },
      ],
    };
    expect(topSelfTime(hits, 5).map((row) => [row.frame, row.selfMs])).toEqual([
      ['b', 3],
      ['a', 1],
    ]);
  });

  it('renders one aligned row per function', () => {
    expect(renderTop(topSelfTime(profile, 1))).toBe(
      '  self ms  share  function (file:line)\n' +
        '       4 ms  53.3 %  forEachLine (gateway/ingest/split-lines.ts:27)\n',
    );
  });
});
