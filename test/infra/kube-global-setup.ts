import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import { findDockerEngine } from './docker-engine.ts';
import { startKubeApiserver } from './kube-apiserver.ts';
import { ensureKubeBinaries } from './kube-binaries.ts';
import { serveKubeControl } from './kube-control.ts';
import { installCrds, kubectl } from './kubectl.ts';
import { provideSharedPart, type StartedPart } from './shared-setup.ts';

// The kube project's globalSetup: it supplies one Kubernetes API for the whole run.
// Choice, first that applies:
//   1. KUBECONFIG is set: that existing cluster, current context (it must answer; whoever set
//      it meant it). Mind that the project's CRDs get installed there.
//   2. A Docker engine answers (and SLUICE_KUBE is not 'local'): k3s from @testcontainers/k3s.
//      SLUICE_KUBE=docker demands this branch.
//   3. Otherwise: etcd and kube-apiserver built from the Go module proxy and run on loopback
//      (test/infra/kube-apiserver.ts), the case on the project's build machines and CI.
// Then every manifest under crds/ is applied and each CRD waited for until Established.
// The kubeconfig reaches tests as inject('kubeconfig') and, for child processes such as
// kubectl or an operator under test, as KUBECONFIG. Only the local apiserver can be restarted
// by tests: see kube-control.ts, and inject('kubeControl') is null otherwise. When no cluster
// can be had the run fails, in CI and locally alike: kube tests never skip silently. Every
// project of one run shares the cluster (shared-setup.ts).

const CRDS_DIR = fileURLToPath(new URL('../../crds', import.meta.url));
const log = (line: string) => process.stderr.write(`[kube] ${line}\n`);

interface Cluster {
  kubeconfig: string;
  source: 'external' | 'testcontainers' | 'local';
  control: Awaited<ReturnType<typeof serveKubeControl>> | null;
  teardown(): Promise<void>;
}

export default function setup(project: TestProject): Promise<() => Promise<void>> {
  return provideSharedPart('kube', project, startKube);
}

async function startKube(): Promise<StartedPart> {
  const previousEnv = process.env.KUBECONFIG;
  const mode = process.env.SLUICE_KUBE ?? 'auto';
  if (!['auto', 'local', 'docker'].includes(mode)) {
    throw new Error(`SLUICE_KUBE must be 'local', 'docker' or unset, not '${mode}'`);
  }

  const cluster = await provideCluster(mode, previousEnv);
  try {
    const crds = await installCrds(CRDS_DIR, { kubeconfig: cluster.kubeconfig, timeoutMs: 90_000 });
    log(crds.length === 0 ? 'no CRDs under crds/ to install' : `CRDs established: ${crds.join(', ')}`);
  } catch (error) {
    await cluster.teardown().catch(() => undefined);
    throw noCluster('the CRDs under crds/ could not be installed', error);
  }
  process.env.KUBECONFIG = cluster.kubeconfig;
  return {
    provided: {
      kubeconfig: cluster.kubeconfig,
      kubeSource: cluster.source,
      kubeControl: cluster.control?.info ?? null,
    },
    teardown: async () => {
      if (previousEnv === undefined) delete process.env.KUBECONFIG;
      else process.env.KUBECONFIG = previousEnv;
      await cluster.teardown();
    },
  };
}

async function provideCluster(mode: string, existing: string | undefined): Promise<Cluster> {
  if (existing !== undefined && existing.trim() !== '') {
    const kubeconfig = existing.trim();
    const ready = await kubectl(['get', '--raw=/readyz'], { kubeconfig, timeoutMs: 30_000 }).catch(
      (error: unknown) => ({ code: -1, stdout: '', stderr: String(error) }),
    );
    if (ready.code !== 0) {
      throw noCluster(
        `KUBECONFIG=${kubeconfig} is set but its cluster is not ready`,
        new Error(ready.stderr),
      );
    }
    log(`using the existing cluster of KUBECONFIG=${kubeconfig}`);
    return { kubeconfig, source: 'external', control: null, teardown: async () => undefined };
  }

  const docker = mode === 'local' ? null : await findDockerEngine();
  if (mode === 'docker' && docker === null) {
    throw noCluster('SLUICE_KUBE=docker is set but no Docker engine answers', null);
  }
  if (docker !== null) {
    log(`Docker engine answers at ${docker}; starting k3s with testcontainers`);
    let container: { stop(): Promise<unknown> } | undefined;
    const dir = await mkdtemp(join(tmpdir(), 'sluice-k3s-'));
    try {
      const { K3sContainer } = await import('@testcontainers/k3s');
      const started = await new K3sContainer(
        process.env.SLUICE_K3S_IMAGE ?? 'rancher/k3s:v1.35.4-k3s1',
      ).start();
      container = started;
      const kubeconfig = join(dir, 'kubeconfig.yaml');
      await writeFile(kubeconfig, started.getKubeConfig(), { mode: 0o600 });
      log(`k3s ready (kubeconfig ${kubeconfig})`);
      return {
        kubeconfig,
        source: 'testcontainers',
        control: null,
        teardown: async () => {
          await started.stop();
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch (error) {
      await container?.stop().catch(() => undefined);
      await rm(dir, { recursive: true, force: true });
      throw noCluster('the Docker engine answers but the k3s container did not start', error);
    }
  }

  let handle: Awaited<ReturnType<typeof startKubeApiserver>>;
  let version = '';
  try {
    // provision.ts builds these before vitest starts; this is a fast check then, and the
    // (long) build itself when the kube project runs without it.
    const binaries = await ensureKubeBinaries({ log });
    version = binaries.kubernetesVersion;
    handle = await startKubeApiserver({ binaries });
  } catch (error) {
    throw noCluster(`the local kube-apiserver ${version} could not be started`, error);
  }
  const control = await serveKubeControl(handle);
  log(
    `local kube-apiserver ${version} on ${handle.server}, ready in ${(handle.lastStartMs / 1000).toFixed(1)} s ` +
      `(logs: ${handle.apiserverLogFile}, ${handle.etcdLogFile})`,
  );
  return {
    kubeconfig: handle.kubeconfig,
    source: 'local',
    control,
    teardown: async () => {
      await control.close();
      await handle.stop();
    },
  };
}

function noCluster(reason: string, cause: unknown): Error {
  const detail = cause instanceof Error ? `\n${cause.message}` : '';
  const where = process.env.CI ? 'CI run' : 'test run';
  return new Error(
    `No Kubernetes API for the kube tests, so this ${where} fails: ${reason}.${detail}\n` +
      'Run `node test/infra/provision.ts` to build kube-apiserver, etcd and kubectl (Go needed), ' +
      'point KUBECONFIG at a running cluster, or provide a Docker engine.',
    { cause },
  );
}
