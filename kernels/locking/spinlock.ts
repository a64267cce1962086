/*
 * raw_spinlock_t / spinlock_t: a paravirt spinlock on one shared word (kernel/locking/qspinlock
 * with CONFIG_PARAVIRT_SPINLOCKS, reduced to its essentials).
 *
 * Lock word (Int32 at `word`; lock_owner.ts has the shared owner encoding):
 *   0                          unlocked
 *   LOCKED | pid<<7 | cpu      held by task `pid` (0 in interrupt context) on `cpu`
 *   | SPIN_SLEEPER (bit 30)    some waiter's CPU is halted in pv_wait(): unlock must kick
 * Halted CPUs (Int32 at `word + 1`): the mask of CPUs that halted on this lock (the kernel's
 * pv_hash entry: who to kick), bit cpu % 32: with more than 32 CPUs one bit stands for every CPU
 * of that residue and the unlocker kicks them all; a kick to a CPU that is not halted on this
 * lock only makes its next pv_wait() return early to re-check the word, which pv_wait() allows.
 *
 * Guarantees: mutual exclusion; a waiter never yields its CPU to another task (a spinlock stays a
 * spinlock to the guest), but after SPIN_THRESHOLD failed tries it halts its CPU (pv_wait: the
 * worker thread blocks) until the unlocker kicks it (pv_kick), so a guest with more CPUs than
 * host cores does not collapse under lock-holder preemption. The unlocker takes the whole mask
 * (exchange) and kicks every CPU in it; nothing else ever wakes a halted CPU, so a lost kick is a
 * CPU halted for good, reported as a soft lockup. Uncontended unlock is one CAS and never kicks.
 *
 * Test switch: `spinlock.test_lost_kick=N` (boot parameter; 0 = off, the default) makes every
 * N-th kicking unlock forget its kicks, the bug the soft-lockup watchdog exists for.
 * Preemption is disabled while held, so sleeping under a spinlock is reported by the runtime as
 * "scheduling while atomic".
 *
 * Not done: fairness (no MCS queue), spin_lock_nested subclasses beyond the lockdep annotation.
 */

import { COV, cov, kapi, type LockClassKey, type LockdepMap, LOCK_TYPE_PROPS } from '../../harness/kapi.js';
import { LOCK_FLAG, LOCK_OWNER_LOCKED, lock_owner_current } from './lock_owner.js';
import { ModuleParams } from '../moduleparam.js';

/** Set by a waiter before it sleeps in spinWait(); the unlocker kicks only when it is set. */
export const SPIN_SLEEPER = LOCK_FLAG;
/** Failed CAS attempts before a waiter parks its worker (pv_wait). */
export const SPIN_THRESHOLD = 100;
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
  const k = key ?? kapi.lockClass(name, 'spinlock', LOCK_TYPE_PROPS.spinlock.waitType);
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

/** pv_wait(): halt this CPU while the word still reads `val`, until a pv_kick() after `seen`. */
function pv_wait(lock: ArchSpinlock, val: number, seen: number): void {
  kapi.pvWait(lock.i32, lock.word, val, seen);
}

/** -1 until read from the boot line; then every N-th kicking unlock loses its kicks (0: never). */
let lostKickEvery = -1;
export const spinlock_params = new ModuleParams('spinlock');
/** Planted bug (ours, as the kernel's test_* switches): every N-th kicking unlock forgets its kicks. */
const test_lost_kick_param = spinlock_params.param('uint', 'test_lost_kick', 0, 'Lose every N-th kicking unlock (0: never)');
let kickingUnlocks = 0;

function test_lost_kick(): boolean {
  if (lostKickEvery < 0) lostKickEvery = test_lost_kick_param.get();
  return lostKickEvery > 0 && ++kickingUnlocks % lostKickEvery === 0;
}

/** pv_kick() of every CPU halted on the lock: the mask is taken whole, so each halt gets one kick. */
function pv_kick_halted(lock: ArchSpinlock): void {
  const halted = Atomics.exchange(lock.i32, lock.word + 1, 0);
  if (halted === 0 || test_lost_kick()) return;
  cov(COV.spin_pv_kick);
  const nr = kapi.config.nrCpus;
  for (let bit = 0, m = halted; m !== 0; bit++, m >>>= 1) {
    if ((m & 1) === 0) continue;
    for (let cpu = bit; cpu < nr; cpu += 32) kapi.pvKick(cpu);
  }
}

/** queued_spin_lock_slowpath(): spin, then flag SPIN_SLEEPER and pv_wait until kicked. */
function queued_spin_lock_slowpath(lock: ArchSpinlock, owner: number, map: LockdepMap | null): void {
  const { i32, word } = lock;
  cov(COV.spin_slowpath);
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
    // Publish this CPU in the halted mask, then the SLEEPER flag, then halt: pairs with the
    // exchange of the word, then of the mask, in __raw_spin_unlock_slowpath(). A flag CAS that
    // fails leaves our bit behind: at worst a spurious kick later, which pv_wait() tolerates.
    // The kick count is read before the bit is published: an unlocker that takes the mask with
    // our bit kicks after that read, so the halt ends even if the word reads `v | SPIN_SLEEPER`
    // again by then (the same owner re-took the lock and another waiter set the flag: with the
    // count read inside pv_wait(), that kick was consumed and this CPU halted for good).
    const seen = kapi.pvKickSeq();
    Atomics.or(i32, word + 1, 1 << (kapi.smpProcessorId() & 31));
    if ((v & SPIN_SLEEPER) === 0 && Atomics.compareExchange(i32, word, v, v | SPIN_SLEEPER) !== v) continue;
    cov(COV.spin_pv_wait);
    pv_wait(lock, v | SPIN_SLEEPER, seen);
  }
}

function __raw_spin_unlock_slowpath(lock: ArchSpinlock): void {
  const old = Atomics.exchange(lock.i32, lock.word, 0);
  if ((old & SPIN_SLEEPER) !== 0) pv_kick_halted(lock);
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
