/*
 * Worker thread of the locks tests (compiled to dist/, run by harness/locks/*.test.ts): one
 * scenario per run, chosen by workerData. Threads meet at shared-memory barriers (meet()), never
 * after sleeps. Replies with one `done` message, and reports (lockdep, deadlock, hung task) as
 * they come.
 */

import { parentPort, workerData } from 'node:worker_threads';
import { Condition, enableLockdep, Mutex, RwLock, Semaphore, type LockHandle } from '../index.js';

export interface LocksJob {
  readonly scenario: 'exclusion' | 'rwlock' | 'semaphore' | 'condition' | 'abba' | 'deadlock' | 'lost_wakeup' | 'owner_exit';
  readonly role: number;
  readonly threads: number;
  readonly iters: number;
  /** Int32 scratch words shared by the threads of one run (barriers, counters). */
  readonly shared: SharedArrayBuffer;
  readonly locks: readonly LockHandle[];
  /** Switch lockdep on in this thread (the handles carry its buffer). */
  readonly lockdep: boolean;
  readonly name: string;
  readonly async?: boolean;
  /** The planted bug of `exclusion`: skip the lock (the exclusion check must then fail). */
  readonly unlocked?: boolean;
  readonly hungTaskTimeoutSecs?: number;
  /** The semaphore's permits (scenario `semaphore`). */
  readonly permits?: number;
}

export interface LocksResult {
  readonly counter: number;
  readonly maxInside: number;
  readonly violations: number;
  readonly consumed: number;
}

export type LocksMsg = { type: 'report'; kind: string; text: string } | { type: 'done'; result: LocksResult };

const job = workerData as LocksJob;
const s = new Int32Array(job.shared);
/* Scratch words. */
const ARRIVE = 0; // barrier arrivals (meet() uses words 0..7, one per barrier)
const COUNTER = 8; // the non-atomic counter of the critical section
const INSIDE = 9;
const MAX_INSIDE = 10;
const VIOLATIONS = 11;
const READERS = 12;
const WRITERS = 13;
const ITEMS = 14;
const CONSUMED = 15;
const SLEEPING = 16; // the consumer is about to wait for item N (set under the mutex)

/** A barrier at word `b`: every thread of the run arrives, then all go on (Atomics.wait, no sleep). */
function meet(b: number, n = job.threads): void {
  // Partner: the other threads' Atomics.add on the same word, and their notify.
  if (Atomics.add(s, ARRIVE + b, 1) + 1 >= n) Atomics.notify(s, ARRIVE + b);
  for (let v = Atomics.load(s, ARRIVE + b); v < n; v = Atomics.load(s, ARRIVE + b)) Atomics.wait(s, ARRIVE + b, v);
}

/** Wait (Atomics.wait, no sleep) until word `w` reaches `n`; false after capMs. */
function until(w: number, n: number, capMs = 20_000): boolean {
  const end = Date.now() + capMs;
  for (let v = Atomics.load(s, w); v < n; v = Atomics.load(s, w)) {
    if (Date.now() > end) return false;
    Atomics.wait(s, w, v, 50);
  }
  return true;
}

function enter(): void {
  const inside = Atomics.add(s, INSIDE, 1) + 1;
  for (let m = Atomics.load(s, MAX_INSIDE); inside > m && Atomics.compareExchange(s, MAX_INSIDE, m, inside) !== m; m = Atomics.load(s, MAX_INSIDE));
}

function leave(): void {
  Atomics.sub(s, INSIDE, 1);
  Atomics.notify(s, INSIDE);
}

/** The racy critical section: read, spin, write back (loses increments unless excluded). */
function bump(): void {
  if (Atomics.load(s, INSIDE) !== 1) Atomics.add(s, VIOLATIONS, 1);
  const v = s[COUNTER] ?? 0;
  for (let k = 0; k < 50; k++) Atomics.load(s, ARRIVE);
  s[COUNTER] = v + 1;
}

async function exclusion(): Promise<void> {
  const m = Mutex.from(job.locks[0] as LockHandle);
  meet(0);
  const skip = job.unlocked === true;
  for (let i = 0; i < job.iters; i++) {
    if (skip) {
      /* no lock */
    } else if (job.async === true) await m.lockAsync();
    else m.lock();
    enter();
    bump();
    leave();
    if (!skip) m.unlock();
  }
}

function rwlock(): void {
  const l = RwLock.from(job.locks[0] as LockHandle);
  const readers = job.threads - 1;
  meet(0);
  if (job.role < readers) {
    // Every reader holds the read lock until all readers are inside at once: concurrent readers.
    l.readLock();
    Atomics.add(s, READERS, 1);
    if (Atomics.load(s, WRITERS) !== 0) Atomics.add(s, VIOLATIONS, 1);
    if (!until(READERS, readers)) Atomics.add(s, VIOLATIONS, 100);
    enter();
    leave();
    Atomics.add(s, ITEMS, 1);
    l.readUnlock();
    return;
  }
  // The writer asks while the readers hold the lock, and must get it only after all of them left.
  until(READERS, readers);
  l.writeLock();
  if (Atomics.load(s, ITEMS) !== readers) Atomics.add(s, VIOLATIONS, 1000);
  Atomics.add(s, WRITERS, 1);
  for (let i = 0; i < job.iters; i++) {
    enter();
    bump();
    leave();
  }
  Atomics.sub(s, WRITERS, 1);
  l.writeUnlock();
}

function semaphore(permits: number): void {
  const sem = Semaphore.from(job.locks[0] as LockHandle);
  meet(0);
  for (let i = 0; i < job.iters; i++) {
    sem.acquire();
    enter();
    if (Atomics.load(s, INSIDE) > permits) Atomics.add(s, VIOLATIONS, 1);
    // The first round: the first `permits` threads in wait for each other inside (the count is reached).
    if (i === 0 && Atomics.add(s, ITEMS, 1) < permits) until(ITEMS, permits);
    leave();
    sem.release();
  }
}

async function condition(lose: boolean): Promise<void> {
  const m = Mutex.from(job.locks[0] as LockHandle);
  const c = Condition.from(job.locks[1] as LockHandle);
  meet(0);
  if (job.role === 0) {
    // The consumer: take every item, waiting on the condition while there is none.
    for (let got = 0; got < job.iters; got++) {
      m.lock();
      while ((s[ITEMS] ?? 0) === 0) {
        Atomics.store(s, SLEEPING, got + 1);
        Atomics.notify(s, SLEEPING);
        if (job.async === true) await c.waitAsync(m);
        else c.wait(m);
      }
      s[ITEMS] = (s[ITEMS] ?? 0) - 1;
      Atomics.add(s, CONSUMED, 1);
      m.unlock();
    }
    return;
  }
  for (let i = 0; i < job.iters; i++) {
    // The planted bug needs the consumer asleep on the last item: it says so under the mutex,
    // which it drops only inside wait(), after reading the condition's sequence.
    if (lose && i === job.iters - 1) until(SLEEPING, job.iters);
    m.lock();
    s[ITEMS] = (s[ITEMS] ?? 0) + 1;
    // The planted bug of `lost_wakeup`: the last item is added without a notify.
    if (!(lose && i === job.iters - 1)) c.notify();
    m.unlock();
  }
}

function take_a_then_b(a: Mutex, b: Mutex, meetFirst: boolean): void {
  a.lock();
  if (meetFirst) meet(1);
  b.lock();
  b.unlock();
  a.unlock();
}

function take_b_then_a(a: Mutex, b: Mutex, meetFirst: boolean): void {
  b.lock();
  if (meetFirst) meet(1);
  a.lock();
  a.unlock();
  b.unlock();
}

async function main(): Promise<void> {
  // owner_exit: the waiter starts once the owner's thread has ended (its exit handlers ran).
  if (job.scenario === 'owner_exit' && job.role === 0) {
    process.on('exit', () => {
      Atomics.store(s, ITEMS, 1);
      Atomics.notify(s, ITEMS);
    });
  }
  if (job.lockdep) {
    await enableLockdep({
      name: job.name,
      hungTaskTimeoutSecs: job.hungTaskTimeoutSecs ?? 0,
      waitSliceMs: 50,
      onReport: (r) => parentPort?.postMessage({ type: 'report', kind: r.kind, text: r.text } satisfies LocksMsg),
    });
  }
  switch (job.scenario) {
    case 'exclusion':
      await exclusion();
      break;
    case 'rwlock':
      rwlock();
      break;
    case 'semaphore':
      semaphore(job.permits ?? 1);
      break;
    case 'condition':
    case 'lost_wakeup':
      await condition(job.scenario === 'lost_wakeup');
      break;
    case 'owner_exit': {
      // Thread 0 takes the lock and ends without unlocking it; thread 1 then waits for it for ever.
      const m = Mutex.from(job.locks[0] as LockHandle);
      if (job.role === 0) {
        m.lock();
        break;
      }
      until(ITEMS, 1, 60_000);
      m.lock();
      break;
    }
    case 'abba':
    case 'deadlock': {
      const a = Mutex.from(job.locks[0] as LockHandle);
      const b = Mutex.from(job.locks[1] as LockHandle);
      const together = job.scenario === 'deadlock';
      if (job.role === 0) take_a_then_b(a, b, together);
      else take_b_then_a(a, b, together);
      break;
    }
  }
  const result: LocksResult = { counter: s[COUNTER] ?? 0, maxInside: Atomics.load(s, MAX_INSIDE), violations: Atomics.load(s, VIOLATIONS), consumed: Atomics.load(s, CONSUMED) };
  parentPort?.postMessage({ type: 'done', result } satisfies LocksMsg);
}

await main();
