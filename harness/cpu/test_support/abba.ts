/*
 * Test kernel for lockdep across CPUs: a task on CPU 0 takes lock_a then lock_b and finishes;
 * a second later a task on CPU 1 takes lock_b then lock_a. They never overlap in time, yet the
 * second acquisition closes a cycle in the shared dependency graph.
 */

import { kapi } from '../../kapi.js';
import { DEFINE_MUTEX, mutex_lock, mutex_unlock } from '../../../kernels/locking/mutex.js';

async function take_a_then_b(done: Int32Array, idx: number): Promise<void> {
  const a = DEFINE_MUTEX('lock_a');
  const b = DEFINE_MUTEX('lock_b');
  await mutex_lock(a);
  await mutex_lock(b);
  mutex_unlock(b);
  mutex_unlock(a);
  Atomics.store(done, idx, 1);
}

async function take_b_then_a(): Promise<void> {
  const a = DEFINE_MUTEX('lock_a');
  const b = DEFINE_MUTEX('lock_b');
  await mutex_lock(b);
  await mutex_lock(a);
  mutex_unlock(a);
  mutex_unlock(b);
}

export function boot(cpu: number): void {
  const reg = kapi.shmAlloc('abba_test', 16);
  const i32 = kapi.shm;
  if (cpu === 0) kapi.kthreadRun(() => take_a_then_b(i32, reg.base), 'abba_first');
  if (cpu === 1) {
    kapi.kthreadRun(async () => {
      while (Atomics.load(i32, reg.base) === 0) await kapi.scheduleTimeout(10);
      await kapi.scheduleTimeout(1000);
      await take_b_then_a();
      kapi.printk('abba: second order taken');
      kapi.powerOff();
    }, 'abba_second');
  }
}
