/*
 * struct percpu_rw_semaphore (kernel/locking/percpu-rwsem.c): readers touch only their own CPU's
 * counter; a writer blocks new readers and waits for the per-CPU counts to drain. It implements
 * cpu_hotplug_lock (cpus_read_lock() = percpu_down_read(), cpus_write_lock() = percpu_down_write()).
 *
 * Shared memory, two regions named after the instance:
 *   `<name>`            one 64-byte line:
 *       word +0  block: 0, or the writer's owner value (lock_owner.ts: LOCKED | pid<<7 | cpu).
 *                Non-zero means "readers take the slow path"; writers serialise on it by CAS.
 *       word +1  waiters wait queue: readers (and writers) waiting for block == 0
 *       word +2  writer wait queue: the writer waiting for the reader counts to drain (rcuwait)
 *       word +3  wake generation: percpu_up_write() adds 2 at each wake-up of `waiters`; bit 0 set
 *                means that wake-up came while `block` was still held (test_early_wake)
 *   `<name>.read_count` NR_CPUS lines of 16 words: word 0 of line `cpu` is that CPU's reader count.
 *
 * The reader fast path is Dekker against the writer: the reader increments its CPU's count and
 * then loads `block`; the writer stores `block` (CAS) and then sums the counts. All are
 * sequentially consistent Atomics, so either the reader sees the writer (and backs out) or the
 * writer sees the reader (and waits for it). Tasks migrate (harness/cpu/README.md), so a reader
 * may decrement another CPU's count than the one it incremented, as the kernel's this_cpu_dec()
 * may: a single count can go negative, only the sum (readers_active_check()) means anything.
 *
 * Waiting (percpu_rwsem_wait()). The kernel's waiter loops until its wait-queue entry was handed
 * the lock by percpu_rwsem_wake_function(), which runs in the waker and tries the lock for it; a
 * spurious wake-up (wake_up_process(), kthread_stop()) does not end the wait. Here a waiter sleeps
 * until the wake generation moves on from the value it read before its failed try, and then tries
 * again; a wake-up the waker sent while still holding `block` fails the wake function's try for
 * every waiter (bit 0), which then sleeps on. The planted bug `percpu_rwsem.test_early_wake=1`
 * (off by default) is a writer that wakes the waiters before it releases: whoever sleeps then
 * sleeps for good, as in the kernel, and khungtaskd reports it (LOCK06 fails).
 *
 * lockdep: readers are non-recursive (read=1), the class has wait type 0 ({0:0}, as
 * cpu_hotplug_lock prints). Not done: rcu_sync (the reader fast path is always the counter path),
 * percpu_rwsem_release/acquire hand-offs, killable variants.
 */

import { COV, cov, kapi, type LockClassKey, type LockdepMap, type WaitQueueHead, LOCK_TYPE_PROPS } from '../../harness/kapi.js';
import { LOCK_TAKEN } from './fast_path.js';
import { lock_owner_current, lock_owner_decode } from './lock_owner.js';
import { ModuleParams } from '../moduleparam.js';

export const percpu_rwsem_params = new ModuleParams('percpu_rwsem');
/** Planted bug (ours, as the kernel's test_* switches): percpu_up_write() wakes the waiters before it releases. */
const test_early_wake = percpu_rwsem_params.param('bool', 'test_early_wake', false, 'Planted bug: wake waiters before releasing the writer lock');
/** -1 until read from the boot line (at the first up_write: module load has no kapi). */
let earlyWake = -1;

const PCPU_BLOCK = 0;
const PCPU_WAITERS_WQ = 1;
const PCPU_WRITER_WQ = 2;
const PCPU_WAKE_GEN = 3;
const PCPU_CTRL_WORDS = 16;
/** One cache line per CPU counter (kernels/README.md, "Shared memory": per-CPU slots are padded to 64 bytes). */
const PCPU_SLOT_STRIDE = 16;

export interface PercpuRwsem {
  readonly i32: Int32Array;
  /** Int32 index of `block`. */
  readonly block: number;
  /** Int32 index of CPU 0's read count; CPU c's is at readCount + c * 16. */
  readonly readCount: number;
  readonly nrCpus: number;
  readonly waiters: WaitQueueHead;
  readonly writer: WaitQueueHead;
  /** Int32 index of the wake generation (percpu_rwsem_wait()). */
  readonly wakeGen: number;
  readonly dep_map: LockdepMap;
}

/** percpu_init_rwsem()/DEFINE_STATIC_PERCPU_RWSEM(name): the named instance (same on every CPU). */
export function DEFINE_STATIC_PERCPU_RWSEM(name: string, key?: LockClassKey): PercpuRwsem {
  const ctrl = kapi.shmAlloc(name, PCPU_CTRL_WORDS);
  const n = kapi.nrCpuIds;
  const counts = kapi.shmAlloc(`${name}.read_count`, n * PCPU_SLOT_STRIDE);
  const k = key ?? kapi.lockClass(name, 'percpu_rwsem', LOCK_TYPE_PROPS.percpu_rwsem.waitType);
  const i32 = kapi.shm;
  return {
    i32,
    block: ctrl.base + PCPU_BLOCK,
    readCount: counts.base,
    nrCpus: n,
    waiters: { i32, index: ctrl.base + PCPU_WAITERS_WQ },
    writer: { i32, index: ctrl.base + PCPU_WRITER_WQ },
    wakeGen: ctrl.base + PCPU_WAKE_GEN,
    dep_map: { key: k, addr: (ctrl.base + PCPU_BLOCK) * 4, name: k.name },
  };
}

export const percpu_init_rwsem = DEFINE_STATIC_PERCPU_RWSEM;

/* ---------------- reader fast path: this CPU's counter only ---------------- */

/**
 * __percpu_down_read_trylock(): count ourselves in, then look for a writer. The add is ordered
 * before the load of `block`; pairs with the CAS of `block` before readers_active_check() in
 * percpu_down_write(). Backing out wakes the writer, which may be waiting for our count.
 */
function __percpu_down_read_trylock(sem: PercpuRwsem): boolean {
  const slot = sem.readCount + kapi.smpProcessorId() * PCPU_SLOT_STRIDE;
  Atomics.add(sem.i32, slot, 1);
  if (Atomics.load(sem.i32, sem.block) === 0) return true;
  Atomics.sub(sem.i32, slot, 1);
  kapi.wakeUp(sem.writer);
  return false;
}

/* ---------------- slow paths ---------------- */

/**
 * percpu_rwsem_wait(): until `trylock` succeeds, sleep (TASK_UNINTERRUPTIBLE) until a wake-up
 * that found `block` free moves the generation on from the one read before the failed try.
 * The generation is read before the try: pairs with percpu_up_write()'s store of block, then add
 * to the generation, so a try that failed on the old block is followed by a generation we see move.
 */
async function percpu_rwsem_wait(sem: PercpuRwsem, trylock: () => boolean): Promise<void> {
  const { i32, wakeGen } = sem;
  for (;;) {
    const gen = Atomics.load(i32, wakeGen);
    if (trylock()) return;
    await kapi.waitEvent(sem.waiters, () => {
      const g = Atomics.load(i32, wakeGen);
      return g !== gen && (g & 1) === 0;
    });
  }
}

/** __percpu_down_read(): wait for the writer to go, retry. */
async function __percpu_down_read(sem: PercpuRwsem): Promise<void> {
  cov(COV.percpu_rwsem_read_slowpath);
  kapi.lockdep.contended(sem.dep_map);
  await percpu_rwsem_wait(sem, () => __percpu_down_read_trylock(sem));
  kapi.lockdep.acquired(sem.dep_map);
}

/** readers_active_check(): true when no CPU counts a reader. */
function readers_active_check(sem: PercpuRwsem): boolean {
  let sum = 0;
  for (let c = 0; c < sem.nrCpus; c++) sum += Atomics.load(sem.i32, sem.readCount + c * PCPU_SLOT_STRIDE);
  return sum === 0;
}

/* ---------------- API ---------------- */

/* The contended reader's async frame, named as the API function (a hung task's trace; mutex.ts). */
const contended = {
  async percpu_down_read(sem: PercpuRwsem): Promise<void> {
    await __percpu_down_read(sem);
  },
};

/** percpu_down_read(): callers `await` it; uncontended it returns LOCK_TAKEN (fast_path.ts), allocating nothing. */
export function percpu_down_read(sem: PercpuRwsem): Promise<void> {
  kapi.mightSleep();
  kapi.lockdep.acquire(sem.dep_map, 0, false, 1, null);
  return __percpu_down_read_trylock(sem) ? LOCK_TAKEN : contended.percpu_down_read(sem);
}

export function percpu_down_read_trylock(sem: PercpuRwsem): boolean {
  if (!__percpu_down_read_trylock(sem)) return false;
  kapi.lockdep.acquire(sem.dep_map, 0, true, 1, null);
  return true;
}

export function percpu_up_read(sem: PercpuRwsem): void {
  kapi.lockdep.release(sem.dep_map);
  Atomics.sub(sem.i32, sem.readCount + kapi.smpProcessorId() * PCPU_SLOT_STRIDE, 1);
  // Decrement before the load of block: pairs with the writer's CAS of block followed by its
  // readers_active_check() (in the waitEvent condition). Only a waiting writer needs a wake-up.
  if (Atomics.load(sem.i32, sem.block) !== 0) kapi.wakeUp(sem.writer);
}

export async function percpu_down_write(sem: PercpuRwsem): Promise<void> {
  kapi.mightSleep();
  kapi.lockdep.acquire(sem.dep_map, 0, false, 0, null);
  const { i32, block } = sem;
  const owner = lock_owner_current();
  let contended = false;
  // Writers serialise on block (0 -> owner); new readers go slow from here on.
  const tryBlock = (): boolean => Atomics.compareExchange(i32, block, 0, owner) === 0;
  if (!tryBlock()) {
    kapi.lockdep.contended(sem.dep_map);
    contended = true;
    cov(COV.percpu_rwsem_writer_waits_writer);
    await percpu_rwsem_wait(sem, tryBlock);
  }
  // The CAS above is ordered before these loads: pairs with the add-then-load of block in
  // __percpu_down_read_trylock().
  if (!readers_active_check(sem)) {
    if (!contended) kapi.lockdep.contended(sem.dep_map);
    contended = true;
    cov(COV.percpu_rwsem_writer_waits_readers);
    await kapi.waitEvent(sem.writer, () => readers_active_check(sem));
  }
  if (contended) kapi.lockdep.acquired(sem.dep_map);
}

/**
 * The next wake generation: even when the wake function's try could succeed, odd when `block`
 * was still held (`failed`). A CAS loop: the next writer may wake while this one still bumps.
 */
function percpu_rwsem_wake_gen(sem: PercpuRwsem, failed: boolean): void {
  for (;;) {
    const g = Atomics.load(sem.i32, sem.wakeGen);
    const next = (((g | 1) + 1) | 0) + (failed ? 1 : 0);
    if (Atomics.compareExchange(sem.i32, sem.wakeGen, g, next) === g) return;
  }
}

export function percpu_up_write(sem: PercpuRwsem): void {
  kapi.lockdep.release(sem.dep_map);
  if (earlyWake < 0) earlyWake = test_early_wake.get() ? 1 : 0;
  if (earlyWake === 1) {
    // The planted bug: the wake function's try fails for every waiter (block is still ours).
    percpu_rwsem_wake_gen(sem, true);
    kapi.wakeUp(sem.waiters);
    Atomics.store(sem.i32, sem.block, 0);
    return;
  }
  // Release, then move the generation, then wake: pairs with the generation load before a
  // waiter's failed try in percpu_rwsem_wait().
  Atomics.store(sem.i32, sem.block, 0);
  percpu_rwsem_wake_gen(sem, false);
  kapi.wakeUp(sem.waiters);
}

/** The writer holding (or taking) the semaphore, or null. */
export function percpu_rwsem_writer(sem: PercpuRwsem): { cpu: number; pid: number } | null {
  return lock_owner_decode(Atomics.load(sem.i32, sem.block));
}

/** Readers currently counted on all CPUs (for tests and reports). */
export function percpu_rwsem_readers(sem: PercpuRwsem): number {
  let sum = 0;
  for (let c = 0; c < sem.nrCpus; c++) sum += Atomics.load(sem.i32, sem.readCount + c * PCPU_SLOT_STRIDE);
  return sum;
}
