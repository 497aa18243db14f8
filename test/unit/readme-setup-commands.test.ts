import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The README's two set-up commands are a contract: CI (.ci/run) runs the test one verbatim,
// and users copy both. A rewrite of the README must keep them exactly.

const ROOT = join(import.meta.dirname, '..', '..');

describe('README.md', () => {
  it.each(['npm install && npm run demo', 'npm install && npm test'])(
    'shows `%s` as a command of its own',
    async (command) => {
      const readme = await readFile(join(ROOT, 'README.md'), 'utf8');
      expect(readme).toContain(`\`\`\`sh\n${command}\n\`\`\``);
    },
  );

  it('has its test command run verbatim, and nothing else, by .ci/run', async () => {
    const script = await readFile(join(ROOT, '.ci', 'run'), 'utf8');
    const commands = script
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'));
    // Shell options and the move to the repository root are set-up, not commands of their own.
    expect(commands.filter((line) => !/^(set |cd )/.test(line))).toEqual(['npm install && npm test']);
  });
});
