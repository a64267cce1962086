/*
 * Test kernel (1 CPU, PREEMPT=y): a busy-wait with bottom halves off is not preemptible, as in the
 * kernel, where local_bh_disable() adds SOFTIRQ_DISABLE_OFFSET to the preempt count. `bh_preempt`
 * disables bottom halves, spins mdelay(30) (three ticks at HZ=100), then does the same with them
 * on, where PREEMPT=y's tick preempts the delay (it returns a promise). It prints
 * `bh_preempt: OK ...` or `bh_preempt: FAIL: ...` and powers off. (An RCU or SRCU callback runs
 * with bottom halves off: a preempted callback let another task run on its CPU in softirq-off
 * context, and its delay's promise was lost: `sleeping call outside task context`.)
 */

import { kapi } from '../../kapi.js';

export function boot(cpu: number): void {
  if (cpu !== 0) return;
  kapi.kthreadRun(async () => {
    kapi.localBhDisable();
    const off = kapi.mdelay(30);
    if (off !== null) await off;
    kapi.localBhEnable();
    const on = kapi.mdelay(30);
    if (on !== null) await on;
    kapi.printk(
      off === null && on !== null
        ? 'bh_preempt: OK not preempted with bottom halves off, preempted with them on'
        : `bh_preempt: FAIL: bh off ${off === null ? 'not ' : ''}preempted, bh on ${on === null ? 'not ' : ''}preempted`,
    );
    kapi.powerOff();
  }, 'bh_preempt');
}
