// Two workers, two torture/locks mutexes, opposite orders, AT THE SAME TIME: a real deadlock.
// Worker "first" takes A, worker "second" takes B, they meet, then each asks for the other's lock.
//
// Run (after `npm run build`):
//   TORTURE_LOCKDEP=1 node harness/locks/examples/deadlock.mjs
// prints lockdep's `possible circular locking dependency` report (the order), then the
// `DEADLOCK: 2 threads blocked in a wait-for cycle` report (the threads really are stuck).
// Without TORTURE_LOCKDEP=1 it just hangs, as the deadlocked program it is, until the main
// thread gives up after 20 s.
import { Worker, isMainThread, workerData } from 'node:worker_threads';
import { Mutex } from '../../../dist/harness/locks/index.js';

if (isMainThread) {
  const a = new Mutex({ name: 'lock_a' });
  const b = new Mutex({ name: 'lock_b' });
  const met = new Int32Array(new SharedArrayBuffer(4));
  for (const role of ['first', 'second']) {
    new Worker(new URL(import.meta.url), { workerData: { role, a: a.handle, b: b.handle, met: met.buffer } }).unref();
  }
  setTimeout(() => process.exit(0), 20_000);
} else {
  const { role, met } = workerData;
  const a = Mutex.from(workerData.a);
  const b = Mutex.from(workerData.b);
  const i32 = new Int32Array(met);
  // Both threads hold their first lock before either asks for its second (a shared-memory barrier).
  function meet() {
    Atomics.add(i32, 0, 1);
    Atomics.notify(i32, 0);
    for (let v = Atomics.load(i32, 0); v < 2; v = Atomics.load(i32, 0)) Atomics.wait(i32, 0, v);
  }
  function take_a_then_b() {
    a.lock();
    meet();
    b.lock();
  }
  function take_b_then_a() {
    b.lock();
    meet();
    a.lock();
  }
  if (role === 'first') take_a_then_b();
  else take_b_then_a();
}
