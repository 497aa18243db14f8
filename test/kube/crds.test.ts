import { describe, expect, it } from 'vitest';
import { kubectl, kubectlOk } from '../infra/kubectl.ts';
import { applyQuickstart } from './kubectl-steps.ts';

// Real kube-apiserver (from the kube global setup, which installs crds/): the
// generated CRDs are accepted, explain well, and reject invalid objects with
// clear messages, as a user running kubectl sees it.

const ns = `crds-${Date.now().toString(36)}`;
const logRepo = (spec: string, name = 'access') => `apiVersion: sluice.dev/v1alpha1
kind: LogRepo
metadata: { name: ${name}, namespace: ${ns} }
spec:
${spec}`;
const producer = (spec: string) => `apiVersion: sluice.dev/v1alpha1
kind: KafkaProducer
metadata: { name: main, namespace: ${ns} }
spec:
${spec}`;

describe('generated CRDs on the real apiserver', () => {
  it('accepts the quick-start examples and shows them with printer columns', async () => {
    await kubectlOk(['create', 'namespace', ns]);
    await applyQuickstart(ns);
    const table = await kubectlOk(['get', 'logrepos', '-n', ns]);
    expect(table).toMatch(/NAME\s+PRODUCER\s+TOPIC\s+MODE\s+CANARY\s+READY\s+AGE/);
    expect(table).toMatch(/access\s+main\s+cdn\.access\s+sync/);
    expect(await kubectlOk(['get', 'lr', '-n', ns, '-o', 'name'])).toContain('logrepo.sluice.dev/access');
    expect(await kubectlOk(['get', 'sluice', '-n', ns, '-o', 'name'])).toContain(
      'kafkaproducer.sluice.dev/main',
    );
    const applied = JSON.parse(await kubectlOk(['get', 'logrepo', 'errors', '-n', ns, '-o', 'json']));
    expect(applied.spec.onExecuterError).toBe('drop');
    const defaults = JSON.parse(await kubectlOk(['get', 'kafkaproducer', 'main', '-n', ns, '-o', 'json']));
    expect(defaults.spec).toMatchObject({ clientId: 'sluice', idempotent: false, retries: 5 });
  });

  it('keeps the new fields as written: suspend (and its column), typed set values, headers, limits', async () => {
    const yaml = logRepo(
      [
        '  kafka:',
        '    producer: main',
        '    topic: logs.paused',
        '    key: edge.node',
        '    headers: { traceContext: true, fromFields: { x-tenant: tenant } }',
        '  suspend: true',
        '  whileSuspended: drop',
        '  limits: { maxLinesPerRequest: 500, maxLineBytes: 4096 }',
        '  executers:',
        '    - { type: set, field: sampled, value: true }',
        '    - { type: set, field: weight, value: 1.5 }',
        '    - { type: set, field: error, value: null }',
        '    - { type: set, field: env, value: prod }',
        '    - { type: timestamp, field: ts, output: "%d/%b/%Y:%H:%M:%S %z" }',
      ].join('\n'),
      'paused',
    );
    await kubectlOk(['apply', '--server-side', '-f', '-'], { input: yaml });
    const stored = JSON.parse(await kubectlOk(['get', 'logrepo', 'paused', '-n', ns, '-o', 'json']));
    expect(stored.spec).toMatchObject({
      suspend: true,
      whileSuspended: 'drop',
      limits: { maxLinesPerRequest: 500, maxLineBytes: 4096 },
      kafka: { key: 'edge.node', headers: { traceContext: true, fromFields: { 'x-tenant': 'tenant' } } },
    });
    expect(stored.spec.executers.map((e: { value?: unknown }) => e.value)).toEqual([
      true,
      1.5,
      null,
      'prod',
      undefined,
    ]);
    const table = await kubectlOk(['get', 'logrepos', '-n', ns]);
    expect(table).toMatch(/AGE\s+SUSPENDED/);
    expect(table).toMatch(/paused\s+main\s+logs\.paused\s+sync\s.*\strue\s*$/m);
    // Defaulted for objects that never set it.
    expect(table).toMatch(/access\s+main\s+cdn\.access\s+sync\s.*\sfalse\s*$/m);
  });

  it('explains fields with their descriptions', async () => {
    const spec = await kubectlOk(['explain', 'logrepo.spec']);
    expect(spec).toContain('A log stream');
    const mode = await kubectlOk(['explain', 'logrepo.spec.kafka.mode']);
    expect(mode).toContain('sync: answer 200 only after Kafka acknowledged');
    const executers = await kubectlOk(['explain', 'logrepo.spec.executers']);
    expect(executers).toContain('type');
    expect(await kubectlOk(['explain', 'kafkaproducer.spec.compression'])).toContain('librdkafka');
  });

  it.each([
    {
      name: 'an unknown mode',
      yaml: () => logRepo('  kafka: { producer: main, topic: t, mode: fast }'),
      message: /Unsupported value: "fast"/,
    },
    {
      name: 'a canary weight of 120',
      yaml: () => logRepo('  kafka: { producer: main, topic: t }\n  canary: { weight: 120 }'),
      message: /spec\.canary\.weight: Invalid value: 120: .*should be less than or equal to 100/,
    },
    {
      name: 'a dead-letter topic equal to the topic (CEL)',
      yaml: () => logRepo('  kafka: { producer: main, topic: t }\n  deadLetter: { topic: t }'),
      message: /deadLetter.topic must differ from kafka.topic/,
    },
    {
      name: 'an executer missing a field its type requires (CEL)',
      yaml: () =>
        logRepo('  kafka: { producer: main, topic: t }\n  executers: [{ type: splitter, separator: " " }]'),
      message: /type splitter requires field/,
    },
    {
      name: 'an idempotent producer without acks all (CEL)',
      yaml: () => producer('  brokers: ["k:9092"]\n  idempotent: true\n  acks: leader'),
      message: /idempotent requires acks: all/,
    },
    {
      name: 'a bad compression codec',
      yaml: () => producer('  brokers: ["k:9092"]\n  compression: brotli'),
      message: /Unsupported value: "brotli"/,
    },
  ])('rejects $name with a clear message', async ({ yaml, message }) => {
    const result = await kubectl(['apply', '-f', '-'], { input: yaml() });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(message);
  });
});
