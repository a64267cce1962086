/*
 * Test guest module (PREEMPT=y, 2+ CPUs): a reader on CPU 1 is preempted inside its read-side
 * critical section and keeps running there, switching with another task, for 50 ms; a
 * synchronize_rcu() on CPU 0 that starts meanwhile must not return before the reader unlocks.
 * CPU 0 prints `preempted-reader: OK` or `preempted-reader: FAIL: ...`, then powers off.
 */

import { kapi } from '../../../harness/kapi.js';
import { rcu_init, rcu_read_lock, rcu_read_unlock, synchronize_rcu } from '../tree.js';

const W_IN = 0;
const W_OUT = 1;
const W_DONE = 2;

export function boot(cpu: number): void {
  rcu_init(cpu);
  const r = kapi.shmAlloc('preempted_reader', 4);
  const w = (k: number): number => r.base + k;
  if (cpu === 1) {
    kapi.kthreadRun(async () => {
      while (Atomics.load(kapi.shm, w(W_DONE)) === 0) await kapi.schedule();
    }, 'busy');
    kapi.kthreadRun(async () => {
      await kapi.scheduleTimeout(20);
      rcu_read_lock();
      Atomics.store(kapi.shm, w(W_IN), 1);
      const end = kapi.jiffies() + 50;
      let preempted = 0;
      while (kapi.jiffies() < end || preempted === 0) {
        const p = kapi.preemptPoint();
        if (p !== null) {
          preempted++;
          await p;
        }
      }
      Atomics.store(kapi.shm, w(W_OUT), 1);
      rcu_read_unlock();
    }, 'reader');
  }
  if (cpu === 0) {
    kapi.kthreadRun(async () => {
      while (Atomics.load(kapi.shm, w(W_IN)) === 0) await kapi.scheduleTimeout(1);
      await synchronize_rcu();
      const out = Atomics.load(kapi.shm, w(W_OUT));
      Atomics.store(kapi.shm, w(W_DONE), 1);
      kapi.printk(out === 1 ? 'preempted-reader: OK' : 'preempted-reader: FAIL: the grace period ended inside the reader');
      kapi.powerOff();
    }, 'updater');
  }
}
