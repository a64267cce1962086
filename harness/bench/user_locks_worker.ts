/*
 * Worker of one user_locks row (user_locks.ts): a fresh thread per row and run, so every loop is
 * monomorphic. Times INNER lock+unlock pairs per tinybench sample of the row's lock: the bare
 * algorithm written out here (no lockdep field, nothing else), the torture/locks lock with lockdep
 * off, or with lockdep switched on in this thread (enableLockdep(): the validator and the
 * wait-for table's held list). Replies with the latency figures or a skip reason.
 */

import { Mutex as AsyncMutex } from 'async-mutex';
import { parentPort, workerData } from 'node:worker_threads';
import { Bench, type FnReturnedObject } from 'tinybench';
import { enableLockdep, Mutex, RwLock, withLockdep } from '../locks/index.js';
import { INNER } from './bench_types.js';
import type { UserLocksJob, UserLocksReply } from './user_locks.js';

const job = workerData as UserLocksJob;

/* The bare algorithms: the same words and atomics as harness/locks/mutex.ts and rwlock.ts, nothing else. */
function bare_mutex_lock(i: Int32Array): void {
  if (Atomics.compareExchange(i, 0, 0, 1) === 0) return;
  let c = Atomics.exchange(i, 0, 2);
  while (c !== 0) {
    Atomics.wait(i, 0, 2);
    c = Atomics.exchange(i, 0, 2);
  }
}
function bare_mutex_unlock(i: Int32Array): void {
  if (Atomics.sub(i, 0, 1) !== 1) {
    Atomics.store(i, 0, 0);
    Atomics.notify(i, 0, 1);
  }
}
function bare_read_lock(i: Int32Array): void {
  for (;;) {
    const s = Atomics.load(i, 0);
    if (s >= 0 && Atomics.compareExchange(i, 0, s, s + 1) === s) return;
    if (s < 0) Atomics.wait(i, 0, s);
  }
}
function bare_read_unlock(i: Int32Array): void {
  if (Atomics.sub(i, 0, 1) === 1 && Atomics.load(i, 1) > 0) Atomics.notify(i, 0);
}

type Pair = { sync: true; lock(): void; unlock(): void } | { sync: false; lock(): Promise<unknown>; unlock(): void };

async function pairOf(): Promise<Pair> {
  if (job.lockdep) await enableLockdep({ name: 'bench' });
  const bare = new Int32Array(new SharedArrayBuffer(16));
  switch (job.lock) {
    case 'bare_mutex':
      return { sync: true, lock: () => bare_mutex_lock(bare), unlock: () => bare_mutex_unlock(bare) };
    case 'mutex': {
      const m = new Mutex({ name: 'bench_mutex' });
      return { sync: true, lock: () => m.lock(), unlock: () => m.unlock() };
    }
    case 'bare_rwlock_read':
      return { sync: true, lock: () => bare_read_lock(bare), unlock: () => bare_read_unlock(bare) };
    case 'rwlock_read': {
      const l = new RwLock({ name: 'bench_rwlock' });
      return { sync: true, lock: () => l.readLock(), unlock: () => l.readUnlock() };
    }
    case 'async_mutex': {
      const m = new AsyncMutex();
      return { sync: false, lock: () => m.acquire(), unlock: () => m.release() };
    }
    case 'async_mutex_adapter': {
      const m = withLockdep(new AsyncMutex(), { name: 'bench_async_mutex' });
      return { sync: false, lock: () => m.acquire(), unlock: () => m.release() };
    }
  }
}

async function measure(): Promise<UserLocksReply> {
  const p = await pairOf();
  const bench = new Bench({ name: job.name, time: job.timeMs, warmupTime: Math.min(200, job.timeMs), iterations: 8, warmupIterations: 4, timestampProvider: 'hrtimeNow', throws: true });
  const now = (): number => bench.now();
  const done = (t0: number): FnReturnedObject => {
    const ms = now() - t0;
    return { overriddenDuration: ms / INNER, overriddenIterationCost: ms };
  };
  if (p.sync) {
    bench.add(job.name, () => {
      const t0 = now();
      for (let i = 0; i < INNER; i++) {
        p.lock();
        p.unlock();
      }
      return done(t0);
    });
  } else {
    bench.add(job.name, async () => {
      const t0 = now();
      for (let i = 0; i < INNER; i++) {
        await p.lock();
        p.unlock();
      }
      return done(t0);
    });
  }
  const tasks = p.sync ? bench.runSync() : await bench.run();
  const res = tasks[0]?.result;
  if (res === undefined || (res.state !== 'completed' && res.state !== 'aborted-with-statistics')) return { ok: false, reason: `broken: ${res?.state ?? 'no task'}` };
  return { ok: true, p50Ns: res.latency.p50 * 1e6, p99Ns: res.latency.p99 * 1e6, meanNs: res.latency.mean * 1e6, rme: res.latency.rme, samples: res.latency.samplesCount };
}

measure().then(
  (r) => parentPort?.postMessage(r),
  (e: unknown) => parentPort?.postMessage({ ok: false, reason: `broken: ${e instanceof Error ? e.message : String(e)}` } satisfies UserLocksReply),
);
