import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GATEWAY_CONFIG_KEY,
  GATEWAY_CONFIG_MAP,
  GATEWAY_NAMES,
  LABELS,
  MANAGED_BY,
} from '../../operator/api/constants.ts';
import { APISIX_ROUTES, DEPLOYMENTS, SERVICES } from '../../operator/controller/fleet-resources.ts';
import { CONFIG_MAPS } from '../../operator/controller/resources.ts';
import type { KubeObject, ResourceRef } from '../../operator/kube/kube-client.ts';
import { repoRouteName } from '../../operator/render/render-routes.ts';
import { applyManifests, kubectlOk } from '../infra/kubectl.ts';
import { reconcileAgain } from '../kube/reconcile-again.ts';
import { eventually } from '../support/eventually.ts';
import {
  freshNamespace,
  logRepoYaml,
  newClient,
  type Operator,
  printFigures,
  quietWrites,
  startFleetOperator,
  waitForConvergence,
  writeCount,
} from './operator-fault-kit.ts';

// Another field manager changes fields the operator owns in what it rendered: the gateway
// ConfigMap and the stable Deployment by a forced server-side apply (kubectl apply
// --server-side --force-conflicts), a route by a JSON patch (an update), the Service's
// managed-by label by `kubectl label`. The operator, which watches its own objects (selected
// by that label), puts its values back on the change event, not on the 5-minute resync; what
// only the intruder set (an annotation) stays. No fight follows: a quiet period and a second
// reconcile write nothing.

const INTRUDER = 'intruder';
const NOTE = 'intruder.example/note';

describe('operator against another field manager', () => {
  const client = newClient();
  const operatorClient = newClient();
  let namespace: string;
  let operator: Operator;
  const figures: Record<string, unknown> = {};

  const intrude = (yaml: string) => applyManifests({ yaml }, { fieldManager: INTRUDER });
  /** Waits until `accept` holds for the stored object; returns it and the milliseconds that took. */
  const repaired = async (ref: ResourceRef, name: string, accept: (object: KubeObject) => boolean) => {
    const started = Date.now();
    const object = await eventually(
      async () => client.get(ref, namespace, name),
      (stored) => stored !== undefined && accept(stored),
    );
    return { object: object as KubeObject, ms: Date.now() - started };
  };

  beforeAll(async () => {
    namespace = await freshNamespace('fault-conflict');
    operator = startFleetOperator(operatorClient, [namespace]);
    await operator.synced;
    await kubectlOk(['apply', '-f', '-'], {
      input: `${logRepoYaml(namespace, 'access')}---\n${logRepoYaml(namespace, 'errors')}`,
    });
    await waitForConvergence(client, namespace);
  });
  afterAll(async () => {
    await operator?.stop();
    printFigures('operator-field-conflict', figures);
  });

  it('restores the ConfigMap data and annotation a forced apply took; keeps the intruder’s own annotation', async () => {
    const before = await client.get(CONFIG_MAPS, namespace, GATEWAY_CONFIG_MAP);
    const text = (before?.data as Record<string, string> | undefined)?.[GATEWAY_CONFIG_KEY];
    const revision = before?.metadata.annotations?.['sluice.dev/config-revision'];
    await intrude(`apiVersion: v1
kind: ConfigMap
metadata:
  name: ${GATEWAY_CONFIG_MAP}
  namespace: ${namespace}
  annotations: { ${NOTE}: hello, sluice.dev/config-revision: forged }
data: { ${GATEWAY_CONFIG_KEY}: "{}" }
`);
    const fixed = await repaired(
      CONFIG_MAPS,
      GATEWAY_CONFIG_MAP,
      (map) =>
        (map.data as Record<string, string>)[GATEWAY_CONFIG_KEY] === text &&
        map.metadata.annotations?.['sluice.dev/config-revision'] === revision,
    );
    figures.configMapRepairMs = fixed.ms;
    expect(fixed.object.metadata.annotations?.[NOTE]).toBe('hello');
  });

  it('restores the Deployment’s replicas a forced apply changed; keeps the intruder’s annotation', async () => {
    const name = GATEWAY_NAMES.stable.workload;
    await intrude(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
  namespace: ${namespace}
  annotations: { ${NOTE}: hello }
spec: { replicas: 5 }
`);
    const fixed = await repaired(
      DEPLOYMENTS,
      name,
      (deployment) => (deployment.spec as { replicas: number }).replicas === 2,
    );
    figures.deploymentRepairMs = fixed.ms;
    expect(fixed.object.metadata.annotations?.[NOTE]).toBe('hello');
  });

  it('restores a route field a JSON patch (an update by another manager) changed', async () => {
    const name = repoRouteName('access');
    await intrude(`apiVersion: apisix.apache.org/v2
kind: ApisixRoute
metadata: { name: ${name}, namespace: ${namespace}, annotations: { ${NOTE}: hello } }
`);
    await kubectlOk([
      'patch',
      'apisixroute',
      name,
      '-n',
      namespace,
      '--type=json',
      `--field-manager=${INTRUDER}-patch`,
      '-p',
      JSON.stringify([{ op: 'replace', path: '/spec/http/0/priority', value: 7 }]),
    ]);
    const fixed = await repaired(
      APISIX_ROUTES,
      name,
      (route) => (route.spec as { http: Array<{ priority: number }> }).http[0]?.priority === 100,
    );
    figures.routeRepairMs = fixed.ms;
    expect(fixed.object.metadata.annotations?.[NOTE]).toBe('hello');
  });

  it('restores the managed-by label another manager removed (so the object left the operator’s watch)', async () => {
    const name = GATEWAY_NAMES.stable.workload;
    await kubectlOk(['label', 'service', name, '-n', namespace, `${LABELS.managedBy}-`]);
    const fixed = await repaired(
      SERVICES,
      name,
      (service) => service.metadata.labels?.[LABELS.managedBy] === MANAGED_BY,
    );
    figures.serviceLabelRepairMs = fixed.ms;
  });

  it('does not fight: after the repairs a quiet period and a second reconcile write nothing', async () => {
    await waitForConvergence(client, namespace);
    figures.quietWrites3s = await quietWrites(() => writeCount(operatorClient), 3_000);
    const before = writeCount(operatorClient);
    await reconcileAgain(operator, namespace);
    figures.reconcileAgainWrites = writeCount(operatorClient) - before;
    figures.operatorRequests = operatorClient.requests.byVerb;
    expect(figures.quietWrites3s).toBe(0);
    expect(figures.reconcileAgainWrites).toBe(0);
  });
});
