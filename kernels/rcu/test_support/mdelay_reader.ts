/*
 * Test guest module (PREEMPT=y, 2 CPUs): a reader on CPU 1 spins in mdelay(300) inside
 * rcu_read_lock() while another task of CPU 1 is runnable. The tick preempts it inside the delay
 * (kapi.mdelay returns a promise), so it is queued on its rcu_node's blocked-tasks list, and a
 * synchronize_rcu() started on CPU 0 meanwhile must wait for it to unlock. CPU 0 prints
 * `mdelay-reader: OK ...` or `mdelay-reader: FAIL: ...`, then powers off. With
 * `rcutree.test_broken_gp=2` (GPs ignore blocked readers) the FAIL line is expected.
 */

import { kapi } from '../../../harness/kapi.js';
import { rcu_init, rcu_preempt_has_tasks, rcu_read_lock, rcu_read_unlock, synchronize_rcu } from '../tree.js';

const W_IN = 0;
const W_OUT = 1;
const W_DONE = 2;
const W_PREEMPTED = 3;
const W_BLOCKED = 4;

export function boot(cpu: number): void {
  rcu_init(cpu);
  const r = kapi.shmAlloc('mdelay_reader', 8);
  const i32 = kapi.shm;
  const w = (k: number): number => r.base + k;
  if (cpu === 1) {
    kapi.kthreadRun(async () => {
      while (Atomics.load(i32, w(W_DONE)) === 0) await kapi.schedule();
    }, 'busy');
    kapi.kthreadRun(async () => {
      await kapi.scheduleTimeout(20);
      rcu_read_lock();
      Atomics.store(i32, w(W_IN), 1);
      const p = kapi.mdelay(300);
      if (p !== null) {
        // Preempted inside the delay: off the CPU inside a read-side critical section. Back on
        // it, still inside, the reader must sit on its rcu_node's blocked-tasks list.
        Atomics.store(i32, w(W_PREEMPTED), 1);
        await p;
        if (rcu_preempt_has_tasks()) Atomics.store(i32, w(W_BLOCKED), 1);
      }
      Atomics.store(i32, w(W_OUT), 1);
      rcu_read_unlock();
    }, 'mdelay_reader');
  }
  if (cpu === 0) {
    kapi.kthreadRun(async () => {
      while (Atomics.load(i32, w(W_IN)) === 0) await kapi.scheduleTimeout(1);
      const t0 = kapi.jiffies();
      await synchronize_rcu();
      const waited = kapi.jiffies() - t0;
      const out = Atomics.load(i32, w(W_OUT));
      Atomics.store(i32, w(W_DONE), 1);
      const facts = `preempted=${Atomics.load(i32, w(W_PREEMPTED))} blocked=${Atomics.load(i32, w(W_BLOCKED))} gp-waited=${waited}ms`;
      kapi.printk(out === 1 ? `mdelay-reader: OK ${facts}` : `mdelay-reader: FAIL: the grace period ended inside the reader ${facts}`);
      kapi.powerOff();
    }, 'updater');
  }
}
