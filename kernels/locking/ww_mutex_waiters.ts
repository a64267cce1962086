/*
 * The wound/wait rules of kernel/locking/ww_mutex.h over a ww_mutex's wait list: who dies, who is
 * wounded, where a waiter queues. Everything here runs under the lock's wait_lock (ww_mutex.ts
 * takes it), as the kernel's does under lockdep_assert_wait_lock_held().
 *
 * The wait list is an array in the lock's shared memory, ordered as the kernel's list is: waiters
 * with a context by stamp, oldest first; waiters without one interspersed in FIFO order. An entry
 * is (pid, ctx ref); a task finds its own entry by its pid. A wake-up of a waiter or an owner (the
 * kernel's wake_q_add(), delivered after the wait_lock is dropped) is a bump of its context's
 * CTX_WAKE and a wake-up of the wait queue it sleeps on (CTX_BLOCKED_ON): ww_wake_ctx().
 *
 * Test switch: `ww_mutex.test_broken_wound=1` (ours, as the kernel's test_* switches) skips every
 * wound and die decision (the kills in __ww_mutex_add_waiter() and __ww_mutex_check_kill(), the
 * wound of a younger owner): two contexts that take two ww_mutexes in opposite orders then
 * deadlock for real, and khungtaskd reports both (kernels/locking/ww_mutex.test.ts).
 */

import { COV, cov, kapi, type Kapi } from '../../harness/kapi.js';
import { ModuleParams } from '../moduleparam.js';
import { CTX_ACQUIRED, CTX_BLOCKED_ON, CTX_CONTENDING, CTX_IS_WAIT_DIE, CTX_WAKE, CTX_WOUNDED, __ww_ctx_less, debug_ww_mutexes, ww_ctx_of } from './ww_acquire.js';
import { DEBUG_LOCKS_WARN_ON } from './debug_locks.js';

/* ww_mutex words (the rest of the layout: ww_mutex.ts). */
export const WW_OWNER = 0;
export const WW_WQ = 1;
/** ww->ctx: the holder's context ref (0: NULL, or held without a context). */
export const WW_CTX = 2;
/** ww->ww_class (DEBUG_WW_MUTEXES): the class id + 1. */
export const WW_CLASS = 3;
export const WW_NR_WAITERS = 4;
/** The raw spinlock wait_lock: its lock word and halted mask. */
export const WW_WAIT_LOCK = 8;
export const WW_LIST = 16;
/** Waiters one ww_mutex can have (every task of a guest that may block on it at once). */
export const WW_MAX_WAITERS = 64;
export const WW_WORDS = WW_LIST + 2 * WW_MAX_WAITERS;

export const EDEADLK = 35;
export const EALREADY = 114;
export const EINTR = 4;

export const ww_mutex_params = new ModuleParams('ww_mutex');
const test_broken_wound_param = ww_mutex_params.param('bool', 'test_broken_wound', false, 'Skip every wound and die decision (planted bug: real ABBA deadlocks)');
let brokenWoundOf: Kapi | null = null;
let brokenWound = false;

/** The planted bug's switch, read once per kapi (see debug_ww_mutexes()). */
export function test_broken_wound(): boolean {
  if (brokenWoundOf !== kapi) {
    brokenWoundOf = kapi;
    brokenWound = test_broken_wound_param.get();
  }
  return brokenWound;
}

/** The deferred wake-ups of one wait_lock section (DEFINE_WAKE_Q): context refs. */
export type WakeQ = number[];

/** wake_up_q(): after the wait_lock is dropped. Bump each context's wake count, then wake where it sleeps. */
export function wake_up_q(i32: Int32Array, q: WakeQ): void {
  for (const ref of q) {
    const c = ww_ctx_of(ref);
    // The bump, then the CTX_BLOCKED_ON load: pairs with the sleeper's store of CTX_BLOCKED_ON,
    // then its wait-queue publication and CTX_WAKE re-check (ww_mutex.ts, __ww_mutex_wait()).
    Atomics.add(i32, c + CTX_WAKE, 1);
    const wq = Atomics.load(i32, c + CTX_BLOCKED_ON);
    if (wq !== 0) kapi.wakeUp({ i32, index: wq - 1 });
  }
}

function entryPid(i32: Int32Array, lock: number, i: number): number {
  return Atomics.load(i32, lock + WW_LIST + 2 * i);
}

function entryCtx(i32: Int32Array, lock: number, i: number): number {
  return Atomics.load(i32, lock + WW_LIST + 2 * i + 1);
}

/** The index of task `pid`'s entry, -1 if it has none. */
export function __ww_waiter_find(i32: Int32Array, lock: number, pid: number): number {
  const n = Atomics.load(i32, lock + WW_NR_WAITERS);
  for (let i = 0; i < n; i++) if (entryPid(i32, lock, i) === pid) return i;
  return -1;
}

/** __ww_waiter_add(): insert before entry `pos` (-1: at the tail). */
function __ww_waiter_add(i32: Int32Array, lock: number, pid: number, ctxRef: number, pos: number): void {
  const n = Atomics.load(i32, lock + WW_NR_WAITERS);
  if (n >= WW_MAX_WAITERS) throw new Error(`ww_mutex: more than ${WW_MAX_WAITERS} waiters on one lock`);
  const at = pos < 0 ? n : pos;
  for (let i = n; i > at; i--) {
    Atomics.store(i32, lock + WW_LIST + 2 * i, entryPid(i32, lock, i - 1));
    Atomics.store(i32, lock + WW_LIST + 2 * i + 1, entryCtx(i32, lock, i - 1));
  }
  Atomics.store(i32, lock + WW_LIST + 2 * at, pid);
  Atomics.store(i32, lock + WW_LIST + 2 * at + 1, ctxRef);
  Atomics.store(i32, lock + WW_NR_WAITERS, n + 1);
}

/** __mutex_remove_waiter(): take task `pid`'s entry out; returns how many waiters remain. */
export function __ww_waiter_remove(i32: Int32Array, lock: number, pid: number): number {
  const n = Atomics.load(i32, lock + WW_NR_WAITERS);
  const at = __ww_waiter_find(i32, lock, pid);
  if (at < 0) return n;
  for (let i = at; i < n - 1; i++) {
    Atomics.store(i32, lock + WW_LIST + 2 * i, entryPid(i32, lock, i + 1));
    Atomics.store(i32, lock + WW_LIST + 2 * i + 1, entryCtx(i32, lock, i + 1));
  }
  Atomics.store(i32, lock + WW_NR_WAITERS, n - 1);
  return n - 1;
}

/** __ww_mutex_kill(): -EDEADLK if the context holds locks (it must back off), else 0 (it may wait). */
function __ww_mutex_kill(i32: Int32Array, lock: number, ctx: number): number {
  if (Atomics.load(i32, ctx + CTX_ACQUIRED) > 0) {
    if (debug_ww_mutexes()) {
      DEBUG_LOCKS_WARN_ON(Atomics.load(i32, ctx + CTX_CONTENDING) !== 0, 'ww_ctx->contending_lock');
      Atomics.store(i32, ctx + CTX_CONTENDING, lock + 1);
    }
    cov(COV.ww_mutex_kill);
    return -EDEADLK;
  }
  return 0;
}

/**
 * __ww_mutex_die(): wait-die; a waiter younger than `ctx` that holds locks is woken so that it
 * dies. True when the class is wait-die (the caller's loop stops at the first context waiter).
 */
function __ww_mutex_die(i32: Int32Array, waiterCtx: number, ctx: number, q: WakeQ): boolean {
  if (Atomics.load(i32, ctx + CTX_IS_WAIT_DIE) === 0) return false;
  if (Atomics.load(i32, waiterCtx + CTX_ACQUIRED) > 0 && __ww_ctx_less(i32, waiterCtx, ctx)) {
    cov(COV.ww_mutex_die);
    q.push(waiterCtx + 1);
  }
  return true;
}

/**
 * __ww_mutex_wound(): wound-wait; a holder younger than the waiter `ctx` (which holds locks) is
 * wounded and woken, so that at its next wait it backs off and lets the older context through.
 */
function __ww_mutex_wound(i32: Int32Array, lock: number, ctx: number, holdRef: number, q: WakeQ): boolean {
  if (holdRef === 0) return false; // raced with ww_mutex_set_context_fastpath(): it checks again
  if ((Atomics.load(i32, lock + WW_OWNER) & ((1 << 30) - 1)) === 0) return false;
  const hold = ww_ctx_of(holdRef);
  if (Atomics.load(i32, ctx + CTX_ACQUIRED) > 0 && __ww_ctx_less(i32, hold, ctx)) {
    if (test_broken_wound()) return false;
    cov(COV.ww_mutex_wound);
    // Wounded, then the wake-up: the holder sees it in __ww_mutex_check_kill() at its next wait,
    // or is woken from the one it is in (wake_up_q() pairs with its CTX_WAKE re-check).
    Atomics.store(i32, hold + CTX_WOUNDED, 1);
    if (hold !== ctx) q.push(holdRef);
    return true;
  }
  return false;
}

/**
 * __ww_mutex_check_waiters(): `ctx` just took the lock; older contexts waiting behind it may need
 * to wound it (wound-wait), younger ones holding locks to die (wait-die).
 */
export function __ww_mutex_check_waiters(i32: Int32Array, lock: number, ctx: number, q: WakeQ): void {
  const n = Atomics.load(i32, lock + WW_NR_WAITERS);
  for (let i = 0; i < n; i++) {
    const cur = entryCtx(i32, lock, i);
    if (cur === 0) continue;
    if (__ww_mutex_die(i32, ww_ctx_of(cur), ctx, q) || __ww_mutex_wound(i32, lock, ww_ctx_of(cur), ctx + 1, q)) break;
  }
}

/**
 * __ww_mutex_add_waiter(): queue task `pid` before the first context waiter younger than `ctx`
 * (context-less waiters skipped); wait-die kills itself at once when an older context already
 * waits, and wakes the younger ones it passes; wound-wait wounds a younger holder. Returns 0 or
 * -EDEADLK (then nothing was queued).
 */
export function __ww_mutex_add_waiter(i32: Int32Array, lock: number, pid: number, ctx: number, q: WakeQ): number {
  const isWaitDie = Atomics.load(i32, ctx + CTX_IS_WAIT_DIE) !== 0;
  let pos = -1;
  for (let i = Atomics.load(i32, lock + WW_NR_WAITERS) - 1; i >= 0; i--) {
    const cur = entryCtx(i32, lock, i);
    if (cur === 0) continue;
    if (__ww_ctx_less(i32, ctx, ww_ctx_of(cur))) {
      if (isWaitDie && !test_broken_wound()) {
        const ret = __ww_mutex_kill(i32, lock, ctx);
        if (ret !== 0) return ret;
      }
      break;
    }
    pos = i;
    __ww_mutex_die(i32, ww_ctx_of(cur), ctx, q);
  }
  __ww_waiter_add(i32, lock, pid, ctx + 1, pos);
  // Wound-wait: our entry (and the WAITERS flag, set by the caller before) is published before
  // ww->ctx is read: pairs with ww_mutex_set_context_fastpath()'s ctx store, then WAITERS load.
  if (!isWaitDie) __ww_mutex_wound(i32, lock, ctx, Atomics.load(i32, lock + WW_CTX), q);
  return 0;
}

/** __ww_waiter_add() for a waiter without a context: FIFO, at the tail. */
export function __mutex_add_waiter(i32: Int32Array, lock: number, pid: number): void {
  __ww_waiter_add(i32, lock, pid, 0, -1);
}

/**
 * __ww_mutex_check_kill(): at every pass of the wait loop. Wound-wait: back off once wounded.
 * Wait-die: die when the holder or any context waiting ahead of us is older.
 */
export function __ww_mutex_check_kill(i32: Int32Array, lock: number, pid: number, ctx: number): number {
  if (Atomics.load(i32, ctx + CTX_ACQUIRED) === 0) return 0;
  if (test_broken_wound()) return 0;
  if (Atomics.load(i32, ctx + CTX_IS_WAIT_DIE) === 0) {
    if (Atomics.load(i32, ctx + CTX_WOUNDED) !== 0) return __ww_mutex_kill(i32, lock, ctx);
    return 0;
  }
  const holdRef = Atomics.load(i32, lock + WW_CTX);
  if (holdRef !== 0 && __ww_ctx_less(i32, ctx, ww_ctx_of(holdRef))) return __ww_mutex_kill(i32, lock, ctx);
  for (let i = __ww_waiter_find(i32, lock, pid) - 1; i >= 0; i--) {
    if (entryCtx(i32, lock, i) !== 0) return __ww_mutex_kill(i32, lock, ctx);
  }
  return 0;
}

/** __mutex_waiter_is_first(). */
export function __ww_waiter_is_first(i32: Int32Array, lock: number, pid: number): boolean {
  return Atomics.load(i32, lock + WW_NR_WAITERS) > 0 && entryPid(i32, lock, 0) === pid;
}
