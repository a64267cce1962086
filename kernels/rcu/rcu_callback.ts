/*
 * RCU callbacks as data. The kernel's struct rcu_head carries a function pointer; a worker thread
 * cannot hand a closure to another thread, so here a callback is (function id, numeric argument)
 * and the function is looked up on whichever CPU invokes it. That is what lets a dead CPU's
 * callbacks migrate through shared memory.
 *
 * Every CPU must register the same callbacks (register them at module load or in boot(), which
 * every CPU runs). The id is a hash of the name, so registration order does not matter.
 */

import { fnv1a } from '../../harness/kapi.js';

export interface RcuCallback {
  readonly id: number;
  readonly name: string;
  readonly fn: (arg: number) => void;
}

const table = new Map<number, RcuCallback>();

/** Register (or find) the callback `name` on this CPU. */
export function rcu_callback(name: string, fn: (arg: number) => void): RcuCallback {
  const id = fnv1a(name) | 0;
  const old = table.get(id);
  if (old !== undefined) {
    if (old.name !== name) throw new Error(`rcu_callback: '${name}' and '${old.name}' hash alike`);
    return old;
  }
  const cb: RcuCallback = { id, name, fn };
  table.set(id, cb);
  return cb;
}

/** The callback with `id`, or undefined if this CPU never registered it. */
export function rcu_callback_lookup(id: number): RcuCallback | undefined {
  return table.get(id);
}
