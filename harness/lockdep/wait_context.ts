/*
 * lockdep's wait-context check (kernel/locking/lockdep.c: check_wait_context(), task_wait_context()).
 *
 * Every lock class has an inner wait type, what holding it allows (LD_WAIT_SPIN for a
 * raw_spinlock_t: spin only; LD_WAIT_CONFIG for spinlock_t and rwlock_t, which sleep under
 * PREEMPT_RT; LD_WAIT_SLEEP for mutexes and rwsems), and an outer one, the context it may be taken
 * in (the inner one, except rcu_read_lock(): taken anywhere, LD_WAIT_FREE). Acquiring a lock whose
 * outer type is above the strictest inner type of the locks held in the same irq context, or
 * above the context itself (hardirq: LD_WAIT_SPIN; softirq: LD_WAIT_CONFIG), is
 * `BUG: Invalid wait context`. Trylocks and classes of type LD_WAIT_INV (percpu_rwsem,
 * cpu_hotplug_lock's maps) are not checked.
 *
 * CONFIG_PROVE_RAW_LOCK_NESTING. The harness numbers wait types as the kernel does with it
 * (kapi.ts LD_WAIT: SPIN 2, CONFIG 3, SLEEP 4). Without it the kernel's LD_WAIT_CONFIG is
 * LD_WAIT_SPIN, so a spinlock_t inside a raw_spinlock_t is allowed and SLEEP prints as 3:
 * ldWait() folds the values that way, for the check and for the `{outer:inner}` of every report.
 */

import { LD_WAIT, LOCK_TYPE_PROPS, type LockdepMap } from '../kapi.js';
import type { HeldLocks } from './held_locks.js';

/** LD_WAIT_MAX with PROVE_RAW_LOCK_NESTING (one past SLEEP). */
const LD_WAIT_MAX = LD_WAIT.SLEEP + 1;

/** A wait type as lockdep numbers it in this configuration (CONFIG folded into SPIN without nesting). */
export function ldWait(w: number, rawLockNesting: boolean): number {
  return rawLockNesting || w < LD_WAIT.CONFIG ? w : w - 1;
}

/** The inner wait type of a map's class, as lockdep numbers it. */
export function waitInnerOf(map: LockdepMap, rawLockNesting: boolean): number {
  return ldWait(map.key.waitType, rawLockNesting);
}

/** `wait_type_outer ?: wait_type_inner` of a class given its type and (unfolded) inner type. */
export function waitOuterOf(type: keyof typeof LOCK_TYPE_PROPS, inner: number, rawLockNesting: boolean): number {
  const outer = LOCK_TYPE_PROPS[type].waitOuter;
  return outer !== LD_WAIT.INV ? ldWait(outer, rawLockNesting) : ldWait(inner, rawLockNesting);
}

/** task_wait_context(): what the current irq context allows (no threaded irqs: hardirq is SPIN). */
export function task_wait_context(hardirq: boolean, softirq: boolean, rawLockNesting: boolean): number {
  if (hardirq) return LD_WAIT.SPIN;
  if (softirq) return ldWait(LD_WAIT.CONFIG, rawLockNesting);
  return ldWait(LD_WAIT_MAX, rawLockNesting);
}

/**
 * check_wait_context() for entry `d` of `h` (filled in, not yet pushed), acquired in irq context
 * `ctx` (h.ctx's encoding): the strictest context (curr_inner) when the acquisition is invalid,
 * -1 when it is fine. h.wait holds each held entry's folded inner type.
 */
export function check_wait_context(h: HeldLocks, d: number, map: LockdepMap, trylock: boolean, hardirq: boolean, softirq: boolean, rawLockNesting: boolean): number {
  const nextInner = map.key.waitType;
  if (nextInner === LD_WAIT.INV || trylock) return -1;
  const nextOuter = waitOuterOf(map.key.type, nextInner, rawLockNesting);
  const ctx = h.ctx[d];
  // The start of the current irq context's locks.
  let i = d - 1;
  while (i >= 0 && h.ctx[i] === ctx) i--;
  let currInner = task_wait_context(hardirq, softirq, rawLockNesting);
  for (i++; i < d; i++) {
    const prevInner = h.wait[i] ?? 0;
    if (prevInner !== 0 && prevInner < currInner) currInner = prevInner;
  }
  return nextOuter > currInner ? currInner : -1;
}
