/*
 * Test kernel: a timer (softirq) takes a spinlock that a task of the same CPU holds with irqs on.
 * `softirq_test` on CPU 0 takes `softirq_test_lock` with spin_lock(), arms a timer whose callback
 * takes the same lock, and spins in mdelay() inside the critical section: the tick arrives there,
 * the timer softirq runs on irq exit and spins on a lock its own CPU holds. That is a real
 * deadlock (the CPU halts in pv_wait() for good; soft lockup), and with lockdep the kernel's
 * `inconsistent {SOFTIRQ-ON-W} -> {IN-SOFTIRQ-W} usage` report comes first. With
 * `softirq_test.bh=1` the task uses spin_lock_bh(): the timer waits for spin_unlock_bh() and runs
 * there, and CPU 0 prints `softirq_test: timer ran after the unlock` and powers off.
 */

import { kapi } from '../../kapi.js';
import { module_param } from '../../../kernels/moduleparam.js';
import { DEFINE_SPINLOCK, spin_lock, spin_lock_bh, spin_unlock, spin_unlock_bh } from '../../../kernels/locking/spinlock.js';

export function boot(cpu: number): void {
  const lock = DEFINE_SPINLOCK('softirq_test_lock');
  if (cpu !== 0) return;
  const bh = module_param('softirq_test.bh', 'bool', false);
  let ran = 0;
  const timer = kapi.timerSetup(() => {
    spin_lock(lock);
    ran++;
    spin_unlock(lock);
  });
  kapi.kthreadRun(async () => {
    // Once with no timer armed, so that lockdep has seen the task-context usage first.
    if (bh) spin_lock_bh(lock);
    else spin_lock(lock);
    if (bh) spin_unlock_bh(lock);
    else spin_unlock(lock);
    await kapi.scheduleTimeout(5);
    if (bh) spin_lock_bh(lock);
    else spin_lock(lock);
    kapi.modTimer(timer, kapi.jiffies() + 1);
    // Preemption is off under the lock: never preempted (null). A second, not the few jiffies the
    // timer needs: the tick comes from the guest's main thread, which a loaded host can leave
    // without a core for tens of milliseconds (a 50 ms spin once took no tick at all).
    void kapi.mdelay(1000);
    const before = ran;
    if (bh) spin_unlock_bh(lock);
    else spin_unlock(lock);
    kapi.printk(`softirq_test: ${before === 0 && ran === 1 ? 'timer ran after the unlock' : `timer ran ${before} times inside the critical section`}`);
    kapi.powerOff();
  }, 'softirq_test');
}
