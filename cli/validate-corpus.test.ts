import { describe, expect, it } from 'vitest';
import { captureIo } from '../test/support/capture-io.ts';
import { corpusCases } from '../test/support/validate-corpus.ts';
import { checkSources } from './read-resources.ts';
import { runValidateCommand } from './validate-command.ts';

// The corpus whose verdicts test/kube/validate-parity.test.ts holds equal to the real
// apiserver's: here without a cluster, what `sluice validate` answers for each file, and
// what its apiserver layers (schema after defaults, CEL rules) alone answer.

const cases = await corpusCases();

describe('the validate corpus', () => {
  it('has cases of every verdict', () => {
    const count = (verdict: string) => cases.filter((c) => c.verdict === verdict).length;
    expect([count('accepted'), count('rejected'), count('operator-rejects')].every((n) => n > 0)).toBe(true);
  });

  it.each(cases)('$name', async ({ verdict, path, text }) => {
    const io = captureIo();
    const code = await runValidateCommand([path], io);
    expect(code, io.out()).toBe(verdict === 'accepted' ? 0 : 1);
    const apiserverLayers = checkSources([{ name: path, text }]).issues;
    expect(apiserverLayers.length === 0, JSON.stringify(apiserverLayers)).toBe(verdict !== 'rejected');
  });
});
