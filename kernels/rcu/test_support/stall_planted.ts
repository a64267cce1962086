/*
 * Test guest module for the RCU CPU stall warnings (tree_stall.ts). Boot parameters:
 *   stall_test.cpu=N      the CPU that misbehaves (default 1)
 *   stall_test.mode=busy  CPU N keeps running a task that calls schedule() in a loop (awake,
 *                         ticking); with rcutree.test_lost_qs_cpu=N its QSes are lost, so it
 *                         self-detects the stall
 *   stall_test.mode=spin  CPU N spins with preemption disabled for stall_test.spin_secs (4),
 *                         starting inside a grace period
 *   stall_test.secs=S     power off after S seconds (default 6)
 * Another CPU keeps asking for grace periods (synchronize_rcu() in a loop) and prints
 * `stall-test: N GPs` before powering off.
 */

import { kapi } from '../../../harness/kapi.js';
import { module_param } from '../../moduleparam.js';
import { rcu_gp_in_progress_now, rcu_init, synchronize_rcu } from '../tree.js';


export function boot(cpu: number): void {
  rcu_init(cpu);
  const bad = module_param('stall_test.cpu', 'uint', 1);
  const mode = module_param('stall_test.mode', 'charp', 'busy');
  const secs = module_param('stall_test.secs', 'uint', 6);
  const spinSecs = module_param('stall_test.spin_secs', 'uint', 4);
  const updater = bad === 0 ? 1 : 0;
  const spin = kapi.shmAlloc('stall_test.spin', 1);
  if (cpu === bad && mode === 'busy') {
    kapi.kthreadRun(async () => {
      while (!kapi.mustStop()) await kapi.schedule();
    }, 'stall_busy');
  }
  if (cpu === bad && mode === 'spin') {
    kapi.kthreadRun(async () => {
      await kapi.scheduleTimeout(200);
      // Stall inside a grace period, so that there is one to report.
      while (!rcu_gp_in_progress_now()) await kapi.scheduleTimeout(1);
      kapi.preemptDisable();
      const end = kapi.jiffies() + spinSecs * 1000;
      while (kapi.jiffies() < end) kapi.spinWait(kapi.shm, spin.base, 0, 10);
      kapi.preemptEnable();
    }, 'stall_spin');
  }
  if (cpu === updater) {
    kapi.kthreadRun(async () => {
      const end = kapi.jiffies() + secs * 1000;
      let n = 0;
      while (kapi.jiffies() < end) {
        await synchronize_rcu();
        n++;
      }
      kapi.printk(`stall-test: ${n} GPs`);
      kapi.powerOff();
    }, 'stall_updater');
    kapi.kthreadRun(async () => {
      // The updater may be stuck in synchronize_rcu(): end the run from here then.
      await kapi.scheduleTimeout(secs * 1000 + 500);
      kapi.printk('stall-test: updater still waiting');
      kapi.powerOff();
    }, 'stall_timer');
  }
}
