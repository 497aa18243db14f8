import { describe, expect, it } from 'vitest';
import { connectionProblem } from './connection-problem.ts';
import { KubeApiError } from './kube-client.ts';
import { KubeconfigError } from './kube-credentials.ts';
import { KubeProxyError } from './proxy-tunnel.ts';

const errno = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('connectionProblem', () => {
  it.each([
    [
      new KubeconfigError('no kubeconfig here', 'KUBECONFIG_NOT_FOUND'),
      'KUBECONFIG_NOT_FOUND',
      /^no kubeconfig here; pass --kubeconfig FILE/,
    ],
    [
      new KubeconfigError('proxy-url unsupported', 'KUBECONFIG_UNSUPPORTED'),
      'KUBECONFIG_UNSUPPORTED',
      /^proxy-url unsupported; /,
    ],
    [
      new KubeconfigError('plugin failed', 'EXEC_PLUGIN_FAILED'),
      'EXEC_PLUGIN_FAILED',
      /run the credential plugin by hand/,
    ],
    [
      errno('ECONNREFUSED'),
      'APISERVER_UNREACHABLE',
      /^cannot reach the apiserver at https:\/\/k:6443 \(ECONNREFUSED\); check that the cluster is running/,
    ],
    [errno('ENOTFOUND'), 'APISERVER_UNREACHABLE', /\(ENOTFOUND\)/],
    [
      new KubeProxyError(new URL('http://proxy:3128'), 'CONNECT k:6443 answered 407', 407),
      'PROXY_FAILED',
      /^proxy http:\/\/proxy:3128: CONNECT k:6443 answered 407; check the cluster's proxy-url/,
    ],
    [new Error('GET /api/v1 timed out'), 'APISERVER_UNREACHABLE', /\(GET \/api\/v1 timed out\)/],
    [
      errno('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'),
      'APISERVER_TLS',
      /^TLS with the apiserver at https:\/\/k:6443 failed/,
    ],
    [errno('ERR_TLS_CERT_ALTNAME_INVALID'), 'APISERVER_TLS', /tls-server-name/],
    [
      new KubeApiError(401, { message: 'Unauthorized' }),
      'APISERVER_UNAUTHORIZED',
      /answered 401 Unauthorized; the apiserver refused the credentials/,
    ],
    [
      new KubeApiError(403, { message: 'forbidden: User "x"' }),
      'APISERVER_FORBIDDEN',
      /answered 403: forbidden: User "x"; grant/,
    ],
    [new KubeApiError(500, { message: 'etcd down' }), 'APISERVER_ERROR', /answered 500: etcd down/],
  ])('%s → %s', (error, code, line) => {
    const problem = connectionProblem(error, 'https://k:6443');
    expect(problem?.code).toBe(code);
    expect(problem?.line).toMatch(line);
    expect(problem?.line).not.toContain('\n');
    expect(problem?.source).toBe(/^(KUBECONFIG_|EXEC_)/.test(code) ? 'kubeconfig' : 'cluster');
  });

  it.each([[new TypeError('x is not a function')], ['a string']])(
    'is undefined for %s (a bug, not a connection problem)',
    (error) => {
      expect(connectionProblem(error)).toBeUndefined();
    },
  );
});
