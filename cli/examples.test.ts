import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runPipelineCommand } from '../gateway/cli/pipeline-command.ts';
import { loadConfigFile } from '../gateway/config/load-config-file.ts';
import { parseConfigText } from '../gateway/config/parse-config.ts';
import { captureIo } from '../test/support/capture-io.ts';
import { type ExampleFile, exampleFiles, REPO_ROOT } from '../test/support/example-files.ts';
import { runRenderCommand } from './render-command.ts';
import { checkFiles, runValidateCommand } from './validate-command.ts';

// Everything under examples/ is a promise to users: the Sluice objects validate and render
// (snapshots: a change to what the operator would apply shows up in review), the sample
// lines give the documented outcome, gateway configs match what the operator renders from
// the LogRepo next to them, and the GitOps objects name paths that exist.

let files: ExampleFile[];
beforeAll(async () => {
  files = await exampleFiles();
});
const ofKind = (kind: ExampleFile['kind']) => files.filter((file) => file.kind === kind);
const sluiceFilesIn = (dir: string) =>
  ofKind('sluice')
    .filter((file) => file.dir === dir)
    .map((file) => file.path);

// Folders with Sluice objects whose render is snapshot-tested here (quickstart has its own).
const RENDERED_DIRS = ['billing', 'cdn-access-log', 'error-log', 'kafka-producers'];
const RECEIVED_AT = '2026-11-21T16:00:10.000Z';

const run = async (command: typeof runValidateCommand, ...argv: string[]) => {
  const io = captureIo();
  const code = await command(argv, io);
  return { code, out: io.out(), err: io.err() };
};

/** `sluice pipeline ARGV < input`, in process. */
async function pipeline(input: string, ...argv: string[]) {
  const io = captureIo();
  const stdin = new PassThrough();
  createReadStream(input).pipe(stdin);
  const code = await runPipelineCommand(argv, { ...io, stdin });
  return { code, out: io.out(), err: io.err() };
}

describe('examples/', () => {
  it('has the example folders, each with Sluice objects and a README', async () => {
    expect(files.length).toBeGreaterThan(10);
    for (const dir of [...RENDERED_DIRS, 'quickstart']) expect(sluiceFilesIn(dir).length).toBeGreaterThan(0);
    for (const dir of [...RENDERED_DIRS, 'gitops']) {
      expect(existsSync(join(REPO_ROOT, 'examples', dir, 'README.md')), `${dir}/README.md`).toBe(true);
    }
  });

  it('passes `sluice validate`, file by file and all together (no name clashes)', async () => {
    const paths = ofKind('sluice').map((file) => file.path);
    for (const path of paths)
      expect(await run(runValidateCommand, path), path).toEqual({ code: 0, out: '', err: '' });
    expect(await run(runValidateCommand, ...paths)).toEqual({ code: 0, out: '', err: '' });
  });

  it.each(RENDERED_DIRS)(
    '%s/ renders like the snapshot (`sluice render`), every object included',
    async (dir) => {
      const result = await run(runRenderCommand, ...sluiceFilesIn(dir));
      expect(result.err).toBe('');
      expect(result.code).toBe(0);
      expect(result.out).not.toContain('left out');
      await expect(result.out).toMatchFileSnapshot(`./__snapshots__/render-examples-${dir}.yaml`);
    },
  );

  it('all of them together (what examples/gitops/base applies) render like the snapshot', async () => {
    const paths = RENDERED_DIRS.flatMap(sluiceFilesIn);
    const result = await run(runRenderCommand, ...paths);
    expect(result.code).toBe(0);
    // Every Secret a KafkaProducer of the namespace references is mounted into the gateway pods.
    expect(result.out).toContain('secretName: kafka-credentials');
    expect(result.out).toContain('secretName: kafka-ca');
    expect(result.out).not.toContain('change-me');
    await expect(result.out).toMatchFileSnapshot('./__snapshots__/render-examples-gitops-base.yaml');
  });

  it('keeps only placeholders in Secrets', () => {
    const secrets = ofKind('core').flatMap((file) => file.documents.filter((d) => d.kind === 'Secret'));
    expect(secrets.length).toBeGreaterThan(0);
    for (const secret of secrets) {
      expect(secret.data, secret.metadata?.name).toBeUndefined();
      for (const value of Object.values(secret.stringData as Record<string, string>)) {
        expect(value).toContain('change-me');
      }
    }
  });
});

describe('gateway configs next to a LogRepo (for local dry runs)', () => {
  it('are valid and hold exactly the repo the operator renders from the LogRepo', async () => {
    const configs = ofKind('gateway-config');
    expect(configs.map((file) => file.path)).toContain('examples/cdn-access-log/gateway-local.yaml');
    for (const file of configs) {
      const loaded = await loadConfigFile(join(REPO_ROOT, file.path));
      if (!loaded.ok) throw new Error(`${file.path}: ${JSON.stringify(loaded.issues)}`);
      const checked = await checkFiles(sluiceFilesIn(file.dir), captureIo());
      if (typeof checked === 'number') throw new Error(`cannot read ${file.dir}`);
      // Compared as the gateway loads both, defaults filled in: the operator leaves out
      // defaulted fields an older gateway would not know (suspend).
      const [rendered] = [...checked.namespaces.values()].map(({ configs: c }) => {
        const parsed = parseConfigText(c.stable.text);
        if (!parsed.ok)
          throw new Error(`${file.dir}: rendered config invalid: ${JSON.stringify(parsed.issues)}`);
        return parsed.config;
      });
      expect(Object.keys(loaded.config.repos).length).toBeGreaterThan(0);
      for (const [name, repo] of Object.entries(loaded.config.repos)) {
        expect(repo, `${file.path} repos.${name}`).toEqual(rendered?.repos[name]);
      }
    }
  });
});

describe('sluice pipeline on the sample lines', () => {
  it('cdn-access-log: splits the request line, drops health checks, converts, dead-letters the rest', async () => {
    const result = await pipeline(
      'examples/cdn-access-log/sample.jsonl',
      '--config',
      'examples/cdn-access-log/gateway-local.yaml',
      '--repo',
      'cdn-access',
      '--received-at',
      RECEIVED_AT,
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.err)).toEqual({
      received: 7,
      accepted: 2,
      dropped: { total: 3, byReason: { health_check: 2, no_request: 1 } },
      invalid: { total: 2, byReason: { convert_failed: 1, invalid_json: 1 } },
    });
    const outcomes = result.out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(outcomes[0]).toMatchObject({
      outcome: 'accepted',
      topic: 'cdn.access',
      key: 'cdn.example.com',
      value: {
        method: 'GET',
        path: '/img/logo.png?v=3',
        protocol: 'HTTP/1.1',
        status: 200,
        bytes: 5123,
        request_time_s: 0.003,
        time: '2026-11-21T16:00:00.000Z',
        received_at: RECEIVED_AT,
      },
    });
    expect(outcomes[1]).toMatchObject({ topic: 'cdn.access.5xx', value: { status: 502, method: 'POST' } });
    await expect(result.out).toMatchFileSnapshot('./__snapshots__/pipeline-examples-cdn-access-log.jsonl');
    // The README shows this very output.
    const readme = await readFile('examples/cdn-access-log/README.md', 'utf8');
    for (const line of result.out.trim().split('\n')) expect(readme).toContain(line);
    expect(readme).toContain(result.err.trim());
  });

  it('error-log (rendered from the LogRepo): keeps warn and worse, masks secrets and e-mails', async () => {
    const checked = await checkFiles(sluiceFilesIn('error-log'), captureIo());
    if (typeof checked === 'number') throw new Error('cannot read error-log');
    const text = checked.namespaces.get('logs')?.configs.stable.text ?? '';
    const configPath = join(tmpdir(), `sluice-error-log-${process.pid}.json`);
    await writeFile(configPath, text);
    const result = await pipeline(
      'examples/error-log/sample.jsonl',
      '--config',
      configPath,
      '--repo',
      'app-errors',
      '--revision',
      'example',
      '--received-at',
      RECEIVED_AT,
      '--header',
      'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    );
    expect(result.code).toBe(0);
    expect(JSON.parse(result.err)).toMatchObject({
      received: 4,
      accepted: 3,
      dropped: { byReason: { below_warn: 1 } },
    });
    expect(result.out).not.toContain('hunter2');
    expect(result.out).not.toContain('jane.doe@example.com');
    expect(result.out).not.toContain('4111111111111111');
    expect(result.out).not.toContain('Bearer abc.def');
    expect(result.out).toContain('************1111');
    expect(result.out).toContain('"topic":"app.errors.fatal"');
    expect(result.out).toContain('"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736"');
    await expect(result.out).toMatchFileSnapshot('./__snapshots__/pipeline-examples-error-log.jsonl');
  });
});

describe('GitOps objects', () => {
  /** Paths a Kustomization lists, resolved; folders must hold a kustomization.yaml. */
  const kustomizationTargets = (file: ExampleFile) =>
    file.documents.flatMap((document) =>
      ((document.resources as string[] | undefined) ?? []).map((resource) =>
        join(REPO_ROOT, file.path, '..', resource),
      ),
    );

  it('Kustomize: every resource listed exists, and every manifest of a folder is listed', () => {
    const kustomizations = ofKind('kustomize');
    expect(kustomizations.map((file) => file.dir).sort()).toEqual([
      'billing',
      'cdn-access-log',
      'error-log',
      'gitops/base',
      'kafka-producers',
    ]);
    for (const file of kustomizations) {
      for (const target of kustomizationTargets(file)) {
        expect(existsSync(target), `${file.path} → ${target}`).toBe(true);
        if (statSync(target).isDirectory()) {
          expect(existsSync(join(target, 'kustomization.yaml')), target).toBe(true);
        }
      }
      const listed = new Set(kustomizationTargets(file));
      const manifests = files.filter(
        (other) => other.dir === file.dir && (other.kind === 'sluice' || other.kind === 'core'),
      );
      for (const manifest of manifests)
        expect(listed.has(join(REPO_ROOT, manifest.path)), manifest.path).toBe(true);
    }
  });

  it('Argo CD Application and Flux GitRepository/Kustomization have their shape and existing paths', () => {
    const documents = ofKind('gitops').flatMap((file) => file.documents);
    expect(documents.map((d) => `${d.apiVersion} ${d.kind}`).sort()).toEqual([
      'argoproj.io/v1alpha1 Application',
      'kustomize.toolkit.fluxcd.io/v1 Kustomization',
      'source.toolkit.fluxcd.io/v1 GitRepository',
    ]);
    for (const document of documents) {
      expect(document.metadata?.name).toBe('sluice-examples');
      expect(typeof document.metadata?.namespace).toBe('string');
    }
    const spec = <T>(kind: string) => documents.find((d) => d.kind === kind)?.spec as T;
    const argo = spec<{
      source: { path: string; repoURL: string };
      destination: { server: string; namespace: string };
    }>('Application');
    expect(argo.source.path).toBe('examples/gitops/base');
    expect(argo.destination).toEqual({ server: 'https://kubernetes.default.svc', namespace: 'logs' });
    const flux = spec<{ path: string; sourceRef: object }>('Kustomization');
    expect(flux.sourceRef).toEqual({ kind: 'GitRepository', name: 'sluice-examples' });
    expect(spec<{ url: string }>('GitRepository').url).toBe(argo.source.repoURL);
    for (const path of [argo.source.path, flux.path]) {
      expect(existsSync(join(REPO_ROOT, path, 'kustomization.yaml')), path).toBe(true);
    }
    const base = parse(readFileSync(join(REPO_ROOT, 'examples/gitops/base/kustomization.yaml'), 'utf8')) as {
      namespace: string;
    };
    expect(base.namespace).toBe(argo.destination.namespace);
  });
});
