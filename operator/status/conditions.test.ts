import { describe, expect, it } from 'vitest';
import { type Condition, mergeConditions } from './conditions.ts';

const at = (time: string) => () => time;
const ready = (status: 'True' | 'False', generation = 1) =>
  ({
    type: 'Ready',
    status,
    reason: status === 'True' ? 'Applied' : 'ProducerNotFound',
    message: status === 'True' ? 'in config' : 'no producer',
    observedGeneration: generation,
  }) as const;

describe('mergeConditions', () => {
  it.each([
    { name: 'first time', current: undefined, desired: ready('True'), expectedTime: 'T2' },
    {
      name: 'same status keeps the transition time',
      current: [{ ...ready('True'), lastTransitionTime: 'T1' }],
      desired: ready('True', 2),
      expectedTime: 'T1',
    },
    {
      name: 'status change moves it',
      current: [{ ...ready('True'), lastTransitionTime: 'T1' }],
      desired: ready('False'),
      expectedTime: 'T2',
    },
  ])('$name', ({ current, desired, expectedTime }) => {
    const [merged] = mergeConditions(current as Condition[] | undefined, [desired], at('T2'));
    expect(merged).toEqual({ ...desired, lastTransitionTime: expectedTime });
  });
});
