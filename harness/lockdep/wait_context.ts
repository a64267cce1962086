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
 * ldWait() (wait_types.ts) folds the values that way, for the check and for the `{outer:inner}`
 * of every report.
 */

import { LD_WAIT, type LockdepMap } from '../kapi.js';
import type { FrameCache } from './frame_cache.js';
import type { HeldLock, HeldLocks } from './held_locks.js';
import { invalidWaitContextReport } from './report.js';
import type { Reporter } from './reporter.js';
import { siteOf } from './stack.js';
import { hashString } from './stack_store.js';
import type { LockdepTask } from './types.js';
import { task_wait_context, waitInnerOf, waitOuterOf } from './wait_types.js';

/**
 * check_wait_context() for entry `d` of `h` (filled in, not yet pushed), acquired in irq context
 * `ctx` (h.ctx's encoding): the strictest context (curr_inner) when the acquisition is invalid,
 * -1 when it is fine. h.wait holds each held entry's folded inner type.
 */
export function check_wait_context(h: HeldLocks, d: number, map: LockdepMap, trylock: boolean, hl: HeldLock, rawLockNesting: boolean): number {
  const nextInner = map.key.waitType;
  if (nextInner === LD_WAIT.INV || trylock) return -1;
  const nextOuter = waitOuterOf(map.key.type, nextInner, rawLockNesting);
  const ctx = h.ctx[d];
  // The start of the current irq context's locks.
  let i = d - 1;
  while (i >= 0 && h.ctx[i] === ctx) i--;
  let currInner = task_wait_context(hl.hardirq, hl.hardirqThreaded, hl.softirq, rawLockNesting);
  for (i++; i < d; i++) {
    const prevInner = h.wait[i] ?? 0;
    if (prevInner !== 0 && prevInner < currInner) currInner = prevInner;
  }
  return nextOuter > currInner ? currInner : -1;
}

/**
 * The validator's step (in __lock_acquire(), before mark_usage()): record entry d's inner wait
 * type, check it, and report `[ BUG: Invalid wait context ]` (print_lock_invalid_wait_context()).
 * True when invalid: the caller pushes the entry and stops there, as the kernel returns.
 */
export function waitContextInvalid(reporter: Reporter, frames: FrameCache, rawLockNesting: boolean, task: LockdepTask, h: HeldLocks, d: number, hl: HeldLock): boolean {
  h.wait[d] = waitInnerOf(hl.map, rawLockNesting);
  const currInner = check_wait_context(h, d, hl.map, hl.trylock, hl, rawLockNesting);
  if (currInner < 0) return false;
  const stack = frames.capture();
  const ctx = reporter.ctx(task, h, d, stack);
  const v = reporter.view(h, d);
  // With stack captures the entry has no site before its chain is validated: this acquisition's own.
  const next = v.siteId === 0 ? { ...v, site: siteOf(stack) } : v;
  const cls = hl.cls;
  reporter.report({ kind: 'invalid_wait_context', title: '[ BUG: Invalid wait context ]', problem: hashString(`wait:${cls}:${currInner}`), ctx, lines: () => invalidWaitContextReport(ctx, next, currInner), classes: [cls], views: [next] });
  return true;
}
