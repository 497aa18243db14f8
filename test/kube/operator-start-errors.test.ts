import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { runSluice } from '../../cli/sluice-command.ts';
import { captureIo } from '../support/capture-io.ts';

// `sluice operator` against the real apiserver with a kubeconfig that is wrong in the ways
// people get it wrong: one line naming the problem and the remedy, exit 1, no stack trace.
// Each variant is the test cluster's own kubeconfig with one thing changed; the operator
// stops at its first request, so nothing is started.

type Kubeconfig = {
  clusters: Array<{ cluster: Record<string, unknown> }>;
  users: Array<{ user: Record<string, unknown> }>;
};

let dir: string;
let original: Kubeconfig;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-operator-start-'));
  original = parse(await readFile(inject('kubeconfig'), 'utf8')) as Kubeconfig;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function variant(name: string, change: (config: Kubeconfig) => void): Promise<string> {
  const config = structuredClone(original);
  change(config);
  const path = join(dir, name);
  await writeFile(path, stringify(config));
  return path;
}

describe('sluice operator on a real apiserver with a wrong kubeconfig', () => {
  it.each([
    {
      name: 'a token the apiserver does not know',
      change: (config: Kubeconfig) => {
        for (const entry of config.users) entry.user = { token: 'not-a-token' };
      },
      line: /^sluice operator: the apiserver at \S+ answered 401 Unauthorized; the apiserver refused the credentials/,
    },
    {
      name: 'no CA for a server whose certificate a public CA did not sign',
      change: (config: Kubeconfig) => {
        for (const entry of config.clusters) delete entry.cluster['certificate-authority'];
      },
      line: /^sluice operator: TLS with the apiserver at \S+ failed \(\w+: .*\); check the cluster's certificate-authority/,
    },
  ])('$name: one line, exit 1', async ({ name, change, line }) => {
    const kubeconfig = await variant(name.replaceAll(' ', '-'), change);
    const io = captureIo();
    const code = await runSluice(['operator', '--kubeconfig', kubeconfig, '--route-provider', 'none'], io);
    expect(code).toBe(1);
    expect(io.err()).toMatch(line);
    expect(io.err().trimEnd().split('\n')).toHaveLength(1);
    expect(io.out()).toBe('');
  });
});
