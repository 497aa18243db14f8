import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { imageProcessOf } from '../infra/kubelet-stand-in.ts';
import { markedPid } from '../infra/pod-network.ts';
import { replaceDirectives } from '../infra/traefik.ts';

// The pure parts of the e2e harness: what the kubelet stand-in runs for the gateway image, and
// which leftover network names a later run may sweep.

describe('imageProcessOf (the kubelet stand-in runs what the Dockerfile states)', () => {
  it('reads the project Dockerfile: the last stage’s ENTRYPOINT + CMD and ENV', () => {
    const image = imageProcessOf(readFileSync(new URL('../../Dockerfile', import.meta.url), 'utf8'));
    expect(image.argv).toEqual([
      'node',
      'bin/sluice.js',
      'gateway',
      '--config',
      '/etc/sluice/config/gateway.yaml',
    ]);
    expect(image.env).toMatchObject({ NODE_ENV: 'production', NODE_OPTIONS: '--max-semi-space-size=8' });
  });

  it.each([
    {
      name: 'only the last stage counts',
      text: 'FROM a AS b\nENV X=1\nENTRYPOINT ["old"]\nFROM c\nENV Y=2\nENTRYPOINT ["new"]\n',
      want: { argv: ['new'], env: { Y: '2' } },
    },
    {
      name: 'continued ENV lines and quoted values',
      text: 'FROM c\nENV A=1 \\\n    B="two words"\nCMD ["x", "--y"]\n',
      want: { argv: ['x', '--y'], env: { A: '1', B: 'two words' } },
    },
    { name: 'nothing stated', text: 'FROM c\n', want: { argv: [], env: {} } },
  ])('$name', ({ text, want }) => {
    expect(imageProcessOf(text)).toEqual(want);
  });
});

describe('markedPid (the sweep touches only names this harness made)', () => {
  it.each([
    ['slcbr-4242', 4242],
    ['sluice-pod-4242-1-7', 4242],
    ['slv4242-12', 4242],
    ['sluice-pod-x-1', undefined],
    ['eth0', undefined],
    ['br-4242', undefined],
    ['slcbr4242', undefined],
  ])('%s → %s', (name, pid) => {
    expect(markedPid(name)).toBe(pid);
  });
});

describe('replaceDirectives (traefik-dist must repeat the release’s own)', () => {
  it.each([
    { goMod: 'module x\n', want: [] },
    {
      goMod: 'module x\nreplace (\n\tb => c v1.0.0 // why\n\ta   =>   d v2\n)\n',
      want: ['a => d v2', 'b => c v1.0.0'],
    },
    { goMod: 'module x\nreplace a => b v1\n', want: ['a => b v1'] },
  ])('$goMod', ({ goMod, want }) => {
    expect(replaceDirectives(goMod)).toEqual(want);
  });
});
