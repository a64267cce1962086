/*
 * Worker-thread body for kernels/locking/locks.test.ts: one worker is one CPU with one task
 * (fake_kapi.ts). Scenarios: `exclusion` (hammer one lock; writers do a non-atomic
 * read-spin-write increment, readers check nothing changes under them), `uncontended` (count
 * slow-path events on one CPU), and `mutex_frozen` (a waiter ignores a wake-up while "frozen"
 * and must still get the mutex).
 */

import { parentPort, workerData } from 'node:worker_threads';
import { FAKE_CONTENDED, FAKE_FROZEN_BASE, bump, fakeCounters, installFakeKapi, waitForAtLeast } from './fake_kapi.js';
import {
  T_ACQUIRED,
  T_BARRIER,
  T_COUNTER,
  T_PHASE,
  T_READERS,
  T_VIOLATIONS,
  T_WRITE_HELD,
  type LockKind,
  type LockWorkerData,
  type LockWorkerResult,
} from './lock_words.js';
import { DEFINE_RAW_SPINLOCK, raw_spin_lock, raw_spin_unlock, raw_spin_lock_irqsave, raw_spin_unlock_irqrestore } from '../spinlock.js';
import { DEFINE_MUTEX, mutex_lock, mutex_trylock, mutex_unlock, type Mutex } from '../mutex.js';
import { DEFINE_RWLOCK, _QW_WAITING, read_lock, read_unlock, write_lock, write_unlock } from '../rwlock.js';
import { kapi } from '../../../harness/kapi.js';
import { DECLARE_RWSEM, down_read, down_write, up_read, up_write } from '../rwsem.js';
import { DEFINE_STATIC_PERCPU_RWSEM, percpu_down_read, percpu_down_write, percpu_up_read, percpu_up_write } from '../percpu_rwsem.js';
import { DEFINE_BUSTED_LOCK, torture_lock_busted_write_lock, torture_lock_busted_write_unlock } from '../lock_busted.js';

const d = workerData as LockWorkerData;
const i32 = new Int32Array(d.sab);
installFakeKapi(i32, d.cpu, d.nrCpus);

interface Ops {
  lock(): void | Promise<void>;
  unlock(): void;
  readLock?(): void | Promise<void>;
  readUnlock?(): void;
}

function makeOps(kind: LockKind): Ops {
  switch (kind) {
    case 'spinlock': {
      const l = DEFINE_RAW_SPINLOCK('test_spinlock');
      return { lock: () => raw_spin_lock(l), unlock: () => raw_spin_unlock(l) };
    }
    case 'mutex': {
      const m = DEFINE_MUTEX('test_mutex');
      return { lock: () => mutex_lock(m), unlock: () => mutex_unlock(m) };
    }
    case 'rwlock': {
      const l = DEFINE_RWLOCK('test_rwlock');
      return { lock: () => write_lock(l), unlock: () => write_unlock(l), readLock: () => read_lock(l), readUnlock: () => read_unlock(l) };
    }
    case 'rwsem': {
      const s = DECLARE_RWSEM('test_rwsem');
      return { lock: () => down_write(s), unlock: () => up_write(s), readLock: () => down_read(s), readUnlock: () => up_read(s) };
    }
    case 'percpu_rwsem': {
      const s = DEFINE_STATIC_PERCPU_RWSEM('test_pcpu_rwsem');
      return { lock: () => percpu_down_write(s), unlock: () => percpu_up_write(s), readLock: () => percpu_down_read(s), readUnlock: () => percpu_up_read(s) };
    }
    case 'busted': {
      const b = DEFINE_BUSTED_LOCK();
      return { lock: () => torture_lock_busted_write_lock(b), unlock: () => torture_lock_busted_write_unlock(b) };
    }
  }
}

/** A critical section long enough for a broken lock to be caught: read, spin, write back. */
function criticalIncrement(): void {
  const v = Atomics.load(i32, T_COUNTER);
  if (Atomics.exchange(i32, T_WRITE_HELD, 1) !== 0 || Atomics.load(i32, T_READERS) !== 0) Atomics.add(i32, T_VIOLATIONS, 1);
  for (let k = 0; k < 50; k++) Atomics.load(i32, T_COUNTER);
  Atomics.store(i32, T_WRITE_HELD, 0);
  Atomics.store(i32, T_COUNTER, v + 1);
}

function criticalRead(): void {
  Atomics.add(i32, T_READERS, 1);
  const v = Atomics.load(i32, T_COUNTER);
  for (let k = 0; k < 50; k++) if (Atomics.load(i32, T_WRITE_HELD) !== 0) Atomics.add(i32, T_VIOLATIONS, 1);
  if (Atomics.load(i32, T_COUNTER) !== v) Atomics.add(i32, T_VIOLATIONS, 1);
  Atomics.sub(i32, T_READERS, 1);
}

/**
 * Make the slow path run at least once whatever the host's scheduling (2 cores may run the
 * workers one after another): CPU 0 takes the lock for write and holds it until some other CPU
 * has reported lockdep.contended() (FAKE_CONTENDED); the others each take and drop the lock once
 * (as reader or writer) after CPU 0 holds it. No increment: the counter check is unchanged.
 */
async function forceContention(ops: Ops, reader: boolean): Promise<void> {
  if (d.cpu === 0) {
    const r = ops.lock();
    if (r instanceof Promise) await r;
    bump(i32, T_PHASE, 1);
    waitForAtLeast(i32, FAKE_CONTENDED, 1);
    ops.unlock();
    return;
  }
  waitForAtLeast(i32, T_PHASE, 1);
  if (reader && ops.readLock !== undefined && ops.readUnlock !== undefined) {
    const r = ops.readLock();
    if (r instanceof Promise) await r;
    ops.readUnlock();
  } else {
    const r = ops.lock();
    if (r instanceof Promise) await r;
    ops.unlock();
  }
}

async function exclusion(): Promise<string> {
  const ops = makeOps(d.kind);
  const reader = ops.readLock !== undefined && d.cpu % 2 === 1;
  Atomics.add(i32, T_BARRIER, 1);
  waitForAtLeast(i32, T_BARRIER, d.nrCpus);
  // lock_busted has no slow path (and no lockdep calls) to force.
  if (d.kind !== 'busted') await forceContention(ops, reader);
  for (let n = 0; n < d.iters; n++) {
    if (reader && ops.readLock !== undefined && ops.readUnlock !== undefined) {
      const r = ops.readLock();
      if (r instanceof Promise) await r;
      criticalRead();
      ops.readUnlock();
    } else {
      const r = ops.lock();
      if (r instanceof Promise) await r;
      criticalIncrement();
      ops.unlock();
    }
  }
  return reader ? 'reader' : 'writer';
}

async function uncontended(): Promise<string> {
  const ops = makeOps(d.kind);
  for (let n = 0; n < d.iters; n++) {
    const r = ops.lock();
    if (r instanceof Promise) await r;
    ops.unlock();
    if (ops.readLock !== undefined && ops.readUnlock !== undefined) {
      const q = ops.readLock();
      if (q instanceof Promise) await q;
      ops.readUnlock();
    }
  }
  if (d.kind === 'spinlock') {
    const l = DEFINE_RAW_SPINLOCK('test_spinlock');
    const flags = raw_spin_lock_irqsave(l);
    raw_spin_unlock_irqrestore(l, flags);
  }
  return 'done';
}

/**
 * CPU 0 holds the mutex until CPU 1 sleeps on it, freezes CPU 1 and unlocks (the wake-up goes to
 * a frozen CPU); CPU 2 then takes the free mutex on its fast path and thaws CPU 1 while holding
 * it. CPU 1 must notice that WAITERS was cleared, re-assert it, and be woken by CPU 2's unlock.
 */
async function mutexFrozen(): Promise<string> {
  const m: Mutex = DEFINE_MUTEX('test_mutex');
  const waiterBit = 1 << 1;
  const frozen1 = FAKE_FROZEN_BASE + 1 * 16;
  if (d.cpu === 0) {
    await mutex_lock(m);
    bump(i32, T_PHASE, 1);
    const end = performance.now() + 10_000;
    while ((Atomics.load(m.wq.i32, m.wq.index) & waiterBit) === 0 && performance.now() < end) Atomics.wait(i32, T_PHASE, 1, 1);
    Atomics.store(i32, frozen1, 1);
    mutex_unlock(m);
    bump(i32, T_PHASE, 2);
    return 'holder';
  }
  if (d.cpu === 1) {
    waitForAtLeast(i32, T_PHASE, 1);
    await mutex_lock(m);
    bump(i32, T_ACQUIRED, 1);
    mutex_unlock(m);
    return 'waiter';
  }
  waitForAtLeast(i32, T_PHASE, 2);
  const fast = mutex_trylock(m);
  if (!fast) return 'stealer: trylock failed';
  bump(i32, T_PHASE, 3);
  // Thaw the waiter while we hold the mutex; let it run its condition (bounded wait).
  Atomics.store(i32, frozen1, 0);
  Atomics.notify(i32, frozen1);
  Atomics.wait(i32, T_ACQUIRED, 0, 50);
  mutex_unlock(m);
  return 'stealer';
}

/**
 * qrwlock semantics: CPU 0 read-holds the lock; CPU 1's writer starts waiting (_QW_WAITING); then
 * CPU 0, in interrupt context (bh disabled), read-locks again and must get in at once (lockdep
 * read=2), while CPU 2's task-context reader, arriving after the writer, must wait for it.
 */
async function rwlockIrq(): Promise<string> {
  const l = DEFINE_RWLOCK('test_rwlock');
  if (d.cpu === 0) {
    read_lock(l);
    bump(i32, T_PHASE, 1);
    const end = performance.now() + 10_000;
    while ((Atomics.load(i32, l.cnts) & _QW_WAITING) === 0 && performance.now() < end) Atomics.wait(i32, T_PHASE, 1, 1);
    bump(i32, T_PHASE, 2);
    // Let CPU 2's reader arrive and queue behind the writer.
    waitForAtLeast(i32, T_READERS, 1);
    Atomics.wait(i32, T_PHASE, 2, 20);
    local_bh_disable();
    read_lock(l);
    read_unlock(l);
    local_bh_enable();
    read_unlock(l);
    return 'irq-reader';
  }
  if (d.cpu === 1) {
    waitForAtLeast(i32, T_PHASE, 1);
    write_lock(l);
    bump(i32, T_ACQUIRED, 1);
    write_unlock(l);
    return 'writer';
  }
  waitForAtLeast(i32, T_PHASE, 2);
  bump(i32, T_READERS, 1);
  read_lock(l);
  // The writer arrived first: it must have been in before this task-context reader.
  if (Atomics.load(i32, T_ACQUIRED) !== 1) Atomics.add(i32, T_VIOLATIONS, 1);
  read_unlock(l);
  return 'task-reader';
}

function local_bh_disable(): void {
  kapi.localBhDisable();
}

function local_bh_enable(): void {
  kapi.localBhEnable();
}

const run = d.scenario === 'exclusion' ? exclusion : d.scenario === 'uncontended' ? uncontended : d.scenario === 'rwlock_irq' ? rwlockIrq : mutexFrozen;
const note = await run();
const result: LockWorkerResult = { cpu: d.cpu, counters: { ...fakeCounters }, note };
parentPort?.postMessage(result);
