import { describe, expect, it } from 'vitest';
import { captureIo } from '../test/support/capture-io.ts';
import { runSluice } from './sluice-command.ts';

const sluice = async (...argv: string[]) => {
  const io = captureIo();
  const code = await runSluice(argv, io);
  return { code, out: io.out(), err: io.err() };
};

describe('sluice', () => {
  it.each([['--help'], ['-h'], ['help']])('prints the commands on %s, exit 0', async (flag) => {
    const result = await sluice(flag);
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    for (const command of ['gateway', 'operator', 'pipeline', 'validate', 'render']) {
      expect(result.out).toContain(`\n  ${command} `);
    }
  });

  it('prints usage on stderr for an unknown command, exit 2', async () => {
    const result = await sluice('deploy');
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toMatch(/^unknown command: deploy\n\nusage: sluice COMMAND/);
  });

  it('prints usage on stderr without a command, exit 2', async () => {
    const result = await sluice();
    expect(result.code).toBe(2);
    expect(result.err).toMatch(/^usage: sluice COMMAND/);
  });

  it.each([
    ['gateway', 'usage: sluice gateway --config FILE'],
    ['operator', 'usage: sluice operator [--namespaces'],
    ['pipeline', 'usage: sluice pipeline --config FILE --repo NAME'],
    ['validate', 'usage: sluice validate [-f] FILE|DIR|-'],
    ['render', 'usage: sluice render'],
  ])('%s --help prints its usage, exit 0', async (command, usage) => {
    const result = await sluice(command, '--help');
    expect(result.code).toBe(0);
    expect(result.out.startsWith(usage)).toBe(true);
  });

  it.each([['gateway'], ['operator'], ['pipeline'], ['validate'], ['render']])(
    '%s exits 2 on an unknown option',
    async (command) => {
      const result = await sluice(command, '--no-such-option');
      expect(result.code).toBe(2);
      expect(result.err).toContain("Unknown option '--no-such-option'");
    },
  );

  it('gateway without --config exits 2 with its usage on stderr', async () => {
    const saved = process.env.SLUICE_CONFIG;
    delete process.env.SLUICE_CONFIG;
    try {
      const result = await sluice('gateway');
      expect(result.code).toBe(2);
      expect(result.err).toMatch(/^usage: sluice gateway/);
    } finally {
      if (saved !== undefined) process.env.SLUICE_CONFIG = saved;
    }
  });
});
