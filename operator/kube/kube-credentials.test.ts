import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  credentialsFrom,
  inClusterKubeconfig,
  KubeconfigError,
  loadKubeConfig,
  resolveKubeconfig,
} from './kube-credentials.ts';

const kubeconfig = (user: Record<string, unknown>, cluster: Record<string, unknown> = {}) => ({
  'current-context': 'main',
  contexts: [
    { name: 'other', context: { cluster: 'nowhere', user: 'nobody' } },
    { name: 'main', context: { cluster: 'c', user: 'u' } },
  ],
  clusters: [{ name: 'c', cluster: { server: 'https://10.0.0.1:6443', ...cluster } }],
  users: [{ name: 'u', user }],
});

describe('resolveKubeconfig', () => {
  it.each([
    ['a token', { token: 't0k' }, { token: 't0k' }],
    ['a relative token file', { tokenFile: 'sa/token' }, { tokenFile: '/etc/kube/sa/token' }],
    [
      'client certificate files',
      { 'client-certificate': 'c.crt', 'client-key': '/abs/c.key' },
      { cert: { file: '/etc/kube/c.crt' }, key: { file: '/abs/c.key' } },
    ],
    [
      'client certificate data',
      { 'client-certificate-data': 'Y2VydA==', 'client-key-data': 'a2V5' },
      { cert: { data: Buffer.from('cert') }, key: { data: Buffer.from('key') } },
    ],
    ['basic auth', { username: 'a', password: 'b' }, { basic: { username: 'a', password: 'b' } }],
    [
      'impersonation',
      { token: 't', as: 'system:serviceaccount:ns:sa', 'as-groups': ['g1', 'g2'] },
      { token: 't', impersonate: { user: 'system:serviceaccount:ns:sa', groups: ['g1', 'g2'] } },
    ],
    [
      'an exec plugin',
      { exec: { command: 'aws', args: ['eks', 'get-token'], env: [{ name: 'A', value: '1' }] } },
      {
        exec: {
          command: 'aws',
          args: ['eks', 'get-token'],
          env: { A: '1' },
          apiVersion: 'client.authentication.k8s.io/v1',
        },
      },
    ],
  ])('reads %s from the current context', (_, user, expected) => {
    expect(resolveKubeconfig(kubeconfig(user), '/etc/kube')).toEqual({
      server: 'https://10.0.0.1:6443',
      insecureSkipTlsVerify: false,
      ...expected,
    });
  });

  it('reads the cluster CA, server name and TLS verification switch', () => {
    expect(
      resolveKubeconfig(
        kubeconfig(
          {},
          { 'certificate-authority': 'ca.crt', 'tls-server-name': 'api', 'insecure-skip-tls-verify': true },
        ),
        '/k',
      ),
    ).toEqual({
      server: 'https://10.0.0.1:6443',
      ca: { file: '/k/ca.crt' },
      tlsServerName: 'api',
      insecureSkipTlsVerify: true,
    });
  });

  it.each([
    ['no current context', { contexts: [] }, /no current-context/],
    ['an unknown context', { 'current-context': 'x', contexts: [] }, /no context "x"/],
    ['an unknown cluster', { ...kubeconfig({}), clusters: [] }, /names no known cluster/],
    [
      'an auth-provider user',
      kubeconfig({ 'auth-provider': { name: 'gcp' } }),
      /auth-provider plugins are not supported/,
    ],
  ])('refuses a kubeconfig with %s', (_, document, message) => {
    expect(() => resolveKubeconfig(document, '/k')).toThrow(KubeconfigError);
    expect(() => resolveKubeconfig(document, '/k')).toThrow(message);
  });
});

describe('credentialsFrom', () => {
  it('sends the bearer token and impersonation headers', async () => {
    const credentials = credentialsFrom({
      server: 'https://[fd00::1]:6443',
      insecureSkipTlsVerify: false,
      token: 'secret-token',
      impersonate: { user: 'sa', groups: ['g1', 'g2'] },
    });
    expect(credentials.server.hostname).toBe('[fd00::1]');
    expect((await credentials.auth()).headers).toEqual({
      authorization: 'Bearer secret-token',
      'impersonate-user': 'sa',
      'impersonate-group': ['g1', 'g2'],
    });
  });

  it('re-reads a rotated token file once its cache expires', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-token-'));
    const file = join(dir, 'token');
    writeFileSync(file, 'first\n');
    let clock = 0;
    const credentials = credentialsFrom(
      { server: 'https://k:443', insecureSkipTlsVerify: false, tokenFile: file },
      () => clock,
    );
    expect((await credentials.auth()).headers.authorization).toBe('Bearer first');
    writeFileSync(file, 'second\n');
    clock = 5_000;
    expect((await credentials.auth()).headers.authorization).toBe('Bearer first');
    clock = 11_000;
    expect((await credentials.auth()).headers.authorization).toBe('Bearer second');
  });

  it('runs an exec plugin and caches its token until shortly before expiry', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-exec-'));
    const counter = join(dir, 'calls');
    const script = join(dir, 'plugin.sh');
    writeFileSync(
      script,
      `#!/bin/sh\necho x >> "${counter}"\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"exec-token","expirationTimestamp":"2030-01-01T00:00:00Z"}}'\n`,
      { mode: 0o755 },
    );
    let clock = Date.parse('2029-12-31T23:00:00Z');
    const credentials = credentialsFrom(
      {
        server: 'https://k:443',
        insecureSkipTlsVerify: false,
        exec: { command: script, args: [], env: {}, apiVersion: 'client.authentication.k8s.io/v1' },
      },
      () => clock,
    );
    expect((await credentials.auth()).headers.authorization).toBe('Bearer exec-token');
    await credentials.auth();
    clock = Date.parse('2029-12-31T23:59:30Z');
    await credentials.auth();
    expect(readFileSync(counter, 'utf8').trim().split('\n')).toHaveLength(2);
  });
});

describe('loading', () => {
  it('builds the in-cluster config from the service environment', () => {
    expect(
      inClusterKubeconfig({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, '/sa'),
    ).toEqual({
      server: 'https://[fd00::1]:443',
      ca: { file: '/sa/ca.crt' },
      insecureSkipTlsVerify: false,
      tokenFile: '/sa/token',
    });
  });

  it('takes the first existing file of $KUBECONFIG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-kubeconfig-'));
    const file = join(dir, 'config');
    writeFileSync(file, JSON.stringify(kubeconfig({ token: 'from-env' })));
    const credentials = loadKubeConfig(undefined, { KUBECONFIG: `${join(dir, 'missing')}:${file}` });
    expect(credentials.server.href).toBe('https://10.0.0.1:6443/');
    expect((await credentials.auth()).headers.authorization).toBe('Bearer from-env');
  });
});
