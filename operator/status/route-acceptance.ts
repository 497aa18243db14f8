import { CONDITION, REASON } from '../api/constants.ts';
import type { KubeObject } from '../kube/kube-client.ts';
import type { RouteSettings } from '../operator-config.ts';
import type { DesiredCondition } from './conditions.ts';

// What the Gateway API controllers said of a repo's HTTPRoute. Each controller that serves a
// parent (a Gateway) of the route writes one entry of the route's status.parents, with
// Accepted (the Gateway took the route) and ResolvedRefs (every backend Service was found).
// The operator reads them back into the LogRepo's RouteAccepted condition, so that a route
// no proxy serves (no Gateway, a wrong parentRef, a listener that does not allow the
// namespace) is said where users look instead of failing in silence.

type ParentRef = RouteSettings['parentRefs'][number];

interface RouteParentStatus {
  readonly parentRef?: { name?: string; namespace?: string; sectionName?: string; port?: number };
  readonly controllerName?: string;
  readonly conditions?: ReadonlyArray<{
    type?: string;
    status?: string;
    reason?: string;
    message?: string;
    observedGeneration?: number;
  }>;
}

const refText = (ref: ParentRef, routeNamespace: string) =>
  `${ref.kind ?? 'Gateway'} ${ref.namespace ?? routeNamespace}/${ref.name}${ref.sectionName ? `:${ref.sectionName}` : ''}`;

const sameParent = (status: RouteParentStatus, ref: ParentRef, routeNamespace: string) =>
  status.parentRef?.name === ref.name &&
  (status.parentRef.namespace ?? routeNamespace) === (ref.namespace ?? routeNamespace) &&
  (status.parentRef.sectionName ?? '') === (ref.sectionName ?? '') &&
  (status.parentRef.port ?? 0) === (ref.port ?? 0);

/**
 * The RouteAccepted condition of a LogRepo whose route is an HTTPRoute: True when every
 * parentRef's controller accepted the route's current generation and resolved its backends;
 * False with the controller's own reason and message when one refused it, or when there are
 * no parentRefs at all (the route attaches to nothing); Unknown while no controller has
 * reported on the current generation. `route` is the stored HTTPRoute (undefined before it
 * was first written). Pure.
 */
export function routeAcceptedCondition(
  route: KubeObject | undefined,
  parentRefs: readonly ParentRef[],
  observedGeneration: number,
): DesiredCondition {
  const condition = (
    status: DesiredCondition['status'],
    reason: DesiredCondition['reason'],
    message: string,
  ) => ({
    type: CONDITION.routeAccepted,
    status,
    reason,
    message,
    observedGeneration,
  });
  if (parentRefs.length === 0) {
    return condition(
      'False',
      REASON.noParentRefs,
      'routes.parentRefs is empty, so the HTTPRoute attaches to no Gateway and no proxy serves this repo: ' +
        'set the operator’s --parent-refs (chart value routes.parentRefs) to your Gateway',
    );
  }
  if (route === undefined)
    return condition('Unknown', REASON.reconciling, 'the HTTPRoute is not written yet');
  const namespace = route.metadata.namespace ?? '';
  const generation = route.metadata.generation ?? 0;
  const parents = ((route.status as { parents?: RouteParentStatus[] } | undefined)?.parents ??
    []) as RouteParentStatus[];
  const waiting: string[] = [];
  const accepted: string[] = [];
  for (const ref of parentRefs) {
    const where = refText(ref, namespace);
    const entry = parents.find((status) => sameParent(status, ref, namespace));
    const find = (type: string) =>
      entry?.conditions?.find((c) => c.type === type && (c.observedGeneration ?? generation) === generation);
    const acceptedBy = find('Accepted');
    const resolved = find('ResolvedRefs');
    if (acceptedBy === undefined) {
      waiting.push(where);
      continue;
    }
    if (acceptedBy.status !== 'True') {
      return condition(
        'False',
        REASON.routeNotAccepted,
        `${where} did not accept the HTTPRoute (${acceptedBy.reason ?? 'no reason'}: ${acceptedBy.message ?? ''})`.trim(),
      );
    }
    if (resolved !== undefined && resolved.status !== 'True') {
      return condition(
        'False',
        REASON.routeRefsNotResolved,
        `${where} accepted the HTTPRoute but not its backends (${resolved.reason ?? 'no reason'}: ${resolved.message ?? ''})`.trim(),
      );
    }
    accepted.push(`${where}${entry?.controllerName ? ` (${entry.controllerName})` : ''}`);
  }
  if (waiting.length > 0) {
    return condition(
      'Unknown',
      REASON.routeNotReported,
      `no Gateway controller has reported on generation ${generation} of the HTTPRoute for ${waiting.join(', ')} yet ` +
        '(does the Gateway exist, and does a controller serve its GatewayClass?)',
    );
  }
  return condition('True', REASON.accepted, `accepted by ${accepted.join(', ')}`);
}
