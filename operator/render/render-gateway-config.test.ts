import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../gateway/config/parse-config.ts';
import type { KafkaProducerSpec } from '../api/kafka-producer-spec.ts';
import type { LogRepoSpec } from '../api/log-repo-spec.ts';
import { fleetRenderOptions, renderGatewayConfig, type SpecObject } from './render-gateway-config.ts';

const producer = (name: string, spec: Partial<KafkaProducerSpec> = {}): SpecObject<KafkaProducerSpec> => ({
  metadata: { name },
  spec: { brokers: ['kafka:9092'], ...spec } as KafkaProducerSpec,
});
const repo = (
  name: string,
  spec: Partial<LogRepoSpec> & { producer?: string; topic?: string } = {},
): SpecObject<LogRepoSpec> => {
  const { producer: producerName = 'main', topic = `logs.${name}`, ...rest } = spec;
  return {
    metadata: { name },
    spec: { kafka: { producer: producerName, topic, mode: 'sync' }, ...rest } as LogRepoSpec,
  };
};

describe('renderGatewayConfig', () => {
  it('renders a config the gateway itself accepts, with a content revision', () => {
    const rendered = renderGatewayConfig(
      [producer('main', { compression: 'zstd' })],
      [repo('access'), repo('errors')],
    );
    const parsed = parseConfigText(rendered.text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.config.revision).toBe(rendered.revision);
    expect(rendered.revision).toMatch(/^sha256-[0-9a-f]{16}$/);
    expect(Object.keys(parsed.config.repos)).toEqual(['access', 'errors']);
    expect(parsed.config.producers.main).toMatchObject({ type: 'kafka', compression: 'zstd' });
  });

  it('stamps each repo with the digest the gateway reports for it after loading the text', () => {
    const rendered = renderGatewayConfig(
      [producer('main', { compression: 'zstd' }), producer('other')],
      [
        repo('access', { executers: [{ type: 'remove', fields: ['ua'] }] } as never),
        repo('errors', { producer: 'other' }),
      ],
    );
    const parsed = parseConfigText(rendered.text);
    if (!parsed.ok) throw new Error('rendered config is invalid');
    for (const name of ['access', 'errors']) {
      expect(parsed.repoDigests.get(name)).toBe(rendered.repos.get(name)?.digest);
    }
    expect(rendered.repos.get('access')?.digest).not.toBe(rendered.repos.get('errors')?.digest);
  });

  it('is deterministic: input order does not change the text or the revision', () => {
    const a = renderGatewayConfig(
      [producer('main'), producer('other')],
      [repo('b'), repo('a', { producer: 'other' })],
    );
    const b = renderGatewayConfig(
      [producer('other'), producer('main')],
      [repo('a', { producer: 'other' }), repo('b')],
    );
    expect(b.text).toBe(a.text);
    expect(b.revision).toBe(a.revision);
  });

  it('changes the revision when anything rendered changes', () => {
    const before = renderGatewayConfig([producer('main')], [repo('a')]);
    const after = renderGatewayConfig([producer('main', { compression: 'gzip' })], [repo('a')]);
    expect(after.revision).not.toBe(before.revision);
  });

  it.each([
    {
      name: 'a repo naming a missing producer',
      producers: [producer('main')],
      repos: [repo('a'), repo('b', { producer: 'ghost' })],
      verdict: { b: { included: false, reason: 'ProducerNotFound' } },
    },
    {
      name: 'a repo whose producer is invalid',
      producers: [producer('main'), producer('bad', { brokers: ['no port'] })],
      repos: [repo('a'), repo('b', { producer: 'bad' })],
      verdict: { b: { included: false, reason: 'ProducerNotReady' } },
    },
    {
      name: 'an invalid pipeline the CRD schema cannot catch (unsafe regex)',
      producers: [producer('main')],
      repos: [repo('a'), repo('b', { constraint: { field: 'x', regex: '(a)\\1' } } as Partial<LogRepoSpec>)],
      verdict: { b: { included: false, reason: 'InvalidPipeline' } },
    },
    {
      name: 'a repo name that is not a DNS label',
      producers: [producer('main')],
      repos: [repo('a'), repo('b.c')],
      verdict: { 'b.c': { included: false, reason: 'InvalidSpec' } },
    },
  ])('leaves out $name and keeps the others', ({ producers, repos, verdict }) => {
    const rendered = renderGatewayConfig(producers, repos);
    for (const [name, expected] of Object.entries(verdict))
      expect(rendered.repos.get(name)).toMatchObject(expected);
    expect(rendered.repos.get('a')).toMatchObject({ included: true, reason: 'Applied' });
    const parsed = parseConfigText(rendered.text);
    expect(parsed.ok && Object.keys(parsed.config.repos)).toEqual(['a']);
  });

  it('references Secrets by mount path and never copies credentials', () => {
    const rendered = renderGatewayConfig(
      [
        producer('main', {
          sasl: {
            mechanism: 'scram-sha-512',
            secretRef: { name: 'kafka-creds', usernameKey: 'username', passwordKey: 'password' },
          },
          tls: { enabled: true, rejectUnauthorized: true, caSecretRef: { name: 'kafka-ca', key: 'ca.crt' } },
        }),
      ],
      [repo('a')],
    );
    const config = JSON.parse(rendered.text);
    expect(config.producers.main.sasl).toEqual({
      mechanism: 'scram-sha-512',
      usernameFile: '/etc/sluice/secrets/kafka-creds/username',
      passwordFile: '/etc/sluice/secrets/kafka-creds/password',
    });
    expect(config.producers.main.tls.caFile).toBe('/etc/sluice/secrets/kafka-ca/ca.crt');
  });

  it('applies canary overrides only on the canary track, and sampling as a leading sample step', () => {
    const spec = {
      sampling: { percent: 10 },
      executers: [{ type: 'remove', fields: ['a'] }],
      canary: { weight: 10, topic: 'logs.canary', executers: [{ type: 'remove', fields: ['b'] }] },
    } as Partial<LogRepoSpec>;
    const stable = JSON.parse(renderGatewayConfig([producer('main')], [repo('a', spec)], 'stable').text);
    const canary = JSON.parse(renderGatewayConfig([producer('main')], [repo('a', spec)], 'canary').text);
    expect(stable.repos.a).toMatchObject({
      topic: 'logs.a',
      executers: [
        { type: 'sample', percent: 10 },
        { type: 'remove', fields: ['a'] },
      ],
    });
    expect(canary.repos.a).toMatchObject({
      topic: 'logs.canary',
      executers: [
        { type: 'sample', percent: 10 },
        { type: 'remove', fields: ['b'] },
      ],
    });
  });

  it('renders only producers that an included repo uses', () => {
    const rendered = renderGatewayConfig([producer('main'), producer('idle')], [repo('a')]);
    expect(Object.keys(JSON.parse(rendered.text).producers)).toEqual(['main']);
    expect(rendered.producers.get('idle')).toMatchObject({ included: false, reason: 'Applied' });
  });

  it('flags a config too large for a ConfigMap', () => {
    const repos = Array.from({ length: 3000 }, (_, i) =>
      repo(`r${i}`, {
        executers: [{ type: 'set', field: 'note', value: 'x'.repeat(300) }],
      } as Partial<LogRepoSpec>),
    );
    const rendered = renderGatewayConfig([producer('main')], repos);
    expect(rendered.sizeBytes).toBeGreaterThan(1024 * 1024);
    expect(rendered.tooLarge).toBe(true);
  });
});

describe('renderGatewayConfig with suspend and limits', () => {
  const repoOf = (rendered: ReturnType<typeof renderGatewayConfig>, name: string) => {
    const parsed = parseConfigText(rendered.text);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return parsed.config.repos[name];
  };

  it.each([
    { spec: {}, expected: { suspend: false, whileSuspended: 'reject' } },
    { spec: { suspend: false, whileSuspended: 'drop' as const }, expected: { suspend: false } },
    { spec: { suspend: true }, expected: { suspend: true, whileSuspended: 'reject' } },
    {
      spec: { suspend: true, whileSuspended: 'drop' as const },
      expected: { suspend: true, whileSuspended: 'drop' },
    },
  ])('suspend $spec renders a repo the gateway reads as $expected', ({ spec, expected }) => {
    const rendered = renderGatewayConfig([producer('main')], [repo('access', spec)]);
    expect(rendered.repos.get('access')?.included).toBe(true);
    expect(repoOf(rendered, 'access')).toMatchObject(expected);
    for (const track of ['stable', 'canary'] as const) {
      const text = renderGatewayConfig([producer('main')], [repo('access', spec)], track).text;
      expect(text.includes('"suspend":true')).toBe(spec.suspend === true);
      expect(text.includes('"suspend":false')).toBe(false);
    }
  });

  it('leaves the config of a repo that is not suspended as it was (older gateways still load it)', () => {
    const plain = renderGatewayConfig([producer('main')], [repo('access')]);
    const resumed = renderGatewayConfig(
      [producer('main')],
      [repo('access', { suspend: false, whileSuspended: 'drop' })],
    );
    expect(resumed.text).toBe(plain.text);
    const suspended = renderGatewayConfig([producer('main')], [repo('access', { suspend: true })]);
    expect(suspended.repos.get('access')?.digest).not.toBe(plain.repos.get('access')?.digest);
    expect(suspended.revision).not.toBe(plain.revision);
  });

  it('renders spec.kafka.headers as the repo headers', () => {
    const headers = { traceContext: true, fromFields: { 'x-tenant': 'tenant.id' } };
    const rendered = renderGatewayConfig(
      [producer('main')],
      [
        {
          metadata: { name: 'access' },
          spec: { kafka: { producer: 'main', topic: 'logs.access', mode: 'sync', headers } } as LogRepoSpec,
        },
      ],
    );
    expect(repoOf(rendered, 'access')?.headers).toEqual(headers);
  });

  it('renders limits, and leaves out a repo whose limit exceeds the server default', () => {
    const tight = renderGatewayConfig(
      [producer('main')],
      [repo('access', { limits: { maxLinesPerRequest: 500, maxLineBytes: 4096 } })],
    );
    expect(repoOf(tight, 'access')?.limits).toEqual({ maxLinesPerRequest: 500, maxLineBytes: 4096 });
    const loose = renderGatewayConfig(
      [producer('main')],
      [repo('access', { limits: { bodyLimitBytes: 100 * 1024 * 1024 } })],
    );
    expect(loose.repos.get('access')).toMatchObject({
      included: false,
      message: expect.stringMatching(/limits\/bodyLimitBytes: .*exceeds server.bodyLimitBytes/),
    });
  });
});

describe('renderGatewayConfig with ingest auth', () => {
  const secured = repo('secure', { auth: { secretRef: { name: 'ingest-tokens', key: 'current' } } });

  it('names the mounted token file, never a token, and the gateway accepts it', () => {
    const rendered = renderGatewayConfig([producer('main')], [secured, repo('open')]);
    const parsed = parseConfigText(rendered.text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.config.repos.secure?.auth).toEqual({
      tokensFile: '/etc/sluice/secrets/ingest-tokens/current',
    });
    expect(parsed.config.repos.open?.auth).toBeUndefined();
  });

  it('defaults the Secret key to tokens', () => {
    const spec = { auth: { secretRef: { name: 'ingest-tokens' } } } as unknown as Partial<LogRepoSpec>;
    const rendered = renderGatewayConfig([producer('main')], [repo('secure', spec)]);
    expect(rendered.text).toContain('"tokensFile":"/etc/sluice/secrets/ingest-tokens/tokens"');
  });

  it('moves the revision and the repo digest when the Secret reference changes', () => {
    const a = renderGatewayConfig([producer('main')], [secured]);
    const b = renderGatewayConfig(
      [producer('main')],
      [repo('secure', { auth: { secretRef: { name: 'ingest-tokens', key: 'next' } } })],
    );
    expect(b.revision).not.toBe(a.revision);
    expect(b.repos.get('secure')?.digest).not.toBe(a.repos.get('secure')?.digest);
  });

  it('renders auth on the canary track too', () => {
    const rendered = renderGatewayConfig([producer('main')], [secured], 'canary');
    expect(rendered.text).toContain('/etc/sluice/secrets/ingest-tokens/current');
  });
});

describe('renderGatewayConfig with the fleet listener certificate', () => {
  it('renders server.tls naming the mounted Secret keys; the gateway accepts it', () => {
    const rendered = renderGatewayConfig(
      [producer('main')],
      [repo('access')],
      'stable',
      fleetRenderOptions({ listenerTls: { secretName: 'gateway-tls' } }),
    );
    const parsed = parseConfigText(rendered.text);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.config.server.tls).toEqual({
      certFile: '/etc/sluice/secrets/gateway-tls/tls.crt',
      keyFile: '/etc/sluice/secrets/gateway-tls/tls.key',
    });
  });

  it('renders server.trustedProxies from the fleet settings, next to TLS; the gateway accepts it', () => {
    const options = fleetRenderOptions({
      listenerTls: { secretName: 'gateway-tls' },
      trustedProxies: ['10.0.0.0/8', 'fd00::/8'],
    });
    const rendered = renderGatewayConfig([producer('main')], [repo('access')], 'stable', options);
    const parsed = parseConfigText(rendered.text);
    expect(parsed.ok && parsed.config.server.trustedProxies).toEqual(['10.0.0.0/8', 'fd00::/8']);
    expect(parsed.ok && parsed.config.server.tls).toBeDefined();
    const proxiesOnly = renderGatewayConfig(
      [producer('main')],
      [repo('access')],
      'stable',
      fleetRenderOptions({ trustedProxies: ['192.0.2.1'] }),
    );
    // A fleet's pods also keep serving a while after SIGTERM, until the proxy drops them.
    expect(JSON.parse(proxiesOnly.text).server).toEqual({
      trustedProxies: ['192.0.2.1'],
      shutdownDelayMs: 5000,
    });
    expect(parsed.ok && parsed.config.server.shutdownDelayMs).toBe(5000);
  });

  it('leaves the server section out without one', () => {
    const rendered = renderGatewayConfig(
      [producer('main')],
      [repo('access')],
      'stable',
      fleetRenderOptions(undefined),
    );
    expect(rendered.text).not.toContain('"server"');
  });
});
