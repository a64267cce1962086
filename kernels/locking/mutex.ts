/*
 * struct mutex: a futex-style sleeping lock on one shared word (kernel/locking/mutex.c; the
 * fast paths are __mutex_trylock_fast()/__mutex_unlock_fast(), the waiting is in the slow paths).
 *
 * Lock word (Int32 at `word`; lock_owner.ts has the owner encoding):
 *   0                             unlocked, nobody waiting
 *   LOCKED | pid<<7 | cpu         held by task `pid` on `cpu`
 *   | MUTEX_FLAG_WAITERS (bit 30) a task may be sleeping in __mutex_lock_slowpath(): the
 *                                 unlocker must clear the word and wake the wait queue
 * Wait queue (Int32 at `word + 1`): the mask of executors with a sleeper (kapi.waitEvent/wakeUp).
 *
 * Guarantees: mutual exclusion; an uncontended lock/unlock is one CAS each and never wakes
 * anyone; a waiter sleeps as a task (its executor runs its other tasks). No wake-up is ever lost,
 * even when a waiter bound to an offline CPU is parked and cannot react to a wake-up for a while: a
 * sleeper's condition is "the owner is gone OR the WAITERS flag is gone", so every transition
 * that could strand a sleeper (an unlock clearing the word) is followed by a wake-up, and a
 * sleeper that finds WAITERS cleared re-asserts it before sleeping again. The woken waiter never
 * has to "re-mark contention" for others: whoever takes the lock in the slow path takes it with
 * WAITERS set (as Drepper's mutex takes it in state 2), so the next unlock wakes again.
 * A contended lock first spins on the word (mutex_optimistic_spin(), MUTEX_SPIN_TRIES loads) before
 * it sleeps; unlike the kernel it cannot see whether the owner is running, so it spins a fixed count.
 *
 * Test switch: `mutex.test_lost_wakeup=N` (boot parameter; 0 = off, the default) makes every
 * N-th waking unlock forget its wake-up, the bug the hung-task check exists for.
 *
 * Not done: hand-off, the MCS queue of optimistic spinners, debug_mutex checks (unlock by a
 * non-owner works).
 */

import { COV, cov, kapi, type LockClassKey, type LockdepMap, type WaitQueueHead, LOCK_TYPE_PROPS } from '../../harness/kapi.js';
import { LOCK_TAKEN } from './fast_path.js';
import { LOCK_FLAG, LOCK_OWNER_MASK, lock_owner_current, lock_owner_decode } from './lock_owner.js';
import { ModuleParams } from '../moduleparam.js';

export const MUTEX_FLAG_WAITERS = LOCK_FLAG;
/** Words per instance: lock word + wait queue, alone on a 64-byte line. */
export const MUTEX_WORDS = 16;

export interface Mutex {
  readonly i32: Int32Array;
  /** Int32 index of the lock word in guest shm. */
  readonly word: number;
  readonly wq: WaitQueueHead;
  readonly dep_map: LockdepMap;
}

/**
 * DEFINE_MUTEX(name): the named mutex in guest shm (the same on every CPU). The lockdep class is
 * `name` (wait type 3, sleep) unless `key` is given (arrays of instances, __mutex_init).
 */
export function DEFINE_MUTEX(name: string, key?: LockClassKey): Mutex {
  const r = kapi.shmAlloc(name, MUTEX_WORDS);
  const k = key ?? kapi.lockClass(name, 'mutex', LOCK_TYPE_PROPS.mutex.waitType);
  return { i32: kapi.shm, word: r.base, wq: { i32: kapi.shm, index: r.base + 1 }, dep_map: { key: k, addr: r.base * 4, name: k.name } };
}

/** __mutex_init(): an instance with an explicit class key. */
export function __mutex_init(name: string, key: LockClassKey): Mutex {
  return DEFINE_MUTEX(name, key);
}

/* ---------------- fast paths: one CAS each ---------------- */

/** __mutex_trylock_fast(): 0 -> owner. Pairs with the CAS/exchange in the unlock paths. */
function __mutex_trylock_fast(lock: Mutex, owner: number): boolean {
  return Atomics.compareExchange(lock.i32, lock.word, 0, owner) === 0;
}

/**
 * __mutex_unlock_fast(): owner -> 0 when WAITERS is not set. The kernel compares with `current`;
 * here the word as this thread last saw it serves (a plain read: the owner is our own CAS's
 * value, and unlike Atomics.load it is not a builtin call), which spares computing the owner on
 * every unlock. The CAS decides: a WAITERS that another thread set is seen by it (it fails, the
 * slow path clears the word and wakes). The model has no owner check on unlock ("Not done").
 */
function __mutex_unlock_fast(lock: Mutex): boolean {
  const { i32, word } = lock;
  const v = i32[word]!;
  return (v & MUTEX_FLAG_WAITERS) === 0 && Atomics.compareExchange(i32, word, v, 0) === v;
}

/* ---------------- slow paths ---------------- */

/** Tries of mutex_optimistic_spin() before the task goes to sleep. */
const MUTEX_SPIN_TRIES = 128;

/**
 * mutex_optimistic_spin(): the owner of a contended mutex usually releases it within a few
 * hundred nanoseconds, far less than a sleep and wake-up cost, so spin on the word for a while
 * first (the kernel spins while the owner is running). WAITERS is kept if set: sleepers remain.
 */
function mutex_optimistic_spin(lock: Mutex, owner: number): boolean {
  const { i32, word } = lock;
  for (let k = 0; k < MUTEX_SPIN_TRIES; k++) {
    const v = Atomics.load(i32, word);
    // The CAS pairs with the CAS or exchange of the owner's unlock (__mutex_unlock_fast/slowpath).
    if ((v & LOCK_OWNER_MASK) === 0 && Atomics.compareExchange(i32, word, v, owner | (v & MUTEX_FLAG_WAITERS)) === v) return true;
  }
  return false;
}

async function __mutex_lock_slowpath(lock: Mutex, owner: number): Promise<void> {
  const { i32, word } = lock;
  cov(COV.mutex_slowpath);
  if (mutex_optimistic_spin(lock, owner)) return cov(COV.mutex_optimistic_spin);
  kapi.lockdep.contended(lock.dep_map);
  const mayRun = (): boolean => {
    const v = Atomics.load(i32, word);
    return (v & LOCK_OWNER_MASK) === 0 || (v & MUTEX_FLAG_WAITERS) === 0;
  };
  for (;;) {
    const v = Atomics.load(i32, word);
    if ((v & LOCK_OWNER_MASK) === 0) {
      // Take it with WAITERS set: others may still sleep, so our unlock must wake them.
      if (Atomics.compareExchange(i32, word, v, owner | MUTEX_FLAG_WAITERS) === v) break;
      continue;
    }
    if ((v & MUTEX_FLAG_WAITERS) === 0 && Atomics.compareExchange(i32, word, v, v | MUTEX_FLAG_WAITERS) !== v) continue;
    // waitEvent publishes our CPU in the wait queue, then re-checks mayRun(): pairs with the
    // exchange + wakeUp() (mask load) in __mutex_unlock_slowpath().
    cov(COV.mutex_wait_list);
    await kapi.waitEvent(lock.wq, mayRun);
  }
  kapi.lockdep.acquired(lock.dep_map);
}

/** -1 until read from the boot line; then every N-th waking unlock loses its wake-up (0: never). */
let lostWakeupEvery = -1;
export const mutex_params = new ModuleParams('mutex');
/** Planted bug (ours, as the kernel's test_* switches): every N-th waking unlock forgets it. */
const test_lost_wakeup_param = mutex_params.param('uint', 'test_lost_wakeup', 0, 'Lose every N-th waking unlock (0: never)');
let wakingUnlocks = 0;

function test_lost_wakeup(): boolean {
  if (lostWakeupEvery < 0) lostWakeupEvery = test_lost_wakeup_param.get();
  return lostWakeupEvery > 0 && ++wakingUnlocks % lostWakeupEvery === 0;
}

function __mutex_unlock_slowpath(lock: Mutex): void {
  cov(COV.mutex_unlock_wake);
  const old = Atomics.exchange(lock.i32, lock.word, 0);
  if ((old & MUTEX_FLAG_WAITERS) !== 0 && !test_lost_wakeup()) kapi.wakeUp(lock.wq);
}

/* ---------------- API ---------------- */

/*
 * The contended calls' own async frames, named as the API functions: a task hung in the slow
 * path shows `__mutex_lock_slowpath` then `mutex_lock` in its trace, as the kernel's does (the
 * uncontended entries below are plain functions, which no async trace would show).
 */
const contended = {
  async mutex_lock(lock: Mutex, owner: number): Promise<void> {
    await __mutex_lock_slowpath(lock, owner);
  },
  async mutex_lock_nested(lock: Mutex, owner: number): Promise<void> {
    await __mutex_lock_slowpath(lock, owner);
  },
};

/**
 * mutex_lock(): sleep until the mutex is ours. Task context only; callers `await` it. Uncontended
 * it allocates nothing and returns LOCK_TAKEN (fast_path.ts); only the slow path is async.
 */
export function mutex_lock(lock: Mutex): Promise<void> {
  kapi.mightSleep();
  kapi.lockdep.acquire(lock.dep_map, 0, false, 0, null);
  const owner = lock_owner_current();
  return __mutex_trylock_fast(lock, owner) ? LOCK_TAKEN : contended.mutex_lock(lock, owner);
}

/** mutex_lock_nested(): as mutex_lock(), as lockdep subclass `subclass` (< 8). */
export function mutex_lock_nested(lock: Mutex, subclass: number): Promise<void> {
  kapi.mightSleep();
  kapi.lockdep.acquire(lock.dep_map, subclass, false, 0, null);
  const owner = lock_owner_current();
  return __mutex_trylock_fast(lock, owner) ? LOCK_TAKEN : contended.mutex_lock_nested(lock, owner);
}

/** mutex_trylock(): true if taken; never sleeps. */
export function mutex_trylock(lock: Mutex): boolean {
  if (!__mutex_trylock_fast(lock, lock_owner_current())) return false;
  kapi.lockdep.acquire(lock.dep_map, 0, true, 0, null);
  return true;
}

export function mutex_unlock(lock: Mutex): void {
  kapi.lockdep.release(lock.dep_map);
  if (!__mutex_unlock_fast(lock)) __mutex_unlock_slowpath(lock);
}

export function mutex_is_locked(lock: Mutex): boolean {
  return (Atomics.load(lock.i32, lock.word) & LOCK_OWNER_MASK) !== 0;
}

/** The owner as {cpu, pid}, or null (for reports; the kernel's __mutex_owner()). */
export function __mutex_owner(lock: Mutex): { cpu: number; pid: number } | null {
  return lock_owner_decode(Atomics.load(lock.i32, lock.word));
}
