/*
 * lockdep for one guest (or one user program): lockdepInit() attaches the calling thread to the
 * validator living in a shared Int32Array region. Every thread of the guest calls it on the same
 * region; the first caller (or the one passing resetRegion) initialises the region, guarded by a
 * CAS'd init word, so attaching is idempotent and order-free.
 */

import { DEFAULT_LIMITS, H_INIT, computeLayout, layoutFromHeader, regionWords, writeHeader } from './layout.js';
import type { Lockdep, LockdepEnv, LockdepInitOptions, LockdepLimits } from './types.js';
import { Validator } from './validator.js';

export { LOCKDEP_SHM_WORDS, DEFAULT_LIMITS, MAX_LOCK_DEPTH, regionWords } from './layout.js';
export type { Lockdep, LockdepBugKind, LockdepEnv, LockdepInitOptions, LockdepIrqState, LockdepLimits, LockdepTask } from './types.js';
export { LOCKDEP_BUG_KINDS } from './types.js';
export type { LockdepFinding } from './types.js';
export type { LockdepClassView, LockdepDepKind, LockdepEdgeView, LockdepGraphView } from './graph_view.js';
export { captureStack, framesFromStack, siteOf } from './stack.js';
export { IRQ_BH_OFF, IRQ_HARDIRQ, IRQ_IRQS_OFF, IRQ_SOFTIRQ, IRQ_THREADED } from './usage.js';

/** Attach this thread to the validator in i32[base ..]; initialise the region if nobody has. */
export function lockdepInit(i32: Int32Array, base: number, env: LockdepEnv, opts: LockdepInitOptions = {}): Lockdep {
  const limits: LockdepLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  if (opts.resetRegion === true) {
    const words = regionWords(limits);
    if (base + words > i32.length) throw new RangeError(`lockdep region needs ${words} words at ${base}, buffer has ${i32.length}`);
    i32.fill(0, base, base + words);
    writeHeader(i32, computeLayout(base, limits));
    // Publishes the header; pairs with the Atomics.load of H_INIT below in other threads.
    Atomics.store(i32, base + H_INIT, 2);
    Atomics.notify(i32, base + H_INIT);
  } else if (Atomics.compareExchange(i32, base + H_INIT, 0, 1) === 0) {
    const words = regionWords(limits);
    if (base + words > i32.length) {
      Atomics.store(i32, base + H_INIT, 0);
      throw new RangeError(`lockdep region needs ${words} words at ${base}, buffer has ${i32.length}`);
    }
    // The region is zero on allocation (shmAlloc / new SharedArrayBuffer): only the header is written.
    writeHeader(i32, computeLayout(base, limits));
    Atomics.store(i32, base + H_INIT, 2);
    Atomics.notify(i32, base + H_INIT);
  } else {
    // Another thread is initialising: wait for its Atomics.store(H_INIT, 2).
    while (Atomics.load(i32, base + H_INIT) !== 2) Atomics.wait(i32, base + H_INIT, 1, 10);
  }
  const lay = layoutFromHeader(i32, base);
  return new Validator(i32, lay, env, { continueAfterReport: opts.continueAfterReport === true, waitContext: opts.waitContext === true, rawLockNesting: opts.rawLockNesting === true });
}
