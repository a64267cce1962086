/*
 * Test kernel for the runqueue pick (sched_prio.test.ts): on CPU 0 four tasks become runnable
 * together; `fifo_hi` is made SCHED_FIFO 50 and `fifo_lo` SCHED_FIFO 1 before any runs. Each
 * prints when it first runs: the real-time ones must run first, best prio first, then the
 * SCHED_NORMAL ones in FIFO order. Then every task goes back to SCHED_NORMAL and the order is
 * creation order again.
 */

import { kapi, type TaskRef } from '../../kapi.js';
import { sched_set_fifo, sched_set_fifo_low, sched_set_normal } from '../../../kernels/sched/core.js';

export function boot(cpu: number): void {
  if (cpu !== 0) return;
  const order: string[] = [];
  let n = 0;
  const mk = (comm: string): TaskRef =>
    kapi.kthreadRun(async () => {
      order.push(`${comm}(${kapi.sched.prio(kapi.current().pid)})`);
      sched_set_normal(kapi.current(), 0);
      if (++n === 4) {
        kapi.printk(`sched_prio_order: ${order.join(' ')}`);
        kapi.powerOff();
      }
    }, comm);
  mk('normal_a');
  const lo = mk('fifo_lo');
  mk('normal_b');
  const hi = mk('fifo_hi');
  sched_set_fifo_low(lo);
  sched_set_fifo(hi);
}
