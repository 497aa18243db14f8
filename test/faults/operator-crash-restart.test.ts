import { describe, expect, it } from 'vitest';
import { APISIX_ROUTES } from '../../operator/controller/fleet-resources.ts';
import { kubectlOk } from '../infra/kubectl.ts';
import {
  childOperators,
  childWrites,
  convergence,
  freshNamespace,
  logRepoYaml,
  newClient,
  printFigures,
  quietWrites,
  renderedSnapshot,
  repoNames,
  waitForConvergence,
} from './operator-fault-kit.ts';

// The operator process (node operator/main.ts, as in its pod) is SIGKILLed in the middle of
// turning 50 new LogRepos into config, routes and statuses: no drain, no lease release,
// half the routes written. A new process must converge, writing nothing in a quiet period
// after, and leave exactly the objects one uninterrupted run leaves in another namespace.

const REPOS = repoNames(50);
const reposYaml = (namespace: string) => REPOS.map((name) => logRepoYaml(namespace, name)).join('---\n');

describe('operator killed mid-reconcile', () => {
  const client = newClient();
  const operators = childOperators('sluice-operator-crash-');
  const start = (namespace: string, name: string) => operators.start(name, { namespaces: [namespace] });

  it('a new process converges to what one clean run renders, then writes nothing', async () => {
    const crashed = await freshNamespace('fault-crash');
    const clean = await freshNamespace('fault-clean');

    // 1. The crash: kill -9 once some, not all, of the routes are there.
    const first = await start(crashed, 'first');
    const applying = kubectlOk(['apply', '-f', '-'], { input: reposYaml(crashed) });
    let routesAtKill = 0;
    for (;;) {
      routesAtKill = (await client.list(APISIX_ROUTES, crashed)).items.length;
      if (routesAtKill >= 5) break;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    await first.process.kill();
    await applying;
    const atKill = await convergence(client, crashed);

    // 2. The restart converges and then stays quiet.
    const second = await start(crashed, 'second');
    const convergeMs = await waitForConvergence(client, crashed, 90_000);
    const secondWrites = childWrites(await second.requests());
    const quiet = await quietWrites(async () => childWrites(await second.requests()), 3_000);
    await second.process.shutdown(10_000);

    // 3. One clean run of the same change elsewhere.
    const reference = await start(clean, 'clean');
    await kubectlOk(['apply', '-f', '-'], { input: reposYaml(clean) });
    const cleanMs = await waitForConvergence(client, clean, 90_000);
    const cleanWrites = childWrites(await reference.requests());
    await reference.process.shutdown(10_000);

    const [afterCrash, afterClean] = await Promise.all([
      renderedSnapshot(client, crashed),
      renderedSnapshot(client, clean),
    ]);
    printFigures('operator-crash-restart', {
      repos: REPOS.length,
      routesAtKill,
      pendingAtKill: atKill.pending.length,
      restartConvergeMs: convergeMs,
      restartWrites: secondWrites,
      cleanRunConvergeMs: cleanMs,
      cleanRunWrites: cleanWrites,
      quietWrites3s: quiet,
      snapshotBytes: afterCrash.length,
      snapshotsEqual: afterCrash === afterClean,
    });
    // The kill did land mid-reconcile.
    expect(atKill.ok).toBe(false);
    expect(quiet).toBe(0);
    expect(afterCrash).toEqual(afterClean);
  });
});
