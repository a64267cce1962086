/*
 * Test kernel (1 CPU, PREEMPT=y): a busy-wait with bottom halves off is not preemptible, as in the
 * kernel, where local_bh_disable() adds SOFTIRQ_DISABLE_OFFSET to the preempt count. `bh_preempt`
 * disables bottom halves and spins mdelay(10)s for 30 jiffies (the guest's APIC tick comes every
 * jiffy: tens of ticks come in and none may preempt), then spins mdelay(10)s with them on until
 * PREEMPT=y's tick preempts one (it returns a promise), for up to 10 s: it waits for the event, not
 * a fixed time, as on a loaded host the APIC tick can come tens of milliseconds late (a single
 * 30 ms spin once saw none). It prints `bh_preempt: OK ...` or `bh_preempt: FAIL: ...`
 * and powers off. (An RCU or SRCU callback runs with bottom halves off: a preempted callback let
 * another task run on its CPU in softirq-off context, and its delay's promise was lost: `sleeping
 * call outside task context`.)
 */

import { HZ, kapi } from '../../kapi.js';

export function boot(cpu: number): void {
  if (cpu !== 0) return;
  kapi.kthreadRun(async () => {
    const CAP_J = 10 * HZ;
    kapi.localBhDisable();
    let off: Promise<void> | null = null;
    for (const j0 = kapi.jiffies(); off === null && kapi.jiffies() - j0 < 30; ) off = kapi.mdelay(10);
    if (off !== null) await off;
    kapi.localBhEnable();
    let on: Promise<void> | null = null;
    for (const j0 = kapi.jiffies(); on === null && kapi.jiffies() - j0 < CAP_J; ) on = kapi.mdelay(10);
    if (on !== null) await on;
    kapi.printk(
      off === null && on !== null
        ? 'bh_preempt: OK not preempted with bottom halves off, preempted with them on'
        : `bh_preempt: FAIL: bh off ${off === null ? 'not ' : ''}preempted, bh on ${on === null ? 'not ' : ''}preempted`,
    );
    kapi.powerOff();
  }, 'bh_preempt');
}
