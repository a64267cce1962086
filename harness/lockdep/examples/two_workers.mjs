// Two workers, two SharedArrayBuffer mutexes, opposite orders, never at the same time:
// worker "first" takes A then B and exits; only then worker "second" takes B then A.
// The lock graph shared through the lockdep buffer reports the possible ABBA deadlock.
//
// Run (after `npm run build`): node harness/lockdep/examples/two_workers.mjs
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { attachLockdep, createLockdepBuffer } from '../../../dist/harness/lockdep/user_api.js';

// A tiny futex-style mutex on an Int32Array word (0 free, 1 held).
function sab_mutex_lock(i32, idx) {
  while (Atomics.compareExchange(i32, idx, 0, 1) !== 0) Atomics.wait(i32, idx, 1, 10);
}
function sab_mutex_unlock(i32, idx) {
  Atomics.store(i32, idx, 0);
  Atomics.notify(i32, idx, 1);
}

if (isMainThread) {
  const lockdepBuf = createLockdepBuffer();
  const locks = new SharedArrayBuffer(8); // word 0: lock A, word 1: lock B
  const run = (role) =>
    new Promise((resolve, reject) => {
      const w = new Worker(new URL(import.meta.url), { workerData: { role, lockdepBuf, locks } });
      w.on('error', reject);
      w.on('exit', resolve);
    });
  await run('first');
  await run('second');
} else {
  const { role, lockdepBuf, locks } = workerData;
  const i32 = new Int32Array(locks);
  const ld = attachLockdep(lockdepBuf, { name: role });
  // Same declarations, same order, on every thread.
  const A = ld.lockClass('lock_a', 'mutex');
  const B = ld.lockClass('lock_b', 'mutex');

  function lock(cls, idx) {
    ld.acquire(cls, { instance: idx * 4 }); // annotate before blocking
    sab_mutex_lock(i32, idx);
  }
  function unlock(cls, idx) {
    ld.release(cls, idx * 4);
    sab_mutex_unlock(i32, idx);
  }
  function take_a_then_b() {
    lock(A, 0);
    lock(B, 1);
    unlock(B, 1);
    unlock(A, 0);
  }
  function take_b_then_a() {
    lock(B, 1);
    lock(A, 0);
    unlock(A, 0);
    unlock(B, 1);
  }

  if (role === 'first') take_a_then_b();
  else take_b_then_a();
  ld.exit();
}
