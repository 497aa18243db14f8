import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ensureHadolint } from '../infra/hadolint.ts';
import { runCommand } from '../infra/system-tools.ts';

// The image cannot be built here (no container engine on the build machines), so its
// Dockerfile is held to a linter and to the promises the docs make about it.
const DOCKERFILE = fileURLToPath(new URL('../../Dockerfile', import.meta.url));
const text = readFileSync(DOCKERFILE, 'utf8');

describe('Dockerfile', () => {
  it('passes hadolint with no finding', async () => {
    const hadolint = await ensureHadolint();
    const result = await runCommand(hadolint, ['--no-color', DOCKERFILE], { timeoutMs: 60_000 });
    expect({ code: result.code, findings: result.stdout.trim() }).toEqual({ code: 0, findings: '' });
  }, 300_000);

  it.each([
    ['a Node.js 24 slim base', /^ARG NODE_IMAGE=node:24-slim$/m],
    [
      'the runtime copying only node_modules from the dependency stage',
      /COPY --from=deps \/app\/node_modules/,
    ],
    ['the sources compiled to JavaScript', /^RUN npx tsc -p tsconfig\.build\.json$/m],
    ['the librdkafka addon built with dynamic linking', /CKJS_LINKING=dynamic .*node-gyp\.js rebuild/],
    ['production dependencies only', /npm install --omit=dev/],
    ['a numeric non-root user', /^USER 10001:10001$/m],
    [
      'Node as PID 1 with no shell between (exec-form entrypoint)',
      /^ENTRYPOINT \["node", "bin\/sluice\.js"\]$/m,
    ],
    [
      'the gateway as the default command',
      /^CMD \["gateway", "--config", "\/etc\/sluice\/config\/gateway\.yaml"\]$/m,
    ],
  ])('has %s', (_, pattern) => {
    expect(text).toMatch(pattern);
  });
});
