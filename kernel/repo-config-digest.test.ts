import { describe, expect, it } from 'vitest';
import { repoConfigDigest, repoConfigDigests } from './repo-config-digest.ts';

const producer = { type: 'kafka', brokers: ['k:9092'] };

describe('repoConfigDigests', () => {
  it.each([
    ['not an object', 'text', []],
    ['no repos', { producers: { p: producer } }, []],
    ['a repo whose producer is missing', { producers: {}, repos: { a: { producer: 'p', topic: 't' } } }, []],
    ['a repo without a producer name', { producers: { p: producer }, repos: { a: { topic: 't' } } }, []],
    [
      'two repos on one producer',
      {
        producers: { p: producer },
        repos: { a: { producer: 'p', topic: 't' }, b: { producer: 'p', topic: 'u' } },
      },
      ['a', 'b'],
    ],
  ])('%s', (_name, raw, names) => {
    expect([...repoConfigDigests(raw).keys()]).toEqual(names);
  });

  it('moves with the repo or its producer, not with key order or other repos', () => {
    const repo = { producer: 'p', topic: 't', mode: 'sync' };
    const base = repoConfigDigest(repo, producer);
    expect(repoConfigDigest({ mode: 'sync', topic: 't', producer: 'p' }, producer)).toBe(base);
    expect(repoConfigDigest({ ...repo, topic: 'u' }, producer)).not.toBe(base);
    expect(repoConfigDigest(repo, { ...producer, acks: 1 })).not.toBe(base);
    const digests = repoConfigDigests({
      producers: { p: producer },
      repos: { a: repo, z: { producer: 'p', topic: 'z' } },
    });
    expect(digests.get('a')).toBe(base);
  });
});
