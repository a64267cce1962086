/*
 * struct rw_semaphore (kernel/locking/rwsem.c): a sleeping reader-writer lock whose readers are
 * non-recursive and whose writers are not starved: a waiting writer stops new readers.
 *
 * Count word (Int32 at `word`):
 *   bit 0        RWSEM_WRITER_LOCKED
 *   bit 1        RWSEM_FLAG_WAITERS     a task may sleep on the wait queue: releasers must wake
 *   bit 2        RWSEM_FLAG_WRITER_WAIT a writer waits: new readers must queue (writer fairness)
 *   bits 8..30   reader count (RWSEM_READER_BIAS = 256 per reader)
 * Owner word (`word + 1`): the write owner (lock_owner.ts encoding), 0 when not write-held.
 * Wait queue (`word + 2`): the mask of executors with a sleeper (kapi.waitEvent/wakeUp).
 *
 * Wake-up rule (as in mutex.ts, and for the same reason — a sleeper bound to an offline CPU may
 * be parked for a while): flags are only cleared by a releaser that wakes the queue right after, and a
 * sleeper's condition includes "my flag was cleared", so it re-asserts the flag before sleeping
 * again. RWSEM_FLAG_WRITER_WAIT stays set while a writer waits and holds the lock; it is cleared by
 * up_write(), which wakes everybody.
 *
 * lockdep: down_read is read=1 (non-recursive), down_write read=0; wait type 3 (sleep).
 * Not done: optimistic spinning, hand-off bit, killable/interruptible variants, downgrade_write.
 */

import { COV, cov, kapi, type LockClassKey, type LockdepMap, type WaitQueueHead, LOCK_TYPE_PROPS } from '../../harness/kapi.js';
import { LOCK_TAKEN } from './fast_path.js';
import { lock_owner_current, lock_owner_decode } from './lock_owner.js';

export const RWSEM_WRITER_LOCKED = 1 << 0;
export const RWSEM_FLAG_WAITERS = 1 << 1;
export const RWSEM_FLAG_WRITER_WAIT = 1 << 2;
export const RWSEM_READER_SHIFT = 8;
export const RWSEM_READER_BIAS = 1 << RWSEM_READER_SHIFT;
export const RWSEM_READER_MASK = ~(RWSEM_READER_BIAS - 1);
/** A reader may not enter while any of these is set. */
const RWSEM_READ_FAILED_MASK = RWSEM_WRITER_LOCKED | RWSEM_FLAG_WAITERS | RWSEM_FLAG_WRITER_WAIT;
const RWSEM_WORDS = 16;

export interface RwSemaphore {
  readonly i32: Int32Array;
  readonly word: number;
  readonly owner: number;
  readonly wq: WaitQueueHead;
  readonly dep_map: LockdepMap;
}

/** DECLARE_RWSEM(name)/init_rwsem(): the named instance in guest shm (same on every CPU). */
export function DECLARE_RWSEM(name: string, key?: LockClassKey): RwSemaphore {
  const r = kapi.shmAlloc(name, RWSEM_WORDS);
  const k = key ?? kapi.lockClass(name, 'rwsem', LOCK_TYPE_PROPS.rwsem.waitType);
  const i32 = kapi.shm;
  return { i32, word: r.base, owner: r.base + 1, wq: { i32, index: r.base + 2 }, dep_map: { key: k, addr: r.base * 4, name: k.name } };
}

export const init_rwsem = DECLARE_RWSEM;

/* ---------------- fast paths: one CAS each ---------------- */

/**
 * rwsem_read_trylock(): add a reader unless a writer holds, waits, or anyone sleeps. One CAS on
 * the count word, so the check and the add are one step: pairs with the writer's CAS that sets
 * WRITER_LOCKED only while the reader count is zero.
 */
function rwsem_read_trylock(sem: RwSemaphore): boolean {
  const { i32, word } = sem;
  // The guess is a plain read (Atomics.load is a builtin call, not inlined): the CAS decides, and
  // a stale guess only fails it, as a count changed under a reader does anyway.
  const v = i32[word]!;
  return (v & RWSEM_READ_FAILED_MASK) === 0 && Atomics.compareExchange(i32, word, v, v + RWSEM_READER_BIAS) === v;
}

/** rwsem_write_trylock(): 0 -> WRITER_LOCKED. */
function rwsem_write_trylock(sem: RwSemaphore): boolean {
  return Atomics.compareExchange(sem.i32, sem.word, 0, RWSEM_WRITER_LOCKED) === 0;
}

/* ---------------- slow paths ---------------- */

/** Set `flags` on the count unless the lock became available: returns false to retry at once. */
function rwsem_mark_waiting(sem: RwSemaphore, v: number, flags: number): boolean {
  if ((v & flags) === flags) return true;
  return Atomics.compareExchange(sem.i32, sem.word, v, v | flags) === v;
}

async function rwsem_down_read_slowpath(sem: RwSemaphore): Promise<void> {
  const { i32, word } = sem;
  cov(COV.rwsem_down_read_slowpath);
  kapi.lockdep.contended(sem.dep_map);
  const blocked = RWSEM_WRITER_LOCKED | RWSEM_FLAG_WRITER_WAIT;
  const mayRun = (): boolean => {
    const x = Atomics.load(i32, word);
    return (x & blocked) === 0 || (x & RWSEM_FLAG_WAITERS) === 0;
  };
  for (;;) {
    const v = Atomics.load(i32, word);
    if ((v & blocked) === 0) {
      // Readers in the slow path may enter past WAITERS (sleeping readers are not a reason to wait).
      if (Atomics.compareExchange(i32, word, v, v + RWSEM_READER_BIAS) === v) break;
      continue;
    }
    if (!rwsem_mark_waiting(sem, v, RWSEM_FLAG_WAITERS)) continue;
    // Pairs with the flag-clearing CAS + wakeUp() in rwsem_wake().
    if ((v & RWSEM_WRITER_LOCKED) !== 0) cov(COV.rwsem_read_meets_writer);
    cov(COV.rwsem_wait_list);
    await kapi.waitEvent(sem.wq, mayRun);
  }
  kapi.lockdep.acquired(sem.dep_map);
}

async function rwsem_down_write_slowpath(sem: RwSemaphore, owner: number): Promise<void> {
  const { i32, word } = sem;
  cov(COV.rwsem_down_write_slowpath);
  kapi.lockdep.contended(sem.dep_map);
  const busy = RWSEM_WRITER_LOCKED | RWSEM_READER_MASK;
  const both = RWSEM_FLAG_WAITERS | RWSEM_FLAG_WRITER_WAIT;
  const mayRun = (): boolean => {
    const x = Atomics.load(i32, word);
    return (x & busy) === 0 || (x & both) !== both;
  };
  for (;;) {
    const v = Atomics.load(i32, word);
    if ((v & busy) === 0) {
      // Keep the flags: other waiters may sleep; up_write() clears them and wakes everyone.
      if (Atomics.compareExchange(i32, word, v, v | RWSEM_WRITER_LOCKED) === v) break;
      continue;
    }
    if (!rwsem_mark_waiting(sem, v, both)) continue;
    if ((v & RWSEM_READER_MASK) !== 0) cov(COV.rwsem_write_waits_readers);
    cov(COV.rwsem_wait_list);
    await kapi.waitEvent(sem.wq, mayRun);
  }
  Atomics.store(i32, sem.owner, owner);
  kapi.lockdep.acquired(sem.dep_map);
}

/** rwsem_wake(): clear `flags` (with WAITERS) and wake every sleeper. */
function rwsem_wake(sem: RwSemaphore, flags: number): void {
  const { i32, word } = sem;
  for (;;) {
    const v = Atomics.load(i32, word);
    if (Atomics.compareExchange(i32, word, v, v & ~flags) === v) break;
  }
  // Flag cleared before the mask load in wakeUp(): pairs with waitEvent()'s publish-then-recheck.
  kapi.wakeUp(sem.wq);
}

/* ---------------- API ---------------- */

/* The contended calls' async frames, named as the API functions (a hung task's trace; mutex.ts). */
const contended = {
  async down_read(sem: RwSemaphore): Promise<void> {
    await rwsem_down_read_slowpath(sem);
  },
  async down_write(sem: RwSemaphore, owner: number): Promise<void> {
    await rwsem_down_write_slowpath(sem, owner);
  },
  async down_write_nested(sem: RwSemaphore, owner: number): Promise<void> {
    await rwsem_down_write_slowpath(sem, owner);
  },
};

/** down_read(): callers `await` it; uncontended it returns LOCK_TAKEN (fast_path.ts), allocating nothing. */
export function down_read(sem: RwSemaphore): Promise<void> {
  kapi.mightSleep();
  kapi.lockdep.acquire(sem.dep_map, 0, false, 1, null);
  return rwsem_read_trylock(sem) ? LOCK_TAKEN : contended.down_read(sem);
}

export function down_read_trylock(sem: RwSemaphore): boolean {
  if (!rwsem_read_trylock(sem)) return false;
  kapi.lockdep.acquire(sem.dep_map, 0, true, 1, null);
  return true;
}

export function up_read(sem: RwSemaphore): void {
  kapi.lockdep.release(sem.dep_map);
  const c = Atomics.sub(sem.i32, sem.word, RWSEM_READER_BIAS) - RWSEM_READER_BIAS;
  // Last reader out with sleepers: wake them (a waiting writer keeps WRITER_WAIT, so new readers
  // still queue behind it).
  if ((c & RWSEM_READER_MASK) === 0 && (c & RWSEM_FLAG_WAITERS) !== 0) { cov(COV.rwsem_up_read_wake); rwsem_wake(sem, RWSEM_FLAG_WAITERS); }
}

/** down_write(): as down_read(), LOCK_TAKEN when uncontended. */
export function down_write(sem: RwSemaphore): Promise<void> {
  kapi.mightSleep();
  kapi.lockdep.acquire(sem.dep_map, 0, false, 0, null);
  const owner = lock_owner_current();
  if (!rwsem_write_trylock(sem)) return contended.down_write(sem, owner);
  Atomics.store(sem.i32, sem.owner, owner);
  return LOCK_TAKEN;
}

/** down_write_nested(sem, subclass). */
export function down_write_nested(sem: RwSemaphore, subclass: number): Promise<void> {
  kapi.mightSleep();
  kapi.lockdep.acquire(sem.dep_map, subclass, false, 0, null);
  const owner = lock_owner_current();
  if (!rwsem_write_trylock(sem)) return contended.down_write_nested(sem, owner);
  Atomics.store(sem.i32, sem.owner, owner);
  return LOCK_TAKEN;
}

export function down_write_trylock(sem: RwSemaphore): boolean {
  if (!rwsem_write_trylock(sem)) return false;
  Atomics.store(sem.i32, sem.owner, lock_owner_current());
  kapi.lockdep.acquire(sem.dep_map, 0, true, 0, null);
  return true;
}

export function up_write(sem: RwSemaphore): void {
  kapi.lockdep.release(sem.dep_map);
  Atomics.store(sem.i32, sem.owner, 0);
  if (Atomics.compareExchange(sem.i32, sem.word, RWSEM_WRITER_LOCKED, 0) === RWSEM_WRITER_LOCKED) return;
  cov(COV.rwsem_up_write_wake);
  rwsem_wake(sem, RWSEM_WRITER_LOCKED | RWSEM_FLAG_WAITERS | RWSEM_FLAG_WRITER_WAIT);
}

export function rwsem_is_locked(sem: RwSemaphore): boolean {
  return (Atomics.load(sem.i32, sem.word) & (RWSEM_WRITER_LOCKED | RWSEM_READER_MASK)) !== 0;
}

/** The write owner, or null. */
export function rwsem_owner(sem: RwSemaphore): { cpu: number; pid: number } | null {
  return lock_owner_decode(Atomics.load(sem.i32, sem.owner));
}
