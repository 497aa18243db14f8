import type { startOperator } from '../../operator/controller/operator-controller.ts';
import { eventually } from '../support/eventually.ts';

type Operator = Pick<ReturnType<typeof startOperator>, 'metrics' | 'queue'>;

/** Namespace reconciles the operator finished so far, successful or not. */
export async function reconcileCount(operator: Pick<Operator, 'metrics'>): Promise<number> {
  const { values } = await operator.metrics.reconciles.get();
  return values.reduce((sum, { value }) => sum + value, 0);
}

/**
 * Queues `namespace` and returns once the operator finished a reconcile after that: a
 * condition, not a sleep, so a test that then finds nothing written knows a reconcile ran.
 * Call it on a quiet operator (a reconcile already running would count).
 */
export async function reconcileAgain(operator: Operator, namespace: string): Promise<void> {
  const before = await reconcileCount(operator);
  operator.queue.add(namespace);
  await eventually(
    () => reconcileCount(operator),
    (count) => count > before,
  );
}
