import { readFile } from 'node:fs/promises';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { ANNOTATIONS } from '../../operator/api/constants.ts';
import { HTTP_ROUTES } from '../../operator/controller/fleet-resources.ts';
import type { startOperator } from '../../operator/controller/operator-controller.ts';
import { CONFIG_MAPS, LOG_REPOS } from '../../operator/controller/resources.ts';
import { goModDownload } from '../infra/go-modules.ts';
import { createTopic, uniqueTopicName } from '../infra/kafka-admin.ts';
import { kcatConsume } from '../infra/kcat.ts';
import { ensureGo } from '../infra/kube-binaries.ts';
import {
  replaceDirectives,
  TRAEFIK_CONTROLLER_NAME,
  TRAEFIK_DIST_GO_MOD,
  TRAEFIK_MODULE,
  traefikVersion,
} from '../infra/traefik.ts';
import { eventually as eventuallyWithin } from '../support/eventually.ts';
import {
  routedWeights,
  startSenders,
  startTraefikFleet,
  type TraefikFleet,
} from '../support/traefik-fleet.ts';

// The per-repo canary split on real traffic, through a real Gateway API proxy
// (test/support/traefik-fleet.ts: a real apiserver with the real kube-controller-manager,
// Traefik built from source by provisioning, gateway processes producing to the real broker;
// the one stand-in is the kubelet, which runs each gateway pod as a process in a network
// namespace of its own and reports it Ready when /readyz answers).
//
// Senders POST to Traefik for two repos under steady load while the canary weight of one of
// them goes 0 → 10 → 50 → 100 → 0. Each answer names the config revision that served it,
// and the stable and canary tracks serve different revisions, so every request is counted
// to the track that answered it.

const logger = pino({ level: process.env.SLUICE_TEST_LOG ?? 'silent' });
const brokers = inject('kafkaBrokers');
const accessTopic = uniqueTopicName('split-access');
const errorsTopic = uniqueTopicName('split-errors');
const WEIGHTS = [0, 10, 50, 100, 0] as const;
/** Requests to the canaried repo per phase (Traefik's weighted round robin is deterministic: a window of 200 at 10 % is 20 ± a couple). */
const WINDOW = 200;
/** Percentage points a phase's measured canary share may differ from its weight. */
const TOLERANCE = 2;
const SENDERS = { access: 3, errors: 1 } as const;
const LINES_PER_REQUEST = 5;

const eventually = <T>(probe: () => Promise<T>, accept: (value: T) => boolean, timeoutMs = 60_000) =>
  eventuallyWithin(probe, accept, timeoutMs, 200);

describe('the canary split through a real proxy: operator HTTPRoutes → Traefik → gateway pods → Kafka', () => {
  let fleet: TraefikFleet;
  let operator: ReturnType<typeof startOperator> | undefined;
  const kubectl = (args: string[], input?: string) => fleet.kubectl(args, input);
  const ns = () => fleet.namespace;

  beforeAll(async () => {
    fleet = await startTraefikFleet({ namespacePrefix: 'split', logger });
    await createTopic(brokers, accessTopic, 1);
    await createTopic(brokers, errorsTopic, 1);
    operator = await fleet.startOperator();
    await kubectl(
      ['apply', '-f', '-'],
      `apiVersion: sluice.dev/v1alpha1
kind: KafkaProducer
metadata: { name: main, namespace: ${ns()} }
spec: { brokers: ["${fleet.podBrokers}"], compression: lz4, batch: { lingerMs: 5 } }
---
apiVersion: sluice.dev/v1alpha1
kind: LogRepo
metadata: { name: access, namespace: ${ns()} }
spec:
  kafka: { producer: main, topic: ${accessTopic}, mode: sync }
  executers: [{ type: set, field: track, value: stable }]
  canary:
    weight: 0
    executers: [{ type: set, field: track, value: canary }]
---
apiVersion: sluice.dev/v1alpha1
kind: LogRepo
metadata: { name: errors, namespace: ${ns()} }
spec:
  kafka: { producer: main, topic: ${errorsTopic}, mode: sync }
  executers:
    - { type: set, field: track, value: stable }
    - { type: set, field: client, from: clientAddress }
`,
    );
  }, 600_000);

  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') await fleet.dumpLogs('split');
  });

  afterAll(async () => {
    await operator?.stop();
    await fleet?.stop();
  });

  it('runs the Traefik that traefik-dist pins, built with the release’s own replace directives', async () => {
    const release = await goModDownload(await ensureGo(), TRAEFIK_MODULE, await traefikVersion());
    expect(replaceDirectives(await readFile(TRAEFIK_DIST_GO_MOD, 'utf8'))).toEqual(
      replaceDirectives(await readFile(release.GoMod, 'utf8')),
    );
    const version = await fetch(`${fleet.traefik.apiUrl}/api/version`).then((r) => r.json());
    expect(version).toMatchObject({ Version: await traefikVersion() });
  });

  it('reports the HTTPRoute accepted by the Gateway, as Traefik wrote in its status', async () => {
    const condition = await eventually(
      async () =>
        (
          (await fleet.client.get(LOG_REPOS, ns(), 'access'))?.status as
            | { conditions?: Array<{ type: string; status: string; reason: string; message: string }> }
            | undefined
        )?.conditions?.find((c) => c.type === 'RouteAccepted'),
      (c) => c?.status === 'True',
    );
    expect(condition).toMatchObject({
      reason: 'Accepted',
      message: expect.stringContaining(TRAEFIK_CONTROLLER_NAME),
    });
    const route = await fleet.client.get(HTTP_ROUTES, ns(), 'sluice-repo-access');
    const parents =
      (
        route?.status as
          | { parents?: Array<{ conditions: Array<{ type: string; status: string }> }> }
          | undefined
      )?.parents ?? [];
    expect(parents[0]?.conditions.filter((c) => ['Accepted', 'ResolvedRefs'].includes(c.type))).toEqual([
      expect.objectContaining({ type: 'Accepted', status: 'True' }),
      expect.objectContaining({ type: 'ResolvedRefs', status: 'True' }),
    ]);
  });

  it('splits each phase by the weight, keeps the other repo on stable, loses no acknowledged line', async () => {
    const proxy = fleet.traefik;
    const revisionTrack = new Map<string, 'stable' | 'canary'>();
    const learnRevisions = async () => {
      for (const [track, name] of [
        ['stable', 'sluice-gateway-config'],
        ['canary', 'sluice-gateway-config-canary'],
      ] as const) {
        const revision = (await fleet.client.get(CONFIG_MAPS, ns(), name))?.metadata.annotations?.[
          ANNOTATIONS.revision
        ];
        if (revision !== undefined) revisionTrack.set(revision, track);
      }
    };
    // Serving at all: both stable pods ready behind Traefik.
    await eventually(
      () =>
        fetch(`${proxy.url}/log/repo/errors`, { method: 'POST', body: '{"id":"warm-up"}\n' })
          .then((r) => r.status)
          .catch(() => 0),
      (status) => status === 200,
      120_000,
    );

    const senders = startSenders({ url: proxy.url, repos: SENDERS, lines: LINES_PER_REQUEST });
    const { answers } = senders;
    const shares: Array<{
      weight: number;
      canary: number;
      stable: number;
      measured: number;
      errorsOnStable: number;
      errorsTotal: number;
    }> = [];
    try {
      for (const [index, weight] of WEIGHTS.entries()) {
        senders.setPhase(`transition-${index}`);
        if (index > 0) {
          await kubectl([
            'patch',
            'logrepo',
            'access',
            '-n',
            ns(),
            '--type=merge',
            '-p',
            JSON.stringify({ spec: { canary: { weight } } }),
          ]);
        }
        // The route carries the weight, and Traefik applied it (its API shows the weighted services).
        await eventually(
          () => routedWeights(proxy, ns(), 'sluice-repo-access'),
          (weights) => (weights.canary ?? 0) === weight && (weights.stable ?? 0) === 100 - weight,
          120_000,
        );
        await learnRevisions();
        const label = `weight-${weight}-${index}`;
        const from = answers.length;
        senders.setPhase(label);
        await eventually(
          async () => answers.slice(from).filter((a) => a.repo === 'access' && a.phase === label).length,
          (count) => count >= WINDOW,
          120_000,
        );
        senders.setPhase(`settled-${index}`);
        const window = answers.filter((a) => a.phase === label);
        const count = (repo: 'access' | 'errors', track: 'stable' | 'canary') =>
          window.filter(
            (a) => a.repo === repo && a.revision !== undefined && revisionTrack.get(a.revision) === track,
          ).length;
        const access = window.filter((a) => a.repo === 'access');
        const errors = window.filter((a) => a.repo === 'errors');
        shares.push({
          weight,
          canary: count('access', 'canary'),
          stable: count('access', 'stable'),
          measured: (100 * count('access', 'canary')) / access.length,
          errorsOnStable: count('errors', 'stable'),
          errorsTotal: errors.length,
        });
      }
    } finally {
      await senders.stop();
    }

    const failures = answers.filter((a) => a.status !== 200);
    const acked = answers.filter((a) => a.status === 200);
    const ackedIds = (repo: 'access' | 'errors') =>
      acked.filter((a) => a.repo === repo).flatMap((a) => a.ids);
    const found = async (topic: string) =>
      new Set(
        (await kcatConsume({ brokers, topic, untilEnd: true, timeoutMs: 60_000 })).map(
          (m) => (JSON.parse(m.value) as { id: string }).id,
        ),
      );
    const records = await kcatConsume({ brokers, topic: accessTopic, untilEnd: true, timeoutMs: 60_000 });
    const stamped = records.filter(
      (m) => (JSON.parse(m.value) as { track: string }).track === 'canary',
    ).length;
    const canaryLines =
      acked.filter(
        (a) => a.repo === 'access' && a.revision !== undefined && revisionTrack.get(a.revision) === 'canary',
      ).length * LINES_PER_REQUEST;
    const inKafka = { access: await found(accessTopic), errors: await found(errorsTopic) };
    // The sender is this process on 127.0.0.1; the gateway's TCP peer was Traefik (the bridge's
    // host address), trusted, so the record names the sender.
    const clients = new Set(
      (await kcatConsume({ brokers, topic: errorsTopic, untilEnd: true, timeoutMs: 60_000 })).map(
        (m) => (JSON.parse(m.value) as { client?: string }).client,
      ),
    );
    const missing = {
      access: ackedIds('access').filter((id) => !inKafka.access.has(id)),
      errors: ackedIds('errors').filter((id) => !inKafka.errors.has(id)),
    };
    console.log(
      `[split] through Traefik, ${answers.length} requests (${acked.length} answered 200, ${failures.length} not):\n` +
        shares
          .map(
            (s) =>
              `  weight ${String(s.weight).padStart(3)}: access canary ${s.canary}/${s.canary + s.stable} = ${s.measured.toFixed(1)} %; errors on stable ${s.errorsOnStable}/${s.errorsTotal}`,
          )
          .join('\n') +
        `\n  lines acknowledged: access ${ackedIds('access').length}, errors ${ackedIds('errors').length}; ` +
        `missing from Kafka: ${missing.access.length + missing.errors.length}; canary-stamped records ${stamped} (canary-served lines ${canaryLines}); ` +
        `client addresses recorded behind Traefik: ${[...clients].join(', ')}`,
    );

    expect(failures.slice(0, 5)).toEqual([]);
    for (const share of shares) {
      expect(share.canary + share.stable).toBeGreaterThanOrEqual(WINDOW);
      expect(Math.abs(share.measured - share.weight), `weight ${share.weight}`).toBeLessThanOrEqual(
        TOLERANCE,
      );
      expect(share.errorsOnStable).toBe(share.errorsTotal);
      expect(share.errorsTotal).toBeGreaterThan(0);
    }
    expect(missing).toEqual({ access: [], errors: [] });
    // The config canary: exactly the lines the canary track served carry its stamp.
    expect(canaryLines).toBeGreaterThan(0);
    expect(stamped).toBe(canaryLines);
    expect([...clients]).toEqual(['127.0.0.1']);
  }, 900_000);
});
