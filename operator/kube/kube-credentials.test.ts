import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  credentialsFrom,
  EXEC_NO_EXPIRY_TTL_MS,
  inClusterKubeconfig,
  KubeconfigError,
  loadKubeConfig,
  loadKubeCredentials,
  resolveKubeconfig,
  resolveMergedKubeconfig,
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

  it('reads an HTTP proxy-url, and builds credentials that tunnel through it', () => {
    const resolved = resolveKubeconfig(
      kubeconfig({ token: 't' }, { 'proxy-url': 'http://u:p@proxy:3128' }),
      '/k',
    );
    expect(resolved.proxyUrl).toBe('http://u:p@proxy:3128');
    expect(credentialsFrom(resolved).proxy?.host).toBe('proxy:3128');
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
    [
      'a cluster behind a SOCKS proxy-url',
      kubeconfig({ token: 't' }, { 'proxy-url': 'socks5://proxy:1080' }),
      /sets proxy-url socks5:\/\/proxy:1080, which sluice does not support \(only http:\/\/ and https:\/\/ proxies\)/,
    ],
    ['a server that is not a URL', kubeconfig({ token: 't' }, { server: 'not a url' }), /not a URL/],
    ['clusters that are not a list', { ...kubeconfig({}), clusters: { c: {} } }, /clusters is not a list/],
  ])('refuses a kubeconfig with %s', (_, document, message) => {
    expect(() => resolveKubeconfig(document, '/k')).toThrow(KubeconfigError);
    expect(() => resolveKubeconfig(document, '/k')).toThrow(message);
  });
});

describe('resolveMergedKubeconfig (KUBECONFIG with several files)', () => {
  const file = (baseDir: string, document: Record<string, unknown>) => ({ document, baseDir });
  const cluster = (name: string, server: string, extra: Record<string, unknown> = {}) => ({
    name,
    cluster: { server, ...extra },
  });
  const context = (name: string, clusterName: string, user: string) => ({
    name,
    context: { cluster: clusterName, user },
  });

  it.each([
    {
      name: 'current-context from the first file that sets it, entries from any file',
      files: [
        file('/one', { clusters: [cluster('c', 'https://one:6443')] }),
        file('/two', {
          'current-context': 'main',
          contexts: [context('main', 'c', 'u')],
          users: [{ name: 'u', user: { token: 'from-two' } }],
        }),
        file('/three', { 'current-context': 'other' }),
      ],
      expected: { server: 'https://one:6443', token: 'from-two' },
    },
    {
      name: 'the first file wins for a name both define',
      files: [
        file('/one', {
          'current-context': 'main',
          contexts: [context('main', 'c', 'u')],
          clusters: [cluster('c', 'https://first:6443')],
          users: [{ name: 'u', user: { token: 'first' } }],
        }),
        file('/two', {
          contexts: [context('main', 'elsewhere', 'nobody')],
          clusters: [cluster('c', 'https://second:6443')],
          users: [{ name: 'u', user: { token: 'second' } }],
        }),
      ],
      expected: { server: 'https://first:6443', token: 'first' },
    },
    {
      name: 'relative paths against the file that holds the entry',
      files: [
        file('/users', {
          'current-context': 'main',
          users: [{ name: 'u', user: { 'client-certificate': 'u.crt', 'client-key': 'u.key' } }],
        }),
        file('/clusters', {
          contexts: [context('main', 'c', 'u')],
          clusters: [cluster('c', 'https://k:6443', { 'certificate-authority': 'ca.crt' })],
        }),
      ],
      expected: {
        server: 'https://k:6443',
        ca: { file: '/clusters/ca.crt' },
        cert: { file: '/users/u.crt' },
        key: { file: '/users/u.key' },
      },
    },
  ])('$name', ({ files, expected }) => {
    expect(resolveMergedKubeconfig(files)).toEqual({ insecureSkipTlsVerify: false, ...expected });
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

describe('exec credentials', () => {
  const plugin = (status: Record<string, string>) => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-exec-'));
    const counter = join(dir, 'calls');
    const script = join(dir, 'plugin.sh');
    // Each run hands out a new token: token-1, token-2, …
    writeFileSync(
      script,
      `#!/bin/sh\necho x >> "${counter}"\nn=$(wc -l < "${counter}" | tr -d ' ')\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":${JSON.stringify(status).replace('TOKEN', "token-'$n'")}}'\n`,
      { mode: 0o755 },
    );
    return { command: script, args: [], env: {}, apiVersion: 'client.authentication.k8s.io/v1' };
  };
  const bearer = async (credentials: ReturnType<typeof credentialsFrom>) =>
    (await credentials.auth()).headers.authorization;

  it('re-runs a plugin whose credential states no expiry on a schedule', async () => {
    let clock = 1_000_000;
    const credentials = credentialsFrom(
      { server: 'https://k:443', insecureSkipTlsVerify: false, exec: plugin({ token: 'TOKEN' }) },
      () => clock,
    );
    expect(await bearer(credentials)).toBe('Bearer token-1');
    clock += EXEC_NO_EXPIRY_TTL_MS - 1_000;
    expect(await bearer(credentials)).toBe('Bearer token-1');
    clock += 2_000;
    expect(await bearer(credentials)).toBe('Bearer token-2');
  });

  it('re-runs the plugin after a 401 (invalidate), even before the stated expiry', async () => {
    const credentials = credentialsFrom({
      server: 'https://k:443',
      insecureSkipTlsVerify: false,
      exec: plugin({ token: 'TOKEN', expirationTimestamp: '2999-01-01T00:00:00Z' }),
    });
    expect(await bearer(credentials)).toBe('Bearer token-1');
    expect(await bearer(credentials)).toBe('Bearer token-1');
    expect(credentials.invalidate()).toBe(true);
    expect(await bearer(credentials)).toBe('Bearer token-2');
  });

  it('has nothing to refresh for a fixed token', () => {
    expect(
      credentialsFrom({ server: 'https://k:443', insecureSkipTlsVerify: false, token: 't' }).invalidate(),
    ).toBe(false);
  });

  it('fails with EXEC_PLUGIN_FAILED when the plugin fails', async () => {
    const credentials = credentialsFrom({
      server: 'https://k:443',
      insecureSkipTlsVerify: false,
      exec: {
        command: '/nonexistent/plugin',
        args: [],
        env: {},
        apiVersion: 'client.authentication.k8s.io/v1',
      },
    });
    await expect(credentials.auth()).rejects.toMatchObject({ code: 'EXEC_PLUGIN_FAILED' });
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

  it('merges every existing file of $KUBECONFIG', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-kubeconfig-'));
    const { users: _users, ...rest } = kubeconfig({});
    const documents: Array<[string, unknown]> = [
      ['first', { 'current-context': 'main', users: [{ name: 'u', user: { token: 'merged' } }] }],
      ['second', { ...rest, 'current-context': 'other' }],
    ];
    const [first, second] = documents.map(([name, document]) => {
      writeFileSync(join(dir, name), JSON.stringify(document));
      return join(dir, name);
    });
    const credentials = loadKubeConfig(undefined, {
      KUBECONFIG: `${first}:${join(dir, 'missing')}:${second}`,
    });
    expect(credentials.server.href).toBe('https://10.0.0.1:6443/');
    expect((await credentials.auth()).headers.authorization).toBe('Bearer merged');
  });

  it.each([
    [
      'KUBECONFIG naming no existing file',
      undefined,
      { KUBECONFIG: '/nonexistent/a:/nonexistent/b' },
      'KUBECONFIG_NOT_FOUND',
      /KUBECONFIG names no existing file \(\/nonexistent\/a:\/nonexistent\/b\)/,
    ],
    [
      'a missing --kubeconfig',
      '/nonexistent/config',
      {},
      'KUBECONFIG_NOT_FOUND',
      /cannot read kubeconfig \/nonexistent\/config \(ENOENT\)/,
    ],
    ['a kubeconfig that is not YAML', 'not-yaml', {}, 'KUBECONFIG_INVALID', /is not valid YAML/],
    [
      'a kubeconfig without a current context',
      'no-context',
      {},
      'KUBECONFIG_INVALID',
      /no-context: kubeconfig has no current-context/,
    ],
    [
      'a certificate file that is missing',
      'missing-cert',
      {},
      'KUBECONFIG_UNREADABLE',
      /cannot be read: ENOENT/,
    ],
  ])('answers %s with a coded error value', (_name, path, env, code, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-kubeconfig-'));
    writeFileSync(join(dir, 'not-yaml'), 'kind: [\n');
    writeFileSync(join(dir, 'no-context'), '{}');
    writeFileSync(
      join(dir, 'missing-cert'),
      JSON.stringify(kubeconfig({ 'client-certificate': 'gone.crt', 'client-key': 'gone.key' })),
    );
    const loaded = loadKubeCredentials(
      path === undefined || path.startsWith('/') ? path : join(dir, path),
      env,
    );
    expect(loaded.ok).toBe(false);
    if (loaded.ok) return;
    expect(loaded.error).toBeInstanceOf(KubeconfigError);
    expect(loaded.error.code).toBe(code);
    expect(loaded.error.message).toMatch(message);
  });
});
