import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { envText, gatewayCommandLine, parseImageRuntime } from './image-runtime.ts';

const dockerfile = (body: string) => `FROM node:24-slim AS deps\nENV NODE_OPTIONS=--wrong\n${body}`;

describe('parseImageRuntime', () => {
  it.each([
    [
      'plain ENV',
      'FROM x\nENV NODE_OPTIONS=--max-semi-space-size=8\nENTRYPOINT ["node", "a.ts"]\nCMD ["gateway"]',
      '--max-semi-space-size=8',
    ],
    [
      'continued ENV with quotes',
      'FROM x\nENV A=1 \\\n    NODE_OPTIONS="--x=1 --y=2"\nENTRYPOINT ["node", "a.ts"]\nCMD ["gateway"]',
      '--x=1 --y=2',
    ],
    ['no NODE_OPTIONS in the final stage', 'FROM x\nENTRYPOINT ["node", "a.ts"]\nCMD ["gateway"]', undefined],
  ])('%s', (_name, body, nodeOptions) => {
    const parsed = parseImageRuntime(dockerfile(body));
    expect(parsed).toMatchObject({ ok: true, runtime: { entrypoint: ['node', 'a.ts'] } });
    if (parsed.ok) expect(parsed.runtime.env.NODE_OPTIONS).toBe(nodeOptions);
  });

  it.each([
    ['pairs, one quoted', 'ENV A=1 B="two words" C=', { A: '1', B: 'two words', C: '' }],
    ['the legacy form', 'ENV A some value', { A: 'some value' }],
    ['a later ENV wins', 'ENV A=1 B=2\nENV A=3', { A: '3', B: '2' }],
  ])('the environment of the final stage: %s', (_name, lines, env) => {
    const parsed = parseImageRuntime(dockerfile(`FROM x\n${lines}\nENTRYPOINT ["node", "a.ts"]\nCMD ["g"]`));
    expect(parsed).toMatchObject({ ok: true, runtime: { env } });
    if (parsed.ok) expect(Object.keys(parsed.runtime.env)).toEqual(Object.keys(env));
  });

  it.each([
    ['no ENTRYPOINT', 'FROM x\nCMD ["gateway"]', /ENTRYPOINT/],
    ['shell-form CMD', 'FROM x\nENTRYPOINT ["node", "a.ts"]\nCMD gateway', /CMD/],
  ])('refuses %s', (_name, body, message) => {
    const parsed = parseImageRuntime(dockerfile(body));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.message).toMatch(message);
  });

  it("reads the project's Dockerfile: the gateway subcommand under the image's NODE_OPTIONS", () => {
    const parsed = parseImageRuntime(readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8'));
    if (!parsed.ok) throw new Error(parsed.message);
    expect(parsed.runtime.env.NODE_OPTIONS).toMatch(/--max-semi-space-size=\d+/);
    expect(parsed.runtime.env.NODE_ENV).toBe('production');
    expect(gatewayCommandLine(parsed.runtime, '/tmp/g.yaml')).toEqual([
      'bin/sluice.js',
      'gateway',
      '--config',
      '/tmp/g.yaml',
    ]);
  });

  it('prints the environment as a shell line', () => {
    expect(envText({ NODE_ENV: 'production', NODE_OPTIONS: '--a=1 --b', EMPTY: '' })).toBe(
      'NODE_ENV=production NODE_OPTIONS="--a=1 --b" EMPTY=""',
    );
  });
});
