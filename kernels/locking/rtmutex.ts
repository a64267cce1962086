/*
 * struct rt_mutex: a sleeping lock with priority inheritance (kernel/locking/rtmutex.c,
 * rtmutex_api.c). The owner of a contended rt_mutex runs at the prio of its best waiter, and a
 * waiter's prio propagates down the chain of owners that are themselves blocked
 * (rtmutex_chain.ts has the algorithm; kernels/README.md, "rt_mutex", the design).
 *
 * Lock word (Int32 at `word`; lock_owner.ts has the owner encoding):
 *   0                                unlocked, nobody waiting
 *   LOCKED | pid<<7 | cpu            held by task `pid`
 *   | RT_MUTEX_HAS_WAITERS (bit 30)  waiters exist: the fast unlock fails, the slow one wakes
 *   RT_MUTEX_HAS_WAITERS alone       released to the top waiter, which has not taken it yet
 * The waiters (their pids in blocking order), the next owner woken, and the lock's wait queue
 * follow the word in the lock's region. Every slow path runs under one raw spinlock, the PI lock
 * (`rt_mutex_pi_lock`), which stands for the kernel's lock->wait_lock and task->pi_lock: the
 * whole chain walk is one critical section (a departure: the kernel drops and retakes locks at
 * each step and revalidates; with one lock nothing can change under the walk).
 *
 * Fast paths are one CAS each, as __rt_mutex_lock()/__rt_mutex_unlock()'s rt_mutex_cmpxchg_*.
 * A waiter sleeps on the lock's wait queue until it is the woken next owner and the lock is
 * ownerless; it then takes the PI lock and try_to_take_rt_mutex() decides (a better-prio task
 * may have stolen it meanwhile; the woken waiter then passes the wake-up on to the new top).
 *
 * Deadlocks: with CONFIG_PROVE_LOCKING (which selects CONFIG_DEBUG_RT_MUTEXES) every chain walk
 * is a full one and detects the cycle; rt_mutex_lock() then WARNs `rtmutex deadlock detected`
 * and sleeps for ever (rt_mutex_handle_deadlock()). Without it only a self-deadlock is seen.
 *
 * Test switch: `rtmutex.test_broken_pi=1` (boot parameter) never applies a boost: a PI chain
 * that fails to boost (configs/lock BUSTED-BOOST; rtmutex_pi.test.ts).
 */

import { COV, cov, kapi, LD_WAIT, type LockClassKey, type LockdepMap, type WaitQueueHead } from '../../harness/kapi.js';
import { LOCK_FLAG, LOCK_OWNER_MASK, lock_owner_current, lock_owner_decode } from './lock_owner.js';
import { ModuleParams } from '../moduleparam.js';
import { DEFINE_RAW_SPINLOCK, raw_spin_lock_irqsave, raw_spin_unlock_irqrestore, type RawSpinlock } from './spinlock.js';
import { may_take_rt_mutex, rt_mutex_adjust_pi as rt_mutex_adjust_pi_walk, rt_mutex_adjust_prio, rt_mutex_adjust_prio_chain, rt_mutex_top_waiter, type PiState } from './rtmutex_chain.js';

export const RT_MUTEX_HAS_WAITERS = LOCK_FLAG;
/** Waiters one rt_mutex can hold (locktorture: 2 writers per CPU). */
export const RT_MUTEX_MAX_WAITERS = 256;
/** rt_mutexes per guest (the PI lookups scan them). */
const RT_MUTEX_MAX_LOCKS = 256;
/** The kernel's max_lock_depth sysctl default. */
export const max_lock_depth = 1024;

const W_OWNER = 0;
const W_WQ = 1;
/** pid of the waiter woken to take the released lock, 0 when none. */
const W_WAKEE = 2;
const W_NWAITERS = 3;
const W_WAITERS = 16;
export const RT_MUTEX_WORDS = W_WAITERS + RT_MUTEX_MAX_WAITERS;

export interface RtMutex {
  readonly i32: Int32Array;
  /** Int32 index of the lock word (also the lock's id in the PI state). */
  readonly word: number;
  readonly wq: WaitQueueHead;
  readonly dep_map: LockdepMap;
}

export const rtmutex_params = new ModuleParams('rtmutex');
const test_broken_pi_param = rtmutex_params.param('bool', 'test_broken_pi', false, 'Planted bug: never boost an rt_mutex owner (a PI chain that fails to boost)');

/* ---------------- the guest's rt_mutexes and the PI lock ---------------- */

interface Registry {
  readonly base: number;
  pi_lock: RawSpinlock;
  broken: boolean;
  detect: boolean;
}
let reg: Registry | null = null;

function registry(): Registry {
  if (reg !== null) return reg;
  const r = kapi.shmAlloc('rt_mutex_registry', 1 + RT_MUTEX_MAX_LOCKS);
  reg = {
    base: r.base,
    pi_lock: DEFINE_RAW_SPINLOCK('rt_mutex_pi_lock'),
    broken: test_broken_pi_param.get(),
    detect: kapi.config.kconfig.get('CONFIG_PROVE_LOCKING') === 'y',
  };
  return reg;
}

/** The PI state of the guest's rt_mutexes in shared memory (read and written under the PI lock). */
const shmPiState: PiState = {
  owner: (lock) => lock_owner_decode(Atomics.load(kapi.shm, lock + W_OWNER))?.pid ?? 0,
  waiters(lock): number[] {
    const i32 = kapi.shm;
    const n = Atomics.load(i32, lock + W_NWAITERS);
    const out: number[] = [];
    for (let k = 0; k < n; k++) out.push(Atomics.load(i32, lock + W_WAITERS + k));
    return out;
  },
  blockedOn(pid): number {
    const i32 = kapi.shm;
    const { base } = registry();
    const nlocks = Atomics.load(i32, base);
    for (let l = 0; l < nlocks; l++) {
      const lock = Atomics.load(i32, base + 1 + l);
      const n = Atomics.load(i32, lock + W_NWAITERS);
      for (let k = 0; k < n; k++) if (Atomics.load(i32, lock + W_WAITERS + k) === pid) return lock;
    }
    return -1;
  },
  ownedWithWaiters(pid): number[] {
    const i32 = kapi.shm;
    const { base } = registry();
    const nlocks = Atomics.load(i32, base);
    const out: number[] = [];
    for (let l = 0; l < nlocks; l++) {
      const lock = Atomics.load(i32, base + 1 + l);
      if (Atomics.load(i32, lock + W_NWAITERS) > 0 && shmPiState.owner(lock) === pid) out.push(lock);
    }
    return out;
  },
  prio: (pid) => kapi.sched.prio(pid),
  setPiPrio: (pid, prio) => kapi.sched.setPiPrio(pid, prio),
};

/**
 * DEFINE_RT_MUTEX(name) / __rt_mutex_init(): the named rt_mutex in guest shm. Its lockdep class
 * is `name` unless `key` is given; lockdep sees it as a mutex (a sleeping lock, wait type SLEEP).
 */
export function DEFINE_RT_MUTEX(name: string, key?: LockClassKey): RtMutex {
  const rg = registry();
  const r = kapi.shmAlloc(name, RT_MUTEX_WORDS, (x) => {
    const n = Atomics.add(kapi.shm, rg.base, 1);
    if (n >= RT_MUTEX_MAX_LOCKS) throw new Error(`DEFINE_RT_MUTEX(${name}): more than ${RT_MUTEX_MAX_LOCKS} rt_mutexes`);
    Atomics.store(kapi.shm, rg.base + 1 + n, x.base);
  });
  const k = key ?? kapi.lockClass(name, 'mutex', LD_WAIT.SLEEP);
  return { i32: kapi.shm, word: r.base, wq: { i32: kapi.shm, index: r.base + W_WQ }, dep_map: { key: k, addr: r.base * 4, name: k.name } };
}

/* ---------------- waiters ---------------- */

function enqueue_waiter(lock: RtMutex, pid: number): void {
  const { i32, word } = lock;
  const n = Atomics.load(i32, word + W_NWAITERS);
  if (n >= RT_MUTEX_MAX_WAITERS) throw new Error(`rt_mutex ${lock.dep_map.name}: more than ${RT_MUTEX_MAX_WAITERS} waiters`);
  Atomics.store(i32, word + W_WAITERS + n, pid);
  Atomics.store(i32, word + W_NWAITERS, n + 1);
}

function dequeue_waiter(lock: RtMutex, pid: number): void {
  const { i32, word } = lock;
  const n = Atomics.load(i32, word + W_NWAITERS);
  let k = 0;
  while (k < n && Atomics.load(i32, word + W_WAITERS + k) !== pid) k++;
  if (k === n) return;
  for (; k < n - 1; k++) Atomics.store(i32, word + W_WAITERS + k, Atomics.load(i32, word + W_WAITERS + k + 1));
  Atomics.store(i32, word + W_NWAITERS, n - 1);
}

/**
 * try_to_take_rt_mutex() under the PI lock: mark_rt_mutex_waiters() first (the owner's fast
 * unlock fails from then on, so it must come here), then take the lock if it is ownerless and
 * ours to take (may_take_rt_mutex()). The new owner inherits from the waiters left.
 */
function try_to_take_rt_mutex(lock: RtMutex, pid: number, ownerVal: number, st: Registry): boolean {
  const { i32, word } = lock;
  // Pairs with the owner's CAS in rt_mutex_unlock()'s fast path: one of the two sees the other.
  const v = Atomics.or(i32, word + W_OWNER, RT_MUTEX_HAS_WAITERS);
  if ((v & LOCK_OWNER_MASK) !== 0) return false;
  if (!may_take_rt_mutex(shmPiState, word, pid)) {
    // A stolen turn or a reordered tree: the woken waiter passes the wake-up to the top waiter.
    if (Atomics.load(i32, word + W_WAKEE) === pid) rt_mutex_wake_top(lock);
    return false;
  }
  if (Atomics.load(i32, word + W_WAKEE) > 0 && Atomics.load(i32, word + W_WAKEE) !== pid) cov(COV.rtmutex_steal);
  dequeue_waiter(lock, pid);
  const rest = Atomics.load(i32, word + W_NWAITERS) > 0;
  Atomics.store(i32, word + W_OWNER, ownerVal | (rest ? RT_MUTEX_HAS_WAITERS : 0));
  if (Atomics.load(i32, word + W_WAKEE) === pid) Atomics.store(i32, word + W_WAKEE, 0);
  if (rest) rt_mutex_adjust_prio(shmPiState, pid, st.broken);
  return true;
}

/** mark_wakeup_next_waiter(): the top waiter is the one to take the lock next; wake it. */
function rt_mutex_wake_top(lock: RtMutex): void {
  const top = rt_mutex_top_waiter(shmPiState, lock.word);
  Atomics.store(lock.i32, lock.word + W_WAKEE, top);
  // After the store: pairs with the sleeper's prepare_to_wait re-check of W_WAKEE (waitEvent()).
  if (top !== 0) kapi.wakeUp(lock.wq);
}

/* ---------------- slow paths ---------------- */

/** rt_mutex_handle_deadlock(): WARN and sleep for ever, as the kernel's rt_mutex_lock() does. */
async function rt_mutex_handle_deadlock(lock: RtMutex): Promise<never> {
  kapi.warn('rt_mutex_handle_deadlock', 'rtmutex deadlock detected');
  for (;;) await kapi.waitEventInterruptible(lock.wq, () => false);
}

async function rt_mutex_slowlock(lock: RtMutex, ownerVal: number): Promise<void> {
  const st = registry();
  const { i32, word } = lock;
  const me = kapi.current().pid;
  cov(COV.rtmutex_slowlock);
  kapi.lockdep.contended(lock.dep_map);
  let enqueued = false;
  for (;;) {
    const flags = raw_spin_lock_irqsave(st.pi_lock);
    if (try_to_take_rt_mutex(lock, me, ownerVal, st)) {
      raw_spin_unlock_irqrestore(st.pi_lock, flags);
      break;
    }
    if (!enqueued) {
      // task_blocks_on_rt_mutex(): the early self-deadlock check, then enqueue and walk the chain.
      const owner = shmPiState.owner(word);
      if (owner === me) {
        raw_spin_unlock_irqrestore(st.pi_lock, flags);
        await rt_mutex_handle_deadlock(lock);
      }
      enqueue_waiter(lock, me);
      enqueued = true;
      if (owner !== 0) {
        const before = shmPiState.prio(owner);
        const walk = rt_mutex_adjust_prio_chain(shmPiState, owner, word, me, st.detect, max_lock_depth, st.broken);
        if (shmPiState.prio(owner) < before) cov(COV.rtmutex_pi_boost);
        if (walk.adjusted.length > 1) cov(COV.rtmutex_chain_walk);
        if (walk.ret !== 0) {
          // remove_waiter(): undo the block and the owner's boost.
          dequeue_waiter(lock, me);
          rt_mutex_adjust_prio(shmPiState, owner, st.broken);
          raw_spin_unlock_irqrestore(st.pi_lock, flags);
          if (walk.why === 'max_lock_depth') kapi.printk(`Maximum lock depth ${max_lock_depth} reached task: ${kapi.current().comm} (${me})`);
          await rt_mutex_handle_deadlock(lock);
        }
      }
    }
    raw_spin_unlock_irqrestore(st.pi_lock, flags);
    // rt_mutex_slowlock_block(): sleep until we are the woken next owner of an ownerless lock.
    await kapi.waitEvent(lock.wq, () => Atomics.load(i32, word + W_WAKEE) === me && (Atomics.load(i32, word + W_OWNER) & LOCK_OWNER_MASK) === 0);
  }
  kapi.lockdep.acquired(lock.dep_map);
}

function rt_mutex_slowunlock(lock: RtMutex): void {
  const st = registry();
  const { i32, word } = lock;
  const me = kapi.current().pid;
  const flags = raw_spin_lock_irqsave(st.pi_lock);
  if (Atomics.load(i32, word + W_NWAITERS) === 0) {
    Atomics.store(i32, word + W_OWNER, 0);
  } else {
    Atomics.store(i32, word + W_OWNER, RT_MUTEX_HAS_WAITERS);
    cov(COV.rtmutex_unlock_wake);
    rt_mutex_wake_top(lock);
  }
  // The released lock's waiters no longer boost us: back to the prio of what we still hold.
  const boosted = shmPiState.prio(me);
  rt_mutex_adjust_prio(shmPiState, me, st.broken);
  if (shmPiState.prio(me) > boosted) cov(COV.rtmutex_pi_deboost);
  raw_spin_unlock_irqrestore(st.pi_lock, flags);
}

/* ---------------- API ---------------- */

/** rt_mutex_lock_nested(): sleep until the rt_mutex is ours, boosting its owner meanwhile. */
export async function rt_mutex_lock_nested(lock: RtMutex, subclass: number): Promise<void> {
  kapi.mightSleep();
  kapi.lockdep.acquire(lock.dep_map, subclass, false, 0, null);
  const ownerVal = lock_owner_current();
  // rt_mutex_cmpxchg_acquire(): pairs with the CAS/stores of the unlock paths.
  if (Atomics.compareExchange(lock.i32, lock.word + W_OWNER, 0, ownerVal) !== 0) await rt_mutex_slowlock(lock, ownerVal);
}

/** rt_mutex_lock(). Task context only. */
export function rt_mutex_lock(lock: RtMutex): Promise<void> {
  return rt_mutex_lock_nested(lock, 0);
}

/** rt_mutex_trylock(): true if taken; never sleeps, never steals from a waiter. */
export function rt_mutex_trylock(lock: RtMutex): boolean {
  if (Atomics.compareExchange(lock.i32, lock.word + W_OWNER, 0, lock_owner_current()) !== 0) return false;
  kapi.lockdep.acquire(lock.dep_map, 0, true, 0, null);
  return true;
}

/** rt_mutex_unlock(): one CAS when nobody waits; else hand the lock to the top waiter and deboost. */
export function rt_mutex_unlock(lock: RtMutex): void {
  kapi.lockdep.release(lock.dep_map);
  const ownerVal = lock_owner_current();
  // rt_mutex_cmpxchg_release(): fails when HAS_WAITERS is set (or we migrated since the lock).
  if (Atomics.compareExchange(lock.i32, lock.word + W_OWNER, ownerVal, 0) !== ownerVal) rt_mutex_slowunlock(lock);
}

export function rt_mutex_is_locked(lock: RtMutex): boolean {
  return (Atomics.load(lock.i32, lock.word + W_OWNER) & LOCK_OWNER_MASK) !== 0;
}

/** rt_mutex_owner() as {cpu, pid}, or null. */
export function rt_mutex_owner(lock: RtMutex): { cpu: number; pid: number } | null {
  return lock_owner_decode(Atomics.load(lock.i32, lock.word + W_OWNER));
}

/**
 * The PI invariant, checked by the holder (locktorture's boost check): under the PI lock, the
 * owner's prio is at least as good as its top waiter's. False is a boost that did not happen.
 * Returns the two prios for the report.
 */
export function rt_mutex_owner_boost_ok(lock: RtMutex): { ok: boolean; owner: number; waiter: number } {
  const st = registry();
  const flags = raw_spin_lock_irqsave(st.pi_lock);
  const owner = shmPiState.owner(lock.word);
  const top = rt_mutex_top_waiter(shmPiState, lock.word);
  const op = owner === 0 ? 0 : shmPiState.prio(owner);
  const wp = top === 0 ? 0 : shmPiState.prio(top);
  raw_spin_unlock_irqrestore(st.pi_lock, flags);
  return { ok: owner === 0 || top === 0 || op <= wp, owner: op, waiter: wp };
}

/**
 * rt_mutex_adjust_pi(): after `pid`'s sched_setscheduler() (kernels/sched/core.ts), requeue it
 * on the rt_mutex it waits for, if any, and carry the change down the chain. A no-op in a guest
 * that has no rt_mutex.
 */
export function rt_mutex_adjust_pi(pid: number): void {
  if (reg === null) return;
  const st = reg;
  const flags = raw_spin_lock_irqsave(st.pi_lock);
  rt_mutex_adjust_pi_walk(shmPiState, pid, max_lock_depth, st.broken);
  raw_spin_unlock_irqrestore(st.pi_lock, flags);
}

/** The waiters' pids in blocking order (tests and reports). */
export function rt_mutex_waiters(lock: RtMutex): readonly number[] {
  return shmPiState.waiters(lock.word);
}
