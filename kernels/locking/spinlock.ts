/*
 * raw_spinlock_t / spinlock_t: a paravirt spinlock on one shared word (kernel/locking/qspinlock
 * with CONFIG_PARAVIRT_SPINLOCKS, reduced to its essentials).
 *
 * Lock word (Int32 at `word`; lock_owner.ts has the shared owner encoding):
 *   0                          unlocked
 *   LOCKED | pid<<5 | cpu      held by task `pid` (0 in interrupt context) on `cpu`
 *   | SPIN_SLEEPER (bit 30)    some waiter's worker sleeps in spinWait(): unlock must kick
 *
 * Guarantees: mutual exclusion; a waiter never yields its CPU to another task (a spinlock stays a
 * spinlock to the guest), but after SPIN_THRESHOLD failed tries its worker thread blocks on the
 * word (pv_wait) until the unlocker kicks it (pv_kick) or a slice passes, so a guest with more
 * CPUs than host cores does not collapse under lock-holder preemption (kernels/README.md,
 * "Oversubscription"). Uncontended unlock is one CAS and never notifies.
 * Preemption is disabled while held, so sleeping under a spinlock is reported by the runtime as
 * "scheduling while atomic".
 *
 * Not done: fairness (no MCS queue), spin_lock_nested subclasses beyond the lockdep annotation.
 */

import { kapi, type LockClassKey, type LockdepMap, LD_WAIT } from '../../harness/kapi.js';
import { LOCK_FLAG, LOCK_OWNER_LOCKED, lock_owner_current } from './lock_owner.js';

/** Set by a waiter before it sleeps in spinWait(); the unlocker kicks only when it is set. */
export const SPIN_SLEEPER = LOCK_FLAG;
/** Failed CAS attempts before a waiter parks its worker (pv_wait). */
export const SPIN_THRESHOLD = 100;
/** Longest single pv_wait; a lost kick costs at most this. */
export const SPIN_WAIT_SLICE_MS = 10;
/** Words per instance: the lock word on its own 64-byte line. */
export const SPINLOCK_WORDS = 16;

/** arch_spinlock_t: the bare lock word, no lockdep map (used inside other locks, e.g. qrwlock). */
export interface ArchSpinlock {
  readonly i32: Int32Array;
  /** Int32 index of the lock word in guest shm. */
  readonly word: number;
}

export interface RawSpinlock extends ArchSpinlock {
  readonly dep_map: LockdepMap;
}
export type Spinlock = RawSpinlock;

/**
 * DEFINE_RAW_SPINLOCK(name): the named instance in guest shm (the same on every CPU). `key`
 * lets arrays of instances share or split classes; by default the class is named after the lock.
 */
export function DEFINE_RAW_SPINLOCK(name: string, key?: LockClassKey): RawSpinlock {
  const r = kapi.shmAlloc(name, SPINLOCK_WORDS);
  const k = key ?? kapi.lockClass(name, 'spinlock', LD_WAIT.CONFIG);
  return { i32: kapi.shm, word: r.base, dep_map: { key: k, addr: r.base * 4, name: k.name } };
}

/** DEFINE_SPINLOCK(name): spinlock_t is raw_spinlock_t here (no PREEMPT_RT). */
export function DEFINE_SPINLOCK(name: string, key?: LockClassKey): Spinlock {
  return DEFINE_RAW_SPINLOCK(name, key);
}

/** __ARCH_SPIN_LOCK_UNLOCKED for an embedded arch spinlock: shm only, no lockdep class. */
export function arch_spin_lock_init(name: string): ArchSpinlock {
  return { i32: kapi.shm, word: kapi.shmAlloc(name, SPINLOCK_WORDS).base };
}

/* ---------------- fast path: one CAS, nothing else ---------------- */

/** arch_spin_trylock(): 0 -> owner. Pairs with the exchange/CAS in the unlock paths. */
function arch_spin_trylock(lock: ArchSpinlock, owner: number): boolean {
  return Atomics.compareExchange(lock.i32, lock.word, 0, owner) === 0;
}

/** arch_spin_unlock() fast: owner -> 0 when no sleeper is flagged. */
function arch_spin_unlock_fast(lock: ArchSpinlock, owner: number): boolean {
  return Atomics.compareExchange(lock.i32, lock.word, owner, 0) === owner;
}

/* ---------------- slow path ---------------- */

/** pv_wait(): block this worker while the word still reads `val` (bounded by a slice). */
function pv_wait(lock: ArchSpinlock, val: number): void {
  kapi.spinWait(lock.i32, lock.word, val, SPIN_WAIT_SLICE_MS);
}

/** pv_kick(): wake every worker parked on the word. */
function pv_kick(lock: ArchSpinlock): void {
  kapi.spinKick(lock.i32, lock.word);
}

/** queued_spin_lock_slowpath(): spin, then flag SPIN_SLEEPER and pv_wait until kicked. */
function queued_spin_lock_slowpath(lock: ArchSpinlock, owner: number, map: LockdepMap | null): void {
  const { i32, word } = lock;
  if (map !== null) kapi.lockdep.contended(map);
  for (;;) {
    for (let spins = 0; spins < SPIN_THRESHOLD; spins++) {
      const v = Atomics.load(i32, word);
      // Keep SPIN_SLEEPER when taking the lock: other workers may still be parked on it.
      if ((v & LOCK_OWNER_LOCKED) === 0 && Atomics.compareExchange(i32, word, v, owner | (v & SPIN_SLEEPER)) === v) {
        if (map !== null) kapi.lockdep.acquired(map);
        return;
      }
    }
    const v = Atomics.load(i32, word);
    if ((v & LOCK_OWNER_LOCKED) === 0) continue;
    // Publish the sleeper before parking: pairs with the exchange in __raw_spin_unlock_slowpath(),
    // which kicks after clearing the word if it saw the bit. Atomics.wait re-checks the value
    // atomically, so a kick between this CAS and the wait cannot be lost.
    if ((v & SPIN_SLEEPER) === 0 && Atomics.compareExchange(i32, word, v, v | SPIN_SLEEPER) !== v) continue;
    pv_wait(lock, v | SPIN_SLEEPER);
  }
}

function __raw_spin_unlock_slowpath(lock: ArchSpinlock): void {
  const old = Atomics.exchange(lock.i32, lock.word, 0);
  if ((old & SPIN_SLEEPER) !== 0) pv_kick(lock);
}

/* ---------------- API ---------------- */

/** arch_spin_lock(): the lock word only (no preempt, no lockdep). */
export function arch_spin_lock(lock: ArchSpinlock): void {
  const owner = lock_owner_current();
  if (!arch_spin_trylock(lock, owner)) queued_spin_lock_slowpath(lock, owner, null);
}

/** arch_spin_unlock(). */
export function arch_spin_unlock(lock: ArchSpinlock): void {
  if (!arch_spin_unlock_fast(lock, lock_owner_current())) __raw_spin_unlock_slowpath(lock);
}

/** do_raw_spin_lock(): fast CAS, else the slow path (which reports contention to lockdep). */
export function do_raw_spin_lock(lock: RawSpinlock): void {
  const owner = lock_owner_current();
  if (!arch_spin_trylock(lock, owner)) queued_spin_lock_slowpath(lock, owner, lock.dep_map);
}

/** do_raw_spin_unlock(). */
export function do_raw_spin_unlock(lock: RawSpinlock): void {
  if (!arch_spin_unlock_fast(lock, lock_owner_current())) __raw_spin_unlock_slowpath(lock);
}

export function raw_spin_lock(lock: RawSpinlock): void {
  kapi.preemptDisable();
  kapi.lockdep.acquire(lock.dep_map, 0, false, 0, null);
  do_raw_spin_lock(lock);
}

/** raw_spin_lock_nested(lock, subclass). */
export function raw_spin_lock_nested(lock: RawSpinlock, subclass: number): void {
  kapi.preemptDisable();
  kapi.lockdep.acquire(lock.dep_map, subclass, false, 0, null);
  do_raw_spin_lock(lock);
}

export function raw_spin_unlock(lock: RawSpinlock): void {
  kapi.lockdep.release(lock.dep_map);
  do_raw_spin_unlock(lock);
  kapi.preemptEnable();
}

/** raw_spin_trylock(): true if taken. */
export function raw_spin_trylock(lock: RawSpinlock): boolean {
  kapi.preemptDisable();
  if (arch_spin_trylock(lock, lock_owner_current())) {
    kapi.lockdep.acquire(lock.dep_map, 0, true, 0, null);
    return true;
  }
  kapi.preemptEnable();
  return false;
}

/** raw_spin_lock_irqsave(): returns the flags to hand to raw_spin_unlock_irqrestore(). */
export function raw_spin_lock_irqsave(lock: RawSpinlock): number {
  const flags = kapi.irqsDisabled() ? 1 : 0;
  kapi.localIrqDisable();
  raw_spin_lock(lock);
  return flags;
}

export function raw_spin_unlock_irqrestore(lock: RawSpinlock, flags: number): void {
  raw_spin_unlock(lock);
  if (flags === 0) kapi.localIrqEnable();
}

export function raw_spin_lock_irq(lock: RawSpinlock): void {
  kapi.localIrqDisable();
  raw_spin_lock(lock);
}

export function raw_spin_unlock_irq(lock: RawSpinlock): void {
  raw_spin_unlock(lock);
  kapi.localIrqEnable();
}

export function raw_spin_lock_bh(lock: RawSpinlock): void {
  kapi.localBhDisable();
  raw_spin_lock(lock);
}

export function raw_spin_unlock_bh(lock: RawSpinlock): void {
  raw_spin_unlock(lock);
  kapi.localBhEnable();
}

/** raw_spin_is_locked(). */
export function raw_spin_is_locked(lock: RawSpinlock): boolean {
  return (Atomics.load(lock.i32, lock.word) & LOCK_OWNER_LOCKED) !== 0;
}

/* spinlock_t API: the same lock (no PREEMPT_RT sleeping spinlocks). */
export const spin_lock = raw_spin_lock;
export const spin_lock_nested = raw_spin_lock_nested;
export const spin_unlock = raw_spin_unlock;
export const spin_trylock = raw_spin_trylock;
export const spin_lock_irqsave = raw_spin_lock_irqsave;
export const spin_unlock_irqrestore = raw_spin_unlock_irqrestore;
export const spin_lock_irq = raw_spin_lock_irq;
export const spin_unlock_irq = raw_spin_unlock_irq;
export const spin_lock_bh = raw_spin_lock_bh;
export const spin_unlock_bh = raw_spin_unlock_bh;
export const spin_is_locked = raw_spin_is_locked;
