import { KubeApiError } from './kube-client.ts';
import { KubeconfigError, type KubeconfigErrorCode } from './kube-credentials.ts';
import { KubeProxyError } from './proxy-tunnel.ts';

/** Why the operator cannot use the cluster, as one code per remedy. */
export type ConnectionProblemCode =
  | KubeconfigErrorCode
  | 'APISERVER_UNREACHABLE'
  | 'PROXY_FAILED'
  | 'APISERVER_TLS'
  | 'APISERVER_UNAUTHORIZED'
  | 'APISERVER_FORBIDDEN'
  | 'APISERVER_ERROR';

export interface ConnectionProblem {
  readonly code: ConnectionProblemCode;
  /** Whether the kubeconfig is unusable as it stands, or the cluster behind it did not serve. */
  readonly source: 'kubeconfig' | 'cluster';
  /** One line: what is wrong, then what to do. */
  readonly line: string;
}

const REMEDY: Record<ConnectionProblemCode, string> = {
  KUBECONFIG_NOT_FOUND:
    'pass --kubeconfig FILE or set KUBECONFIG to an existing kubeconfig (in a pod, the service account is used)',
  KUBECONFIG_UNREADABLE: 'check that the file exists and that this user may read it',
  KUBECONFIG_INVALID:
    'fix the kubeconfig (`kubectl config view` shows what it holds) or choose another with --kubeconfig',
  KUBECONFIG_UNSUPPORTED: 'change the kubeconfig as the message says, or choose another with --kubeconfig',
  EXEC_PLUGIN_FAILED: 'run the credential plugin by hand to see why (`kubectl version` runs it too)',
  PROXY_FAILED:
    "check the cluster's proxy-url in the kubeconfig and that the proxy allows CONNECT to the apiserver",
  APISERVER_UNREACHABLE:
    "check that the cluster is running and that the kubeconfig's server address is right (`kubectl cluster-info`)",
  APISERVER_TLS:
    "check the cluster's certificate-authority and tls-server-name in the kubeconfig (`kubectl cluster-info` fails the same way)",
  APISERVER_UNAUTHORIZED:
    'the apiserver refused the credentials: renew the token or certificate (`kubectl auth whoami`)',
  APISERVER_FORBIDDEN: "grant the operator's user read access to API discovery (see the chart's RBAC)",
  APISERVER_ERROR: 'see the apiserver logs; the operator retries nothing before it has started',
};

// Node's codes for a connection that never got to speak HTTP.
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ETIMEDOUT',
  'EPIPE',
]);

const isTlsCode = (code: string) =>
  /CERT|SELF_SIGNED|UNABLE_TO_VERIFY|UNABLE_TO_GET_ISSUER|ERR_TLS|ERR_SSL|EPROTO/.test(code);

/**
 * The problem an error from loading credentials or from a first request means, with its
 * remedy, for `sluice operator` to print instead of a stack trace. Undefined for an error
 * that is none of these (a bug, to be reported as such). Pure.
 */
export function connectionProblem(error: unknown, server?: string): ConnectionProblem | undefined {
  const at = server === undefined ? '' : ` at ${server}`;
  const problem = (code: ConnectionProblemCode, what: string): ConnectionProblem => ({
    code,
    // An exec plugin that fails is a kubeconfig matter even though it fails at a request.
    source: code.startsWith('KUBECONFIG_') || code === 'EXEC_PLUGIN_FAILED' ? 'kubeconfig' : 'cluster',
    line: `${what}; ${REMEDY[code]}`,
  });
  if (error instanceof KubeconfigError) return problem(error.code, error.message);
  if (error instanceof KubeProxyError) return problem('PROXY_FAILED', error.message);
  if (error instanceof KubeApiError) {
    if (error.status === 401)
      return problem('APISERVER_UNAUTHORIZED', `the apiserver${at} answered 401 Unauthorized`);
    if (error.status === 403)
      return problem('APISERVER_FORBIDDEN', `the apiserver${at} answered 403: ${error.message}`);
    return problem('APISERVER_ERROR', `the apiserver${at} answered ${error.status}: ${error.message}`);
  }
  if (!(error instanceof Error)) return undefined;
  const code = (error as NodeJS.ErrnoException).code ?? '';
  if (UNREACHABLE.has(code) || /timed out/.test(error.message)) {
    return problem('APISERVER_UNREACHABLE', `cannot reach the apiserver${at} (${code || error.message})`);
  }
  if (isTlsCode(code)) {
    return problem('APISERVER_TLS', `TLS with the apiserver${at} failed (${code}: ${error.message})`);
  }
  return undefined;
}
