import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkSources } from '../../cli/read-resources.ts';
import { kubectl, kubectlOk } from '../infra/kubectl.ts';
import { celRuleMessages, corpusCases } from '../support/validate-corpus.ts';

// `sluice validate` rejects locally what the apiserver would reject: on every manifest of
// test/validate-corpus/, the verdict of validate's apiserver layers (the CRD schema after
// defaults, and the CRDs' CEL rules through @bufbuild/cel) equals the real kube-apiserver's
// in a server-side dry run with strict field validation (kubectl's default), the full
// admission path with the generated CRDs the kube global setup installed. Where both
// reject, every field validate names, or its parent, is named by the apiserver, and every
// CEL message validate prints is one the apiserver prints too — unless the apiserver
// stopped at schema errors and left the rules unchecked (it says so), where validate
// reports what the apiserver would say only on the next try.

const ns = `validate-parity-${Date.now().toString(36)}`;
const cases = await corpusCases();
const celMessages = celRuleMessages();

beforeAll(async () => {
  await kubectlOk(['create', 'namespace', ns]);
});
afterAll(async () => {
  await kubectl(['delete', 'namespace', ns, '--wait=false']);
});

/** `/spec/executers/0/field` as the apiserver writes it: `spec.executers[0].field`. */
const apiserverPath = (path: string) =>
  path
    .replace(/^\//, '')
    .split('/')
    .map((part, index) => (/^\d+$/.test(part) ? `[${part}]` : index === 0 ? part : `.${part}`))
    .join('');
const parent = (path: string) => path.replace(/\/[^/]+$/, '');

describe('sluice validate and the apiserver agree', () => {
  it('reports at once the CEL rules the apiserver leaves unchecked behind schema errors', async () => {
    const several = cases.find((c) => c.name === 'rejected/repo-several-rules.yaml');
    if (several === undefined) throw new Error('corpus case rejected/repo-several-rules.yaml is missing');
    const dryRun = await kubectl(['create', '--dry-run=server', '--validate=strict', '-n', ns, '-f', '-'], {
      input: several.text,
    });
    expect(dryRun.stderr).toContain('some validation rules were not checked');
    expect(dryRun.stderr).not.toContain('deadLetter.topic must differ from kafka.topic');
    expect(checkSources([{ name: several.path, text: several.text }]).issues.map((i) => i.message)).toContain(
      'deadLetter.topic must differ from kafka.topic',
    );
  });

  it.each(cases)('$name', async ({ name, path, text }) => {
    const dryRun = await kubectl(['create', '--dry-run=server', '--validate=strict', '-n', ns, '-f', '-'], {
      input: text,
    });
    const issues = checkSources([{ name: path, text }]).issues;
    const apiserverAccepts = dryRun.code === 0;
    expect({ name, validateAccepts: issues.length === 0, apiserverAccepts }).toEqual({
      name,
      validateAccepts: apiserverAccepts,
      apiserverAccepts,
    });
    if (apiserverAccepts) return;
    const rulesChecked = !dryRun.stderr.includes('some validation rules were not checked');
    for (const issue of issues) {
      if (celMessages.has(issue.message) && rulesChecked) expect(dryRun.stderr).toContain(issue.message);
      if (celMessages.has(issue.message) && !rulesChecked) continue;
      const named = [apiserverPath(issue.path), apiserverPath(parent(issue.path))];
      expect(
        named.some((field) => dryRun.stderr.includes(field)),
        `${issue.path} (${issue.message}) in: ${dryRun.stderr}`,
      ).toBe(true);
    }
  });
});
