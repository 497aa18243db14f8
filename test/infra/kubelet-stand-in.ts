import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KubeClient, KubeObject, ResourceRef } from '../../operator/kube/kube-client.ts';
import { writeConfigMapVolume } from '../support/atomic-writer.ts';
import { kubectl } from './kubectl.ts';
import { claimNodeSubnet, createPodSandbox, type PodNetworkInfo, type PodSandbox } from './pod-network.ts';
import { sleep, spawnWatchdog } from './system-tools.ts';

// A STAND-IN FOR THE KUBELET, for the gateway Deployments' pods. No container runtime can run
// on the build machines, so this harness does what a kubelet and its runtime would do for a
// pod of the gateway image, with real processes:
//   - binds each pending pod of its namespace to its fake Node;
//   - gives the pod a network namespace and an address of its own on the run's pod network
//     (pod-network.ts; the apiserver refuses loopback addresses in EndpointSlices);
//   - projects the pod's ConfigMap and Secret volumes into directories the way the kubelet
//     does (atomic `..data` symlink swap, writeConfigMapVolume), and keeps them in step, so
//     the gateway's hot reload is exercised as in a cluster;
//   - runs the image's ENTRYPOINT and CMD and ENV, read from this project's Dockerfile, from
//     this checkout's sources (the image runs them compiled to JavaScript), inside the pod's
//     namespace. The image is not built: its name only selects extra environment through
//     `imageEnv`, for tests that give an image a behaviour;
//   - reports the pod Running with its podIP, and Ready only while the readiness probe the pod
//     spec names (`/readyz` for the gateway) answers 200 — so the real
//     kube-controller-manager publishes the EndpointSlices a proxy routes by;
//   - on deletion: SIGTERM, the grace period, SIGKILL, then confirms the deletion.
// What it does not do: images, resource limits, liveness restarts, init containers, more than
// one container per pod, projected or downward-API volumes.

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const PODS: ResourceRef = { groupVersionPath: '/api/v1', plural: 'pods', namespaced: true };
const BINDINGS: ResourceRef = { groupVersionPath: '/api/v1', plural: 'bindings', namespaced: true };
const CONFIG_MAPS: ResourceRef = { groupVersionPath: '/api/v1', plural: 'configmaps', namespaced: true };
const SECRETS: ResourceRef = { groupVersionPath: '/api/v1', plural: 'secrets', namespaced: true };
const FIELD_MANAGER = 'kubelet-stand-in';

/** The image's process as the Dockerfile states it: ENTRYPOINT + CMD and the final stage's ENV. */
export interface ImageProcess {
  readonly argv: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/** Reads ENTRYPOINT, CMD (exec form) and ENV of the last stage of a Dockerfile's text. */
export function imageProcessOf(dockerfile: string): ImageProcess {
  const text = dockerfile.replace(/\\\n/g, ' ');
  const stages = text.split(/^FROM\s/m);
  const last = stages.at(-1) ?? '';
  const execForm = (instruction: string): string[] => {
    const match = new RegExp(`^${instruction}\\s+(\\[.*\\])\\s*$`, 'm').exec(last);
    return match?.[1] === undefined ? [] : (JSON.parse(match[1]) as string[]);
  };
  const env: Record<string, string> = {};
  for (const match of last.matchAll(/^ENV\s+(.+)$/gm)) {
    for (const pair of (match[1] ?? '').matchAll(/(\w+)=("[^"]*"|\S+)/g)) {
      env[pair[1] as string] = (pair[2] as string).replace(/^"|"$/g, '');
    }
  }
  return { argv: [...execForm('ENTRYPOINT'), ...execForm('CMD')], env };
}

interface Container {
  name: string;
  image: string;
  env?: Array<{ name: string; value?: string }>;
  ports?: Array<{ name?: string; containerPort: number }>;
  readinessProbe?: { httpGet?: { path: string; port: number | string; scheme?: string } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}
interface PodSpec {
  nodeName?: string;
  containers: Container[];
  volumes?: Array<{ name: string; configMap?: { name: string }; secret?: { secretName: string } }>;
  terminationGracePeriodSeconds?: number;
}

export interface KubeletStandInOptions {
  /** A client allowed to bind pods, write their status and read ConfigMaps and Secrets. */
  readonly client: KubeClient;
  /** Kubeconfig for the same, for kubectl (forced deletion). */
  readonly kubeconfig: string;
  readonly namespace: string;
  /** The fake Node (the caller creates it) whose pods this stand-in runs. */
  readonly nodeName: string;
  readonly network: PodNetworkInfo;
  /** Per pod: the process's log, the projected volumes. Removed by stop(). */
  readonly dir: string;
  /** Extra environment for the process of `image` (a test's injected fault, say). */
  readonly imageEnv?: (image: string) => Readonly<Record<string, string>>;
  /** Poll period of pods and volumes (the kubelet's sync period, shortened). Default 250 ms. */
  readonly periodMs?: number;
}

/** A pod the stand-in runs. */
export interface StandInPod {
  readonly name: string;
  readonly uid: string;
  readonly image: string;
  readonly address: string;
  readonly ready: boolean;
  readonly pid: number | undefined;
  readonly logFile: string;
}

export interface KubeletStandIn {
  /** The pods running now, by name. */
  pods(): StandInPod[];
  /** Stops every pod process (SIGTERM, then SIGKILL) and removes their namespaces and folders. */
  stop(): Promise<void>;
}

class RunningPod {
  ready = false;
  child: ChildProcess | undefined;
  watchdog: ChildProcess | undefined;
  exited: Promise<void> = Promise.resolve();
  restarts = 0;
  terminating = false;
  readonly volumes = new Map<
    string,
    { kind: 'configMap' | 'secret'; source: string; dir: string; last: string }
  >();
  readonly name: string;
  readonly uid: string;
  readonly spec: PodSpec;
  readonly container: Container;
  readonly sandbox: PodSandbox;
  readonly dir: string;
  constructor(init: Pick<RunningPod, 'name' | 'uid' | 'spec' | 'container' | 'sandbox' | 'dir'>) {
    this.name = init.name;
    this.uid = init.uid;
    this.spec = init.spec;
    this.container = init.container;
    this.sandbox = init.sandbox;
    this.dir = init.dir;
  }
  get logFile(): string {
    return join(this.dir, 'process.log');
  }
}

/** Starts the stand-in's loop; see the file's comment for what it does. */
export async function startKubeletStandIn(options: KubeletStandInOptions): Promise<KubeletStandIn> {
  const { client, namespace, nodeName, network } = options;
  const period = options.periodMs ?? 250;
  const image = imageProcessOf(readFileSync(join(PROJECT_ROOT, 'Dockerfile'), 'utf8'));
  const octet = await claimNodeSubnet(network);
  const running = new Map<string, RunningPod>();
  const usedHosts = new Set<number>();
  let stopped = false;
  await mkdir(options.dir, { recursive: true });

  const now = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const writeStatus = (pod: RunningPod) => {
    const at = now();
    const condition = (type: string, status: boolean) => ({
      type,
      status: status ? 'True' : 'False',
      lastTransitionTime: at,
    });
    return client.applyStatus(
      PODS,
      {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: pod.name, namespace },
        status: {
          phase: 'Running',
          hostIP: network.hostAddress,
          podIP: pod.sandbox.address,
          podIPs: [{ ip: pod.sandbox.address }],
          startTime: at,
          conditions: [
            condition('PodScheduled', true),
            condition('Initialized', true),
            condition('ContainersReady', pod.ready),
            condition('Ready', pod.ready),
          ],
          containerStatuses: [
            {
              name: pod.container.name,
              image: pod.container.image,
              imageID: '',
              ready: pod.ready,
              started: pod.child !== undefined,
              restartCount: pod.restarts,
              state: { running: { startedAt: at } },
            },
          ],
        },
      },
      FIELD_MANAGER,
    );
  };

  // Volume content by source, read once per round however many pods mount it.
  const readVolume = async (
    kind: 'configMap' | 'secret',
    source: string,
  ): Promise<Record<string, string> | undefined> => {
    const object = await client
      .get(kind === 'configMap' ? CONFIG_MAPS : SECRETS, namespace, source)
      .catch(() => undefined);
    if (object === undefined) return undefined;
    if (kind === 'configMap') return (object.data as Record<string, string> | undefined) ?? {};
    const data = (object.data as Record<string, string> | undefined) ?? {};
    return Object.fromEntries(
      Object.entries(data).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')]),
    );
  };
  const syncVolumes = async (pods: RunningPod[]) => {
    const cache = new Map<string, Promise<Record<string, string> | undefined>>();
    for (const pod of pods) {
      for (const volume of pod.volumes.values()) {
        const key = `${volume.kind}/${volume.source}`;
        if (!cache.has(key)) cache.set(key, readVolume(volume.kind, volume.source));
        const data = await cache.get(key);
        if (data === undefined) continue;
        const text = JSON.stringify(data);
        if (text === volume.last) continue;
        await writeConfigMapVolume(volume.dir, data);
        volume.last = text;
      }
    }
  };

  const startProcess = (pod: RunningPod) => {
    const mounts = new Map<string, string>();
    for (const mount of pod.container.volumeMounts ?? []) {
      const projected = pod.volumes.get(mount.name);
      if (projected !== undefined) mounts.set(mount.mountPath, projected.dir);
    }
    // Paths inside the "container" become the projected folders.
    const translate = (value: string) => {
      for (const [mountPath, dir] of mounts) {
        if (value === mountPath || value.startsWith(`${mountPath}/`))
          return dir + value.slice(mountPath.length);
      }
      return value;
    };
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      HOME: pod.dir,
      ...image.env,
      ...Object.fromEntries((pod.container.env ?? []).map((e) => [e.name, translate(e.value ?? '')])),
      ...(options.imageEnv?.(pod.container.image) ?? {}),
    };
    const [program, ...rest] = image.argv.map(translate);
    // The image runs these sources compiled to JavaScript (bin/sluice.js where bin/sluice.ts
    // is); the checkout has the sources, which Node 24 runs as they are.
    const args = rest.map((arg) =>
      arg.endsWith('.js') &&
      !existsSync(join(PROJECT_ROOT, arg)) &&
      existsSync(join(PROJECT_ROOT, `${arg.slice(0, -3)}.ts`))
        ? `${arg.slice(0, -3)}.ts`
        : arg,
    );
    // The image's `node` is this run's Node (the project's Node 24).
    const command = program === 'node' ? process.execPath : (program ?? process.execPath);
    const wrapped = pod.sandbox.wrap(command, args);
    const out = openSync(pod.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(wrapped.command, wrapped.args, { cwd: PROJECT_ROOT, env, stdio: ['ignore', out, out] });
    } finally {
      closeSync(out);
    }
    pod.child = child;
    pod.watchdog = child.pid === undefined ? undefined : spawnWatchdog(child.pid);
    pod.exited = new Promise((resolve) => {
      child.once('exit', () => {
        if (pod.child === child) pod.child = undefined;
        pod.watchdog?.kill('SIGKILL');
        pod.watchdog = undefined;
        resolve();
      });
      child.once('error', () => resolve());
    });
  };

  const startPod = async (object: KubeObject) => {
    const spec = object.spec as PodSpec;
    const container = spec.containers[0];
    if (container === undefined) return;
    let host = 2;
    while (usedHosts.has(host)) host += 1;
    if (host > 254) throw new Error(`node ${nodeName} has no pod address left`);
    usedHosts.add(host);
    const sandbox = await createPodSandbox(network, octet, host);
    const dir = join(options.dir, object.metadata.name);
    await mkdir(dir, { recursive: true });
    const pod = new RunningPod({
      name: object.metadata.name,
      uid: object.metadata.uid ?? '',
      spec,
      container,
      sandbox,
      dir,
    });
    for (const volume of spec.volumes ?? []) {
      if (volume.configMap !== undefined) {
        pod.volumes.set(volume.name, {
          kind: 'configMap',
          source: volume.configMap.name,
          dir: join(dir, 'volumes', volume.name),
          last: '',
        });
      } else if (volume.secret !== undefined) {
        pod.volumes.set(volume.name, {
          kind: 'secret',
          source: volume.secret.secretName,
          dir: join(dir, 'volumes', volume.name),
          last: '',
        });
      }
    }
    running.set(pod.name, pod);
    await syncVolumes([pod]);
    startProcess(pod);
    await writeStatus(pod);
  };

  const probe = async (pod: RunningPod): Promise<boolean> => {
    const get = pod.container.readinessProbe?.httpGet;
    if (pod.child === undefined) return false;
    if (get === undefined) return true;
    const port =
      typeof get.port === 'number'
        ? get.port
        : (pod.container.ports?.find((p) => p.name === get.port)?.containerPort ?? 8080);
    if (get.scheme === 'HTTPS') {
      const { request } = await import('node:https');
      return new Promise((resolve) => {
        const req = request(
          { host: pod.sandbox.address, port, path: get.path, rejectUnauthorized: false, timeout: 2_000 },
          (res) => {
            res.resume();
            resolve(res.statusCode === 200);
          },
        );
        req.on('timeout', () => req.destroy());
        req.on('error', () => resolve(false));
        req.end();
      });
    }
    return fetch(`http://${pod.sandbox.address}:${port}${get.path}`, { signal: AbortSignal.timeout(2_000) })
      .then(async (res) => {
        await res.arrayBuffer();
        return res.status === 200;
      })
      .catch(() => false);
  };

  const terminate = async (pod: RunningPod, confirm: boolean) => {
    if (pod.terminating) return;
    pod.terminating = true;
    const child = pod.child;
    if (child !== undefined) {
      child.kill('SIGTERM');
      const graceMs = (pod.spec.terminationGracePeriodSeconds ?? 30) * 1_000;
      const done = await Promise.race([pod.exited.then(() => true), sleep(graceMs).then(() => false)]);
      if (!done) {
        child.kill('SIGKILL');
        await pod.exited;
      }
    }
    await pod.sandbox.remove();
    running.delete(pod.name);
    const host = Number(pod.sandbox.address.split('.').at(-1));
    usedHosts.delete(host);
    if (confirm) {
      // The kubelet confirms a graceful deletion once the containers stopped.
      await kubectl(
        ['delete', 'pod', pod.name, '-n', namespace, '--grace-period=0', '--force', '--wait=false'],
        {
          kubeconfig: options.kubeconfig,
        },
      ).catch(() => undefined);
    }
  };

  const round = async () => {
    const { items } = await client.list(PODS, namespace).catch(() => ({ items: [] as KubeObject[] }));
    const seen = new Set<string>();
    for (const object of items) {
      const name = object.metadata.name;
      seen.add(name);
      const spec = object.spec as PodSpec;
      const pod = running.get(name);
      try {
        if (object.metadata.deletionTimestamp !== undefined) {
          if (pod !== undefined) void terminate(pod, true);
          else if (spec.nodeName === nodeName)
            await kubectl(
              ['delete', 'pod', name, '-n', namespace, '--grace-period=0', '--force', '--wait=false'],
              {
                kubeconfig: options.kubeconfig,
              },
            );
        } else if (!spec.nodeName) {
          await client.create(BINDINGS, {
            apiVersion: 'v1',
            kind: 'Binding',
            metadata: { name, namespace },
            target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
          });
        } else if (spec.nodeName === nodeName && pod === undefined) {
          await startPod(object);
        } else if (pod !== undefined && pod.uid !== object.metadata.uid) {
          // A pod of the same name was recreated: the old process goes.
          void terminate(pod, false);
        }
      } catch {
        // A pod that changed meanwhile is handled on the next round.
      }
    }
    // Pods deleted outright (or whose namespace went): their processes go too.
    for (const pod of running.values()) if (!seen.has(pod.name)) void terminate(pod, false);
    const live = [...running.values()].filter((pod) => !pod.terminating);
    await syncVolumes(live).catch(() => undefined);
    await Promise.all(
      live.map(async (pod) => {
        if (pod.child === undefined && !pod.terminating) {
          // The container exited: restart it (restartPolicy Always), not ready until it answers.
          pod.restarts += 1;
          startProcess(pod);
        }
        const ready = await probe(pod);
        if (ready !== pod.ready) {
          pod.ready = ready;
          await writeStatus(pod).catch(() => {
            pod.ready = !ready; // written again next round
          });
        }
      }),
    );
  };

  const loop = (async () => {
    while (!stopped) {
      await round().catch(() => undefined);
      await sleep(period);
    }
  })();

  return {
    pods: () =>
      [...running.values()].map((pod) => ({
        name: pod.name,
        uid: pod.uid,
        image: pod.container.image,
        address: pod.sandbox.address,
        ready: pod.ready,
        pid: pod.child?.pid,
        logFile: pod.logFile,
      })),
    stop: async () => {
      stopped = true;
      await loop;
      for (const pod of running.values()) pod.spec.terminationGracePeriodSeconds = 10;
      await Promise.all([...running.values()].map((pod) => terminate(pod, false)));
      await rm(options.dir, { recursive: true, force: true });
    },
  };
}
