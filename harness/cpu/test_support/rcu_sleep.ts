/*
 * Test kernel: a task sleeps inside an RCU read-side critical section, which the scheduler must
 * report (lockdep-RCU with PROVE_LOCKING, a WARN with preemptible RCU).
 */

import { kapi } from '../../kapi.js';

async function rcu_sleeping_reader(): Promise<void> {
  kapi.rcuReadDepthAdd(1);
  await kapi.scheduleTimeout(1);
  kapi.rcuReadDepthAdd(-1);
}

export function boot(cpu: number): void {
  if (cpu !== 0) return;
  kapi.kthreadRun(async () => {
    await rcu_sleeping_reader();
    kapi.powerOff();
  }, 'rcu_sleeper');
}
