import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { captureIo } from '../test/support/capture-io.ts';
import { runRenderCommand } from './render-command.ts';

const QUICKSTART = [
  'examples/quickstart/kafka-producer.yaml',
  'examples/quickstart/log-repo-access.yaml',
  'examples/quickstart/log-repo-errors.yaml',
];

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sluice-render-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});
const render = async (...argv: string[]) => {
  const io = captureIo();
  const code = await runRenderCommand(argv, io);
  return { code, out: io.out(), err: io.err() };
};

describe('sluice render', () => {
  it('renders the quickstart like the operator would (snapshot; drift fails)', async () => {
    const result = await render(...QUICKSTART);
    expect(result.code).toBe(0);
    expect(result.err).toBe('');
    await expect(result.out).toMatchFileSnapshot('./__snapshots__/render-quickstart.yaml');
  });

  it('is deterministic and independent of the order of the files', async () => {
    const first = await render(...QUICKSTART);
    const second = await render(...[...QUICKSTART].reverse());
    expect(second.out).toBe(first.out);
  });

  it.each([
    ['apisix', ['ApisixRoute']],
    ['gateway-api', ['HTTPRoute']],
    ['none', []],
  ])('renders routes of --route-provider %s', async (provider, routeKinds) => {
    const result = await render('--route-provider', provider, ...QUICKSTART);
    expect(result.code).toBe(0);
    const objectKinds = parseAllDocuments(result.out).map((doc) => (doc.toJS() as { kind: string }).kind);
    expect(objectKinds).toEqual([
      'ConfigMap',
      'Deployment',
      'Service',
      'PodDisruptionBudget',
      ...routeKinds.flatMap((kind) => [kind, kind, kind]),
    ]);
  });

  it('uses --image for the gateway pods', async () => {
    const result = await render('--image', 'registry.example/sluice:1.2.3', ...QUICKSTART);
    expect(result.out).toContain('image: registry.example/sluice:1.2.3');
  });

  it('shows a LogRepo whose KafkaProducer is missing as left out, exit 0', async () => {
    const path = join(dir, 'orphan.yaml');
    await writeFile(
      path,
      'apiVersion: sluice.dev/v1alpha1\nkind: LogRepo\nmetadata: { name: orphan, namespace: logs }\nspec:\n  kafka: { producer: nowhere, topic: t.orphan }\n',
    );
    const result = await render(path);
    expect(result.code).toBe(0);
    const message =
      'LogRepo orphan: left out (ProducerNotFound: KafkaProducer nowhere does not exist in this namespace)';
    expect(result.out).toContain(`# ${message}\n`);
    expect(result.err).toBe(`logs: ${message}\n`);
    expect(result.out).toContain('gateway.yaml: |\n    {"producers":{},"repos":{},"revision":');
  });

  it('renders the canary track when a repo has a canary weight', async () => {
    const path = join(dir, 'canary.yaml');
    await writeFile(
      path,
      `apiVersion: sluice.dev/v1alpha1
kind: KafkaProducer
metadata: { name: p, namespace: logs }
spec: { brokers: ["kafka:9092"] }
---
apiVersion: sluice.dev/v1alpha1
kind: LogRepo
metadata: { name: web, namespace: logs }
spec:
  kafka: { producer: p, topic: t.web }
  canary: { weight: 20, topic: t.web-canary }
`,
    );
    const result = await render(path);
    expect(result.code).toBe(0);
    const objects = parseAllDocuments(result.out).map(
      (doc) => doc.toJS() as { kind: string; metadata: { name: string } },
    );
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'ConfigMap/sluice-gateway-config',
      'ConfigMap/sluice-gateway-config-canary',
      'Deployment/sluice-gateway',
      'Service/sluice-gateway',
      'PodDisruptionBudget/sluice-gateway',
      'Deployment/sluice-gateway-canary',
      'Service/sluice-gateway-canary',
      'PodDisruptionBudget/sluice-gateway-canary',
      'ApisixRoute/sluice-repo-web',
      'ApisixRoute/sluice-repos',
    ]);
    expect(result.out).toContain('t.web-canary');
    expect(result.out).toContain(
      '# LogRepo web: included (Applied: part of the gateway config); canary 20%\n',
    );
  });

  it.each([
    ['apisix', ['ApisixUpstream/sluice-gateway']],
    ['gateway-api', []],
  ])(
    'serves HTTPS with --gateway-tls-secret (%s): server.tls, HTTPS probes, upstreams',
    async (provider, upstreams) => {
      const result = await render(
        '--gateway-tls-secret',
        'gateway-tls',
        '--route-provider',
        provider,
        ...QUICKSTART,
      );
      expect(result.code).toBe(0);
      const objects = parseAllDocuments(result.out).map(
        (doc) => doc.toJS() as { kind: string; metadata: { name: string }; spec?: Record<string, unknown> },
      );
      expect(objects.slice(0, 4 + upstreams.length).map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
        'ConfigMap/sluice-gateway-config',
        'Deployment/sluice-gateway',
        'Service/sluice-gateway',
        'PodDisruptionBudget/sluice-gateway',
        ...upstreams,
      ]);
      expect(result.out).toContain('"tls":{"certFile":"/etc/sluice/secrets/gateway-tls/tls.crt"');
      expect(result.out).toContain('scheme: HTTPS');
      expect(objects.find((o) => o.kind === 'Service')?.spec?.ports).toEqual([
        expect.objectContaining({ appProtocol: 'https' }),
      ]);
      if (upstreams.length > 0) expect(objects[4]?.spec).toEqual({ scheme: 'https' });
    },
  );

  it('prints the problems on stderr and nothing on stdout for invalid manifests, exit 1', async () => {
    const path = join(dir, 'bad.yaml');
    await writeFile(
      path,
      'apiVersion: sluice.dev/v1alpha1\nkind: KafkaProducer\nmetadata: { name: p }\nspec: { brokers: ["k:9092"], acks: most }\n',
    );
    expect(await render(path)).toEqual({
      code: 1,
      out: '',
      err: `${path}:1: /spec/acks: expected one of all, leader, none (got "most")\n`,
    });
  });

  it.each([
    [['--route-provider', 'nginx', ...QUICKSTART], '/routes/provider'],
    [[], 'no files given'],
  ])('exits 2 on a usage error %j', async (argv, message) => {
    const result = await render(...argv);
    expect(result.code).toBe(2);
    expect(result.out).toBe('');
    expect(result.err).toContain(message);
  });

  it('prints help on --help, exit 0', async () => {
    const result = await render('--help');
    expect(result.code).toBe(0);
    expect(result.out).toContain('usage: sluice render');
  });
});
