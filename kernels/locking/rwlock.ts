/*
 * rwlock_t as a queued rwlock (kernel/locking/qrwlock.c): a spinning reader-writer lock whose
 * contended readers and writers queue on an internal arch spinlock (wait_lock), and where a
 * waiting writer blocks new readers — except readers in interrupt context, which only wait for
 * an active writer (so an irq handler may read_lock() what its interrupted task read-holds).
 *
 * Count word (Int32 at `word`):
 *   bits 0..7    _QW_LOCKED (0xff) while a writer holds the lock
 *   bit 8        _QW_WAITING       a writer waits (it holds wait_lock): new readers queue
 *   bits 9..30   reader count (_QR_BIAS = 512 per reader)
 * Sleepers word (`word + 1`): number of workers parked in spinWait() on the count word; an
 *   unlocker kicks only when it is non-zero (one load on the unlock path, no notify otherwise).
 * Owner word (`word + 2`): the write owner (lock_owner.ts encoding), 0 when not write-held.
 * wait_lock: the arch spinlock `<name>.wait_lock` (spinlock.ts, paravirt).
 *
 * Waiting never yields the CPU to another task (it is a spinlock to the guest); after a short
 * spin the worker parks on the count word until kicked (kernels/README.md, "Oversubscription").
 * lockdep: read_lock is recursive-read (read=2) in interrupt context, non-recursive (read=1)
 * otherwise, as read_lock_is_recursive() decides for qrwlock; write_lock is read=0; wait type 2.
 * Preemption is disabled while held. Not done: the _QW_WAITING hand-off optimisations.
 */

import { COV, cov, kapi, type LockClassKey, type LockdepMap, LOCK_TYPE_PROPS } from '../../harness/kapi.js';
import { lock_owner_current } from './lock_owner.js';
import { arch_spin_lock, arch_spin_lock_init, arch_spin_unlock, type ArchSpinlock } from './spinlock.js';

export const _QW_LOCKED = 0xff;
export const _QW_WAITING = 0x100;
export const _QW_WMASK = 0x1ff;
export const _QR_SHIFT = 9;
export const _QR_BIAS = 1 << _QR_SHIFT;
const QRW_SPINS = 100;
const QRW_WAIT_SLICE_MS = 10;
const RWLOCK_WORDS = 16;

export interface Rwlock {
  readonly i32: Int32Array;
  readonly cnts: number;
  readonly sleepers: number;
  readonly owner: number;
  readonly wait_lock: ArchSpinlock;
  readonly dep_map: LockdepMap;
}

/** DEFINE_RWLOCK(name): the named instance in guest shm (same on every CPU). */
export function DEFINE_RWLOCK(name: string, key?: LockClassKey): Rwlock {
  const r = kapi.shmAlloc(name, RWLOCK_WORDS);
  const k = key ?? kapi.lockClass(name, 'rwlock', LOCK_TYPE_PROPS.rwlock.waitType);
  return {
    i32: kapi.shm,
    cnts: r.base,
    sleepers: r.base + 1,
    owner: r.base + 2,
    wait_lock: arch_spin_lock_init(`${name}.wait_lock`),
    dep_map: { key: k, addr: r.base * 4, name: k.name },
  };
}

/* ---------------- waiting on the count word ---------------- */

/** Park this worker while cnts still reads `v`; pairs with qrw_kick() after every unlock. */
function qrw_park(lock: Rwlock, v: number): void {
  cov(COV.rwlock_park);
  Atomics.add(lock.i32, lock.sleepers, 1);
  // The sleepers add is ordered before Atomics.wait's value check: an unlocker either sees the
  // count (and kicks) or changed cnts before our check (and the wait returns at once).
  kapi.spinWait(lock.i32, lock.cnts, v, QRW_WAIT_SLICE_MS);
  Atomics.sub(lock.i32, lock.sleepers, 1);
}

/** Kick parked workers; called after cnts changed (the change is ordered before this load). */
function qrw_kick(lock: Rwlock): void {
  if (Atomics.load(lock.i32, lock.sleepers) !== 0) { cov(COV.rwlock_kick); kapi.spinKick(lock.i32, lock.cnts); }
}

/** Spin (then park) while a writer holds the lock. */
function qrw_wait_writer_gone(lock: Rwlock): void {
  for (let spins = 0; ; spins++) {
    const v = Atomics.load(lock.i32, lock.cnts);
    if ((v & _QW_LOCKED) !== _QW_LOCKED) return;
    if (spins === 0) cov(COV.rwlock_read_meets_writer);
    if (spins >= QRW_SPINS) qrw_park(lock, v);
  }
}

/* ---------------- fast paths ---------------- */

/**
 * Reader fast path: one atomic add; fails if a writer holds or waits. The add publishes the
 * reader before it looks at the writer bits: pairs with the writer's CAS from 0 (which then
 * fails) and with its wait for cnts == _QW_WAITING (which then waits for us).
 */
function queued_read_trylock_fast(lock: Rwlock): boolean {
  return ((Atomics.add(lock.i32, lock.cnts, _QR_BIAS) + _QR_BIAS) & _QW_WMASK) === 0;
}

/** Writer fast path: one CAS 0 -> _QW_LOCKED. */
function queued_write_trylock_fast(lock: Rwlock): boolean {
  return Atomics.compareExchange(lock.i32, lock.cnts, 0, _QW_LOCKED) === 0;
}

/* ---------------- slow paths ---------------- */

/** queued_read_lock_slowpath(): our bias is already added. */
function queued_read_lock_slowpath(lock: Rwlock): void {
  cov(COV.rwlock_read_slowpath);
  kapi.lockdep.contended(lock.dep_map);
  if (kapi.inInterrupt()) {
    // Interrupt-context readers keep their bias and wait only for an active writer.
    qrw_wait_writer_gone(lock);
  } else {
    Atomics.sub(lock.i32, lock.cnts, _QR_BIAS);
    qrw_kick(lock);
    arch_spin_lock(lock.wait_lock);
    Atomics.add(lock.i32, lock.cnts, _QR_BIAS);
    qrw_wait_writer_gone(lock);
    arch_spin_unlock(lock.wait_lock);
  }
  kapi.lockdep.acquired(lock.dep_map);
}

/** queued_write_lock_slowpath(): queue on wait_lock, flag WAITING, wait for the readers to drain. */
function queued_write_lock_slowpath(lock: Rwlock): void {
  const { i32, cnts } = lock;
  cov(COV.rwlock_write_slowpath);
  kapi.lockdep.contended(lock.dep_map);
  arch_spin_lock(lock.wait_lock);
  if (!queued_write_trylock_fast(lock)) {
    // From here new task-context readers fail their fast path (pairs with the _QW_WMASK test in
    // queued_read_trylock_fast()) and queue on wait_lock behind us.
    Atomics.or(i32, cnts, _QW_WAITING);
    cov(COV.rwlock_write_waits_readers);
    for (let spins = 0; ; spins++) {
      const v = Atomics.load(i32, cnts);
      if (v === _QW_WAITING && Atomics.compareExchange(i32, cnts, _QW_WAITING, _QW_LOCKED) === _QW_WAITING) break;
      if (spins >= QRW_SPINS && v !== _QW_WAITING) qrw_park(lock, v);
    }
  }
  arch_spin_unlock(lock.wait_lock);
  kapi.lockdep.acquired(lock.dep_map);
}

/* ---------------- API ---------------- */

export function read_lock(lock: Rwlock): void {
  kapi.preemptDisable();
  kapi.lockdep.acquire(lock.dep_map, 0, false, kapi.inInterrupt() ? 2 : 1, null);
  if (!queued_read_trylock_fast(lock)) queued_read_lock_slowpath(lock);
}

export function read_unlock(lock: Rwlock): void {
  kapi.lockdep.release(lock.dep_map);
  Atomics.sub(lock.i32, lock.cnts, _QR_BIAS);
  qrw_kick(lock);
  kapi.preemptEnable();
}

export function write_lock(lock: Rwlock): void {
  kapi.preemptDisable();
  kapi.lockdep.acquire(lock.dep_map, 0, false, 0, null);
  if (!queued_write_trylock_fast(lock)) queued_write_lock_slowpath(lock);
  Atomics.store(lock.i32, lock.owner, lock_owner_current());
}

export function write_unlock(lock: Rwlock): void {
  kapi.lockdep.release(lock.dep_map);
  Atomics.store(lock.i32, lock.owner, 0);
  // Clear the writer byte only: a waiting writer's _QW_WAITING and reader biases stay.
  Atomics.and(lock.i32, lock.cnts, ~_QW_LOCKED);
  qrw_kick(lock);
  kapi.preemptEnable();
}

/** read_trylock(): true if read-held; never waits. */
export function read_trylock(lock: Rwlock): boolean {
  kapi.preemptDisable();
  const v = Atomics.load(lock.i32, lock.cnts);
  if ((v & _QW_WMASK) === 0 && Atomics.compareExchange(lock.i32, lock.cnts, v, v + _QR_BIAS) === v) {
    kapi.lockdep.acquire(lock.dep_map, 0, true, kapi.inInterrupt() ? 2 : 1, null);
    return true;
  }
  kapi.preemptEnable();
  return false;
}

/** write_trylock(): true if write-held; never waits. */
export function write_trylock(lock: Rwlock): boolean {
  kapi.preemptDisable();
  if (queued_write_trylock_fast(lock)) {
    Atomics.store(lock.i32, lock.owner, lock_owner_current());
    kapi.lockdep.acquire(lock.dep_map, 0, true, 0, null);
    return true;
  }
  kapi.preemptEnable();
  return false;
}

export function read_lock_irq(lock: Rwlock): void {
  kapi.localIrqDisable();
  read_lock(lock);
}

export function read_unlock_irq(lock: Rwlock): void {
  read_unlock(lock);
  kapi.localIrqEnable();
}

export function write_lock_irq(lock: Rwlock): void {
  kapi.localIrqDisable();
  write_lock(lock);
}

export function write_unlock_irq(lock: Rwlock): void {
  write_unlock(lock);
  kapi.localIrqEnable();
}

/** read_lock_irqsave(): returns flags for read_unlock_irqrestore(). */
export function read_lock_irqsave(lock: Rwlock): number {
  const flags = kapi.irqsDisabled() ? 1 : 0;
  kapi.localIrqDisable();
  read_lock(lock);
  return flags;
}

export function read_unlock_irqrestore(lock: Rwlock, flags: number): void {
  read_unlock(lock);
  if (flags === 0) kapi.localIrqEnable();
}

/** write_lock_irqsave(): returns flags for write_unlock_irqrestore(). */
export function write_lock_irqsave(lock: Rwlock): number {
  const flags = kapi.irqsDisabled() ? 1 : 0;
  kapi.localIrqDisable();
  write_lock(lock);
  return flags;
}

export function write_unlock_irqrestore(lock: Rwlock, flags: number): void {
  write_unlock(lock);
  if (flags === 0) kapi.localIrqEnable();
}

export function read_lock_bh(lock: Rwlock): void {
  kapi.localBhDisable();
  read_lock(lock);
}

export function read_unlock_bh(lock: Rwlock): void {
  read_unlock(lock);
  kapi.localBhEnable();
}

export function write_lock_bh(lock: Rwlock): void {
  kapi.localBhDisable();
  write_lock(lock);
}

export function write_unlock_bh(lock: Rwlock): void {
  write_unlock(lock);
  kapi.localBhEnable();
}
