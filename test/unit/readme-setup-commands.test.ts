import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The README's two set-up commands are a contract: CI (.ci/run) runs the test one verbatim,
// and users copy both. A rewrite of the README must keep them exactly.

describe('README.md', () => {
  it.each(['npm install && npm run demo', 'npm install && npm test'])(
    'shows `%s` as a command of its own',
    async (command) => {
      const readme = await readFile(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');
      expect(readme).toContain(`\`\`\`sh\n${command}\n\`\`\``);
    },
  );
});
