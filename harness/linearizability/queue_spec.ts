/*
 * A bounded FIFO queue's sequential specification, for the benchmark (harness/bench/
 * linearizability.ts) and the tests. The shipped example queues (configs/object/examples/)
 * declare the same specification in their modules (a user's module is self-contained).
 */

import type { SequentialSpec } from './history.js';

export const QUEUE_CAPACITY = 16;

/** enqueue(x) -> true (false when full), dequeue() -> the head, or null when empty. */
export function boundedQueueSpec(capacity: number = QUEUE_CAPACITY): SequentialSpec<readonly number[]> {
  return {
    initial: [],
    step(q, op, arg) {
      if (op === 'enqueue') return q.length >= capacity ? [false, q] : [true, [...q, arg as number]];
      return q.length === 0 ? [null, q] : [q[0] as number, q.slice(1)];
    },
    stateKey: (q) => q.join(','),
  };
}
