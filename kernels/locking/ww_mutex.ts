/*
 * struct ww_mutex: wound/wait mutexes (kernel/locking/mutex.c's ww paths, kernel/locking/ww_mutex.h,
 * Documentation/locking/ww-mutex-design.rst). A task takes several ww_mutexes of one class under an
 * acquire context (ww_acquire.ts) in any order; when two contexts meet in opposite orders, the
 * younger one (bigger stamp) is told -EDEADLK and must unlock everything it holds, wait for the
 * contended lock with ww_mutex_lock_slow() and start again. Wait-die classes (DEFINE_WD_CLASS)
 * make the younger waiter die at once; wound-wait classes (DEFINE_WW_CLASS) make an older waiter
 * wound the younger holder, which backs off at its next wait.
 *
 * Layout (Int32 words of the lock's shared memory; indices in ww_mutex_waiters.ts):
 *   WW_OWNER      LOCKED | pid<<7 | cpu (lock_owner.ts), | WAITERS (bit 30) while the list is non-empty
 *   WW_WQ         the wait queue the waiters sleep on (kapi.waitEvent / wakeUp)
 *   WW_CTX        ww->ctx: the holder's context ref (0: NULL)
 *   WW_CLASS      ww->ww_class (DEBUG_WW_MUTEXES)
 *   WW_WAIT_LOCK  lock->wait_lock, a raw spinlock (class `&lock->wait_lock`) over the list and ctx rules
 *   WW_LIST       the wait list: (pid, ctx ref) entries, by stamp (ww_mutex_waiters.ts)
 *
 * The base mutex is futex-style as mutex.ts's: an uncontended lock and unlock are one CAS each;
 * the unlocker clears the owner keeping WAITERS and, if set, wakes the wait queue; every waiter
 * re-checks (the kernel wakes the first; any woken waiter may take the lock, as the kernel's
 * mutex lets a spinner steal it, which the wound/die rules allow). A waiter sleeps until the lock
 * is free or its context's wake count moved (a die or a wound for it: wake_up_q()), and runs the
 * wait loop of __mutex_lock_common() under the wait_lock: trylock, __ww_mutex_check_kill(), sleep.
 *
 * The calls that may sleep return `number | Promise<number>`: a lock that is taken, or refused,
 * without waiting is answered at once (the self-test runs the API without a scheduler:
 * harness/lockdep/selftest_ww.ts); callers `await` either.
 *
 * Not done: optimistic spinning (a contended ww_mutex sleeps at once), WW_RT (ww over rt_mutex),
 * CONFIG_DEBUG_WW_MUTEX_SLOWPATH's deadlock injection, ww_mutex_lock_interruptible()'s signals
 * (nothing sends any: it is ww_mutex_lock() under another name).
 */

import { COV, cov, kapi, LD_WAIT, type Kapi, type LockClassKey, type LockdepMap } from '../../harness/kapi.js';
import { LOCK_FLAG, LOCK_OWNER_MASK, lock_owner_current, lock_owner_decode } from './lock_owner.js';
import { raw_spin_lock, raw_spin_unlock, type RawSpinlock } from './spinlock.js';
import { DEBUG_LOCKS_WARN_ON } from './debug_locks.js';
import { CTX_ACQUIRED, CTX_BLOCKED_ON, CTX_CLASS, CTX_CONTENDING, CTX_DONE_ACQUIRE, CTX_WAKE, CTX_WOUNDED, debug_ww_mutexes, ww_ctx_of, type WwAcquireCtx, type WwClass } from './ww_acquire.js';
import {
  EALREADY,
  WW_CLASS,
  WW_CTX,
  WW_NR_WAITERS,
  WW_OWNER,
  WW_WAIT_LOCK,
  WW_WORDS,
  WW_WQ,
  __mutex_add_waiter,
  __ww_mutex_add_waiter,
  __ww_mutex_check_kill,
  __ww_mutex_check_waiters,
  __ww_waiter_is_first,
  __ww_waiter_remove,
  wake_up_q,
  type WakeQ,
} from './ww_mutex_waiters.js';

export { EDEADLK, EALREADY } from './ww_mutex_waiters.js';

const MUTEX_FLAG_WAITERS = LOCK_FLAG;

export interface WwMutex {
  readonly i32: Int32Array;
  /** Base word of the lock's shared memory. */
  readonly base: number;
  readonly ww_class: WwClass;
  readonly dep_map: LockdepMap;
  readonly wait_lock: RawSpinlock;
}

/** `&lock->wait_lock`: one class for every ww_mutex's wait_lock (one init site), declared once per kapi. */
let waitLockKey: LockClassKey | null = null;
let waitLockKeyOf: Kapi | null = null;

/** ww_mutex_init(lock, ww_class): a named ww_mutex (the same on every CPU) of class `<class>_mutex`. */
export function ww_mutex_init(name: string, cls: WwClass): WwMutex {
  const r = kapi.shmAlloc(name, WW_WORDS, (r0) => Atomics.store(kapi.shm, r0.base + WW_CLASS, cls.id + 1));
  if (waitLockKey === null || waitLockKeyOf !== kapi) {
    waitLockKeyOf = kapi;
    waitLockKey = kapi.lockClass('&lock->wait_lock', 'spinlock', LD_WAIT.SPIN);
  }
  const wl = r.base + WW_WAIT_LOCK;
  return {
    i32: kapi.shm,
    base: r.base,
    ww_class: cls,
    dep_map: { key: cls.mutex_key, addr: r.base * 4, name },
    wait_lock: { i32: kapi.shm, word: wl, dep_map: { key: waitLockKey, addr: wl * 4, name: waitLockKey.name } },
  };
}

/* ---------------- the base mutex word ---------------- */

/** __mutex_trylock(): take a free lock, keeping WAITERS. Pairs with the unlock's CAS. */
function __mutex_trylock(lock: WwMutex, owner: number): boolean {
  const { i32, base } = lock;
  for (;;) {
    const v = Atomics.load(i32, base + WW_OWNER);
    if ((v & LOCK_OWNER_MASK) !== 0) return false;
    if (Atomics.compareExchange(i32, base + WW_OWNER, v, owner | (v & MUTEX_FLAG_WAITERS)) === v) return true;
  }
}

/** The owner part of the word goes, WAITERS stays; wake the waiters if there are any. */
function __mutex_unlock(lock: WwMutex): void {
  const { i32, base } = lock;
  for (;;) {
    const v = Atomics.load(i32, base + WW_OWNER);
    // The CAS pairs with a waiter's Atomics.or of WAITERS (then its trylock and its wait-queue
    // publication): either it sees the lock free, or we see WAITERS and wake it.
    if (Atomics.compareExchange(i32, base + WW_OWNER, v, v & MUTEX_FLAG_WAITERS) !== v) continue;
    if ((v & MUTEX_FLAG_WAITERS) !== 0) {
      cov(COV.ww_mutex_unlock_wake);
      kapi.wakeUp({ i32, index: base + WW_WQ });
    }
    return;
  }
}

/* ---------------- ww context bookkeeping ---------------- */

/** ww_mutex_lock_acquired(): the lock is ours under `ctx`; DEBUG_WW_MUTEXES checks the caller's manners. */
function ww_mutex_lock_acquired(lock: WwMutex, ctx: WwAcquireCtx): void {
  const { i32 } = lock;
  const c = ctx.base;
  if (debug_ww_mutexes()) {
    // ww_mutex_lock() taken, but a plain mutex unlock released it last time.
    DEBUG_LOCKS_WARN_ON(Atomics.load(i32, lock.base + WW_CTX) !== 0, 'ww->ctx');
    DEBUG_LOCKS_WARN_ON(Atomics.load(i32, c + CTX_DONE_ACQUIRE) !== 0, 'ww_ctx->done_acquire');
    const contending = Atomics.load(i32, c + CTX_CONTENDING);
    if (contending !== 0) {
      // After -EDEADLK: another lock than the contended one, or without unlocking the others first.
      DEBUG_LOCKS_WARN_ON(contending !== lock.base + 1, 'ww_ctx->contending_lock != ww');
      DEBUG_LOCKS_WARN_ON(Atomics.load(i32, c + CTX_ACQUIRED) > 0, 'ww_ctx->acquired > 0');
      Atomics.store(i32, c + CTX_CONTENDING, 0);
    }
    DEBUG_LOCKS_WARN_ON(Atomics.load(i32, c + CTX_CLASS) !== Atomics.load(i32, lock.base + WW_CLASS), 'ww_ctx->ww_class != ww->ww_class');
  }
  Atomics.add(i32, c + CTX_ACQUIRED, 1);
  Atomics.store(i32, lock.base + WW_CTX, ctx.ref);
}

/**
 * ww_mutex_set_context_fastpath(): taken without the wait_lock; if waiters came meanwhile, they
 * may have to die or wound us. The ctx store, then the WAITERS load: pairs with a waiter's WAITERS
 * store, then its WW_CTX load in __ww_mutex_add_waiter(), so one of the two sees the other.
 */
function ww_mutex_set_context_fastpath(lock: WwMutex, ctx: WwAcquireCtx): void {
  ww_mutex_lock_acquired(lock, ctx);
  if ((Atomics.load(lock.i32, lock.base + WW_OWNER) & MUTEX_FLAG_WAITERS) === 0) return;
  const q: WakeQ = [];
  raw_spin_lock(lock.wait_lock);
  __ww_mutex_check_waiters(lock.i32, lock.base, ctx.base, q);
  raw_spin_unlock(lock.wait_lock);
  wake_up_q(lock.i32, q);
}

/* ---------------- __mutex_lock_common() with a ww context ---------------- */

/** One waiter's state across the passes of the wait loop. */
interface Waiter {
  readonly lock: WwMutex;
  readonly ctx: WwAcquireCtx | null;
  readonly pid: number;
  /** CTX_WAKE as read under the wait_lock in the last pass. */
  seen: number;
}

/** Leave the list (WAITERS goes with the last waiter) under the wait_lock. */
function __ww_remove_waiter(w: Waiter): void {
  const { i32, base } = w.lock;
  if (__ww_waiter_remove(i32, base, w.pid) === 0) Atomics.and(i32, base + WW_OWNER, ~MUTEX_FLAG_WAITERS);
}

/** The `acquired:` and `skip_wait:` exits, under the wait_lock (which they drop). */
function __ww_lock_acquired(w: Waiter, queued: boolean, q: WakeQ): number {
  const { lock, ctx } = w;
  if (queued) {
    if (ctx !== null && !lock.ww_class.is_wait_die && !__ww_waiter_is_first(lock.i32, lock.base, w.pid)) {
      __ww_mutex_check_waiters(lock.i32, lock.base, ctx.base, q);
    }
    __ww_remove_waiter(w);
    kapi.lockdep.acquired(lock.dep_map);
  } else if (ctx !== null) {
    __ww_mutex_check_waiters(lock.i32, lock.base, ctx.base, q);
  }
  if (ctx !== null) {
    Atomics.store(lock.i32, ctx.base + CTX_BLOCKED_ON, 0);
    ww_mutex_lock_acquired(lock, ctx);
  }
  raw_spin_unlock(lock.wait_lock);
  wake_up_q(lock.i32, q);
  return 0;
}

/** The `err:` exit: off the list, the lock's lockdep acquisition undone, the error returned. */
function __ww_lock_err(w: Waiter, ret: number, queued: boolean, q: WakeQ): number {
  if (queued) __ww_remove_waiter(w);
  if (w.ctx !== null) Atomics.store(w.lock.i32, w.ctx.base + CTX_BLOCKED_ON, 0);
  raw_spin_unlock(w.lock.wait_lock);
  kapi.lockdep.release(w.lock.dep_map);
  wake_up_q(w.lock.i32, q);
  return ret;
}

/**
 * One pass of the wait loop, under the wait_lock: take the lock, or back off, or (null) sleep.
 * CTX_WAKE is read before the kill check, so a wound or die that lands after it wakes the sleep.
 */
function __ww_wait_pass(w: Waiter, q: WakeQ): number | null {
  const { lock, ctx } = w;
  if (ctx !== null) w.seen = Atomics.load(lock.i32, ctx.base + CTX_WAKE);
  // The owner as of now: the task may have woken on another CPU than it slept on.
  if (__mutex_trylock(lock, lock_owner_current())) return __ww_lock_acquired(w, true, q);
  if (ctx !== null) {
    const ret = __ww_mutex_check_kill(lock.i32, lock.base, w.pid, ctx.base);
    if (ret !== 0) return __ww_lock_err(w, ret, true, q);
  }
  return null;
}

/** The sleeping half of the wait loop: until the lock is free or our context is told to re-check. */
async function __ww_mutex_wait(w: Waiter): Promise<number> {
  const { lock, ctx } = w;
  const { i32, base } = lock;
  const wq = { i32, index: base + WW_WQ };
  const mayRun = (): boolean => (Atomics.load(i32, base + WW_OWNER) & LOCK_OWNER_MASK) === 0 || (ctx !== null && Atomics.load(i32, ctx.base + CTX_WAKE) !== w.seen);
  for (;;) {
    // Where we sleep, then (in waitEvent) the wait-queue publication and the CTX_WAKE re-check:
    // pairs with wake_up_q()'s CTX_WAKE bump, then CTX_BLOCKED_ON load.
    if (ctx !== null) Atomics.store(i32, ctx.base + CTX_BLOCKED_ON, wq.index + 1);
    cov(COV.ww_mutex_sleep);
    await kapi.waitEvent(wq, mayRun);
    const q: WakeQ = [];
    raw_spin_lock(lock.wait_lock);
    const ret = __ww_wait_pass(w, q);
    if (ret !== null) return ret;
    raw_spin_unlock(lock.wait_lock);
    wake_up_q(i32, q);
  }
}

/** __mutex_lock_common()'s slow path: queue (ordered by stamp), then the wait loop. */
function __ww_mutex_lock_slowpath(lock: WwMutex, ctx: WwAcquireCtx | null, owner: number): number | Promise<number> {
  const { i32, base } = lock;
  cov(COV.ww_mutex_slowpath);
  const w: Waiter = { lock, ctx, pid: kapi.current().pid, seen: 0 };
  const q: WakeQ = [];
  raw_spin_lock(lock.wait_lock);
  if (__mutex_trylock(lock, owner)) return __ww_lock_acquired(w, false, q);
  kapi.lockdep.contended(lock.dep_map);
  // WAITERS before the entry and the ww->ctx read (__ww_mutex_add_waiter()), see the fast path.
  Atomics.or(i32, base + WW_OWNER, MUTEX_FLAG_WAITERS);
  if (ctx === null) __mutex_add_waiter(i32, base, w.pid);
  else {
    const ret = __ww_mutex_add_waiter(i32, base, w.pid, ctx.base, q);
    if (ret !== 0) {
      if (Atomics.load(i32, base + WW_NR_WAITERS) === 0) Atomics.and(i32, base + WW_OWNER, ~MUTEX_FLAG_WAITERS);
      return __ww_lock_err(w, ret, false, q);
    }
  }
  const ret = __ww_wait_pass(w, q);
  if (ret !== null) return ret;
  raw_spin_unlock(lock.wait_lock);
  wake_up_q(i32, q);
  return __ww_mutex_wait(w);
}

/** __ww_mutex_lock(): ww_mutex_lock()'s body, with or without a context. */
function __ww_mutex_lock(lock: WwMutex, ctx: WwAcquireCtx | null): number | Promise<number> {
  const { i32, base } = lock;
  kapi.mightSleep();
  if (ctx !== null) {
    if (Atomics.load(i32, base + WW_CTX) === ctx.ref) return -EALREADY;
    // No other context can wound us while we hold nothing: reset after a kill.
    if (Atomics.load(i32, ctx.base + CTX_ACQUIRED) === 0) Atomics.store(i32, ctx.base + CTX_WOUNDED, 0);
  }
  kapi.lockdep.acquire(lock.dep_map, 0, false, 0, ctx !== null ? ctx.dep_map : null);
  const owner = lock_owner_current();
  // __mutex_trylock_fast(): 0 -> owner, pairs with the unlock's CAS.
  if (Atomics.compareExchange(i32, base + WW_OWNER, 0, owner) === 0) {
    if (ctx !== null) ww_mutex_set_context_fastpath(lock, ctx);
    return 0;
  }
  return __ww_mutex_lock_slowpath(lock, ctx, owner);
}

/* ---------------- API ---------------- */

/**
 * ww_mutex_lock(lock, ctx): 0 when taken; -EDEADLK when `ctx` must back off (unlock everything,
 * ww_mutex_lock_slow() this lock, start again); -EALREADY when `ctx` already holds it. With a
 * null ctx, a plain mutex_lock() of the ww_mutex. Task context; may sleep.
 */
export function ww_mutex_lock(lock: WwMutex, ctx: WwAcquireCtx | null): number | Promise<number> {
  return __ww_mutex_lock(lock, ctx);
}

/** ww_mutex_lock_interruptible(): as ww_mutex_lock(); nothing in the model sends signals, so never -EINTR. */
export function ww_mutex_lock_interruptible(lock: WwMutex, ctx: WwAcquireCtx | null): number | Promise<number> {
  return __ww_mutex_lock(lock, ctx);
}

/**
 * ww_mutex_lock_slow(): after -EDEADLK, with every other lock of `ctx` released, sleep for the
 * contended lock (a context that holds nothing is never killed).
 */
export function ww_mutex_lock_slow(lock: WwMutex, ctx: WwAcquireCtx): void | Promise<void> {
  if (debug_ww_mutexes()) DEBUG_LOCKS_WARN_ON(Atomics.load(ctx.i32, ctx.base + CTX_CONTENDING) === 0, '!ctx->contending_lock');
  cov(COV.ww_mutex_lock_slow);
  const r = ww_mutex_lock(lock, ctx);
  if (typeof r !== 'number') return r.then(() => undefined);
}

/** ww_mutex_lock_slow_interruptible(). */
export function ww_mutex_lock_slow_interruptible(lock: WwMutex, ctx: WwAcquireCtx): number | Promise<number> {
  if (debug_ww_mutexes()) DEBUG_LOCKS_WARN_ON(Atomics.load(ctx.i32, ctx.base + CTX_CONTENDING) === 0, '!ctx->contending_lock');
  return ww_mutex_lock_interruptible(lock, ctx);
}

/**
 * ww_mutex_trylock(lock, ctx): true if taken, never sleeps. With a context it counts as one of the
 * context's locks (and wakes waiters that must die or wound it).
 */
export function ww_mutex_trylock(lock: WwMutex, ctx: WwAcquireCtx | null): boolean {
  // No other context can wound us while we hold nothing: reset after a kill.
  if (ctx !== null && Atomics.load(lock.i32, ctx.base + CTX_ACQUIRED) === 0) Atomics.store(lock.i32, ctx.base + CTX_WOUNDED, 0);
  if (!__mutex_trylock(lock, lock_owner_current())) return false;
  // The kernel's order: the context first (it may take the wait_lock), then lockdep.
  if (ctx !== null) ww_mutex_set_context_fastpath(lock, ctx);
  kapi.lockdep.acquire(lock.dep_map, 0, true, 0, ctx !== null ? ctx.dep_map : null);
  return true;
}

/** __ww_mutex_unlock(): the holder's context gives the lock up. */
function __ww_mutex_unlock(lock: WwMutex): void {
  const { i32, base } = lock;
  const ref = Atomics.load(i32, base + WW_CTX);
  if (ref === 0) return;
  const c = ww_ctx_of(ref);
  if (debug_ww_mutexes()) DEBUG_LOCKS_WARN_ON(Atomics.load(i32, c + CTX_ACQUIRED) === 0, '!lock->ctx->acquired');
  if (Atomics.load(i32, c + CTX_ACQUIRED) > 0) Atomics.sub(i32, c + CTX_ACQUIRED, 1);
  Atomics.store(i32, base + WW_CTX, 0);
}

/** ww_mutex_unlock(). */
export function ww_mutex_unlock(lock: WwMutex): void {
  __ww_mutex_unlock(lock);
  kapi.lockdep.release(lock.dep_map);
  if (Atomics.compareExchange(lock.i32, lock.base + WW_OWNER, lock_owner_current(), 0) !== lock_owner_current()) __mutex_unlock(lock);
}

/** mutex_lock(&ww->base) / mutex_unlock(&ww->base): the lock as a plain mutex, ww->ctx untouched. */
export function ww_mutex_base_lock(lock: WwMutex): number | Promise<number> {
  return __ww_mutex_lock(lock, null);
}

export function ww_mutex_base_trylock(lock: WwMutex): boolean {
  return ww_mutex_trylock(lock, null);
}

export function ww_mutex_base_unlock(lock: WwMutex): void {
  kapi.lockdep.release(lock.dep_map);
  if (Atomics.compareExchange(lock.i32, lock.base + WW_OWNER, lock_owner_current(), 0) !== lock_owner_current()) __mutex_unlock(lock);
}

export function ww_mutex_is_locked(lock: WwMutex): boolean {
  return (Atomics.load(lock.i32, lock.base + WW_OWNER) & LOCK_OWNER_MASK) !== 0;
}

/** The owner as {cpu, pid}, or null. */
export function __ww_mutex_owner(lock: WwMutex): { cpu: number; pid: number } | null {
  return lock_owner_decode(Atomics.load(lock.i32, lock.base + WW_OWNER));
}
