import { callControlEndpoint, serveControlEndpoint } from './control-endpoint.ts';
import type { KubeApiserverHandle } from './kube-apiserver.ts';

// Tests restart or crash the local kube-apiserver (and etcd) through the control endpoint
// the kube global setup serves (see control-endpoint.ts for why); connectKubeControl() is
// their remote.

/** What the kube global setup provides as 'kubeControl' when it runs the local apiserver. */
export interface KubeControlInfo {
  /** Base URL of the control endpoint, token included. */
  url: string;
  server: string;
  kubeconfig: string;
  etcdEndpoint: string;
  /** Logs worth attaching to a failing test's output. */
  apiserverLogFile: string;
  etcdLogFile: string;
}

export interface KubeApiserverStatus {
  apiserverRunning: boolean;
  etcdRunning: boolean;
  apiserverPid: number | null;
  lastStartMs: number;
}

export type KubeControlAction = 'restart-apiserver' | 'kill-apiserver' | 'kill' | 'ensure-running';

export interface KubeControlServer {
  info: KubeControlInfo;
  close(): Promise<void>;
}

function statusOf(handle: KubeApiserverHandle): KubeApiserverStatus {
  return {
    apiserverRunning: handle.apiserverRunning,
    etcdRunning: handle.etcdRunning,
    apiserverPid: handle.apiserverPid ?? null,
    lastStartMs: handle.lastStartMs,
  };
}

/** Serves control of `handle` on 127.0.0.1; actions run one at a time, in arrival order. */
export async function serveKubeControl(handle: KubeApiserverHandle): Promise<KubeControlServer> {
  const actions: Record<KubeControlAction | 'status' | 'log', () => Promise<unknown>> = {
    'restart-apiserver': () => handle.restartApiserver(),
    'kill-apiserver': () => handle.killApiserver(),
    kill: () => handle.kill(),
    'ensure-running': () => handle.ensureRunning(),
    status: async () => undefined,
    log: () => handle.logTail(200),
  };
  const endpoint = await serveControlEndpoint(actions, () => statusOf(handle));
  return {
    info: {
      url: endpoint.url,
      server: handle.server,
      kubeconfig: handle.kubeconfig,
      etcdEndpoint: handle.etcdEndpoint,
      apiserverLogFile: handle.apiserverLogFile,
      etcdLogFile: handle.etcdLogFile,
    },
    close: endpoint.close,
  };
}

/** Test-side remote for the apiserver started by the kube global setup. */
export interface KubeControl {
  readonly info: KubeControlInfo;
  /** Graceful stop of the apiserver and a start on the same port and etcd; resolves once ready. */
  restartApiserver(): Promise<KubeApiserverStatus>;
  /** SIGKILL to the apiserver only; etcd keeps running. */
  killApiserver(): Promise<KubeApiserverStatus>;
  /** SIGKILL to the apiserver and etcd; data is kept. */
  kill(): Promise<KubeApiserverStatus>;
  /** Start whatever is down. Use it in afterEach/afterAll of tests that break things. */
  ensureRunning(): Promise<KubeApiserverStatus>;
  status(): Promise<KubeApiserverStatus>;
  /** The last 200 lines of the apiserver log. */
  logTail(): Promise<string>;
}

/**
 * Connects to the control endpoint given by `inject('kubeControl')`. That value is null when
 * the tests run against an existing cluster or k3s in Docker, which these tests do not own;
 * a test that restarts the apiserver then fails with this error rather than skipping.
 */
export function connectKubeControl(info: KubeControlInfo | null | undefined): KubeControl {
  if (info === null || info === undefined) {
    throw new Error(
      'This test restarts the kube-apiserver, which needs the local one started by ' +
        'test/infra/kube-global-setup.ts. Unset KUBECONFIG and run with SLUICE_KUBE=local.',
    );
  }
  const call = (action: KubeControlAction | 'status' | 'log') =>
    callControlEndpoint<KubeApiserverStatus>(info.url, action, 'kube-apiserver');
  const act = (action: KubeControlAction | 'status') => async () => (await call(action)).status;
  return {
    info,
    restartApiserver: act('restart-apiserver'),
    killApiserver: act('kill-apiserver'),
    kill: act('kill'),
    ensureRunning: act('ensure-running'),
    status: act('status'),
    logTail: async () => (await call('log')).log ?? '',
  };
}
