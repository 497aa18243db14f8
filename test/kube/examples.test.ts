import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { kubectl, kubectlOk } from '../infra/kubectl.ts';
import {
  type ExampleDocument,
  type ExampleFile,
  exampleFiles,
  inNamespace,
  REPO_ROOT,
} from '../support/example-files.ts';

// Real kube-apiserver with the generated CRDs (the kube global setup installs crds/): every
// example manifest is accepted as a user would apply it — a server-side dry run first (the
// full admission path: schema, defaults, CEL rules), then for real — and so is the whole
// GitOps base as `kubectl kustomize` builds it. The examples say `namespace: logs`; each
// run moves them into a namespace of its own. Argo CD and Flux objects are left to the unit
// test (their CRDs are not installed here); no operator runs, so only apiserver acceptance
// is checked, not status.

const ns = `examples-${Date.now().toString(36)}`;
const EXAMPLE_NAMESPACE = 'logs';

let files: ExampleFile[];
beforeAll(async () => {
  files = (await exampleFiles()).filter((file) => file.kind === 'sluice' || file.kind === 'core');
  // Created by apply, as the example's Namespace object will be applied over it.
  await kubectlOk(['apply', '-f', '-'], {
    input: toYaml([{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } }]),
  });
});
afterAll(async () => {
  await kubectl(['delete', 'namespace', ns, '--wait=false']);
});

const toYaml = (documents: readonly ExampleDocument[]) =>
  documents.map((document) => stringify(document)).join('---\n');

describe('examples/ on the real apiserver', () => {
  it('has Sluice objects, Secrets and a Namespace to apply', () => {
    const kinds = new Set(files.flatMap((file) => file.documents.map((document) => document.kind)));
    expect([...kinds].sort()).toEqual(['GatewayFleet', 'KafkaProducer', 'LogRepo', 'Namespace', 'Secret']);
  });

  it('accepts every manifest: server-side dry run, then applied for real', async () => {
    for (const file of files) {
      const yaml = toYaml(inNamespace(file.documents, EXAMPLE_NAMESPACE, ns));
      const dryRun = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: yaml });
      expect(dryRun.stderr, file.path).toBe('');
      expect(dryRun.code, file.path).toBe(0);
      const applied = await kubectlOk(['apply', '-f', '-'], { input: yaml });
      expect(applied, file.path).toMatch(/(created|configured|unchanged)/);
    }
    const expected = (kind: string) =>
      files
        .flatMap((file) => file.documents)
        .filter((document) => document.kind === kind)
        .map((document) => document.metadata?.name)
        .sort();
    const names = async (resource: string) =>
      (await kubectlOk(['get', resource, '-n', ns, '-o', 'jsonpath={.items[*].metadata.name}']))
        .split(' ')
        .filter(Boolean)
        .sort();
    expect(await names('logrepos')).toEqual(expected('LogRepo'));
    expect(await names('kafkaproducers')).toEqual(expected('KafkaProducer'));
    expect(await names('gatewayfleets')).toEqual(expected('GatewayFleet'));
    const secrets = await names('secrets');
    for (const name of expected('Secret')) expect(secrets).toContain(name);
  });

  it('stores them with the CRD defaults filled in', async () => {
    const billing = JSON.parse(await kubectlOk(['get', 'kafkaproducer', 'billing', '-n', ns, '-o', 'json']));
    expect(billing.spec).toMatchObject({
      compression: 'zstd',
      acks: 'all',
      idempotent: true,
      batch: { maxMessages: 500, lingerMs: 2, maxBytes: 1048576 },
    });
    const secure = JSON.parse(await kubectlOk(['get', 'kafkaproducer', 'secure', '-n', ns, '-o', 'json']));
    expect(secure.spec.sasl).toEqual({
      mechanism: 'scram-sha-512',
      secretRef: { name: 'kafka-credentials', usernameKey: 'username', passwordKey: 'password' },
    });
    const table = await kubectlOk(['get', 'logrepos', '-n', ns]);
    expect(table).toMatch(/billing\s+billing\s+billing\.events\s+sync/);
    expect(table).toMatch(/app-errors\s+apps\s+app\.errors\s+async/);
  });

  it('accepts the GitOps base as `kubectl kustomize` builds it', async () => {
    const built = await kubectlOk(['kustomize', `${REPO_ROOT}/examples/gitops/base`]);
    const documents = parseAllDocuments(built).map((document) => document.toJS() as ExampleDocument);
    const kinds = documents.map((document) => `${document.kind}/${document.metadata?.name}`).sort();
    expect(kinds).toEqual(
      files
        // The namespace's fleet is a choice of its own, not part of the GitOps base.
        .filter((file) => file.dir !== 'quickstart' && file.dir !== 'gateway-fleet')
        .flatMap((file) => file.documents.map((document) => `${document.kind}/${document.metadata?.name}`))
        .sort(),
    );
    for (const document of documents) {
      expect((document.metadata as { labels?: object }).labels).toMatchObject({
        'app.kubernetes.io/part-of': 'sluice-examples',
      });
    }
    const yaml = toYaml(inNamespace(documents, EXAMPLE_NAMESPACE, ns));
    const dryRun = await kubectl(['apply', '--dry-run=server', '-f', '-'], { input: yaml });
    expect(dryRun.stderr).toBe('');
    expect(dryRun.code).toBe(0);
  });
});
