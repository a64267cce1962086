/*
 * Test/benchmark guest module: grace-period throughput. `rcubench.callers=N` tasks (one per CPU,
 * CPUs 0..N-1) loop on synchronize_rcu() (or synchronize_rcu_expedited() with
 * `rcubench.expedited=1`) for `rcubench.secs` seconds; CPU 0 then prints
 * `rcubench: <gps> GPs in <ms> ms (<rate>/s), <calls> synchronize_rcu() calls` and powers off.
 * Not a torture test: nothing checks readers here (tree.test.ts and rcutorture do).
 */

import { kapi } from '../../../harness/kapi.js';
import { module_param } from '../../moduleparam.js';
import { rcu_gp_count, rcu_init, synchronize_rcu, synchronize_rcu_expedited } from '../tree.js';

function param(name: string, dflt: number): number {
  return module_param(`rcubench.${name}`, 'int', dflt);
}

export function boot(cpu: number): void {
  rcu_init(cpu);
  const callers = Math.min(kapi.nrCpuIds, param('callers', kapi.nrCpuIds));
  const secs = param('secs', 2);
  const exp = param('expedited', 0) !== 0;
  const calls = kapi.shmAlloc('rcubench.calls', 4);
  if (cpu >= callers) return;
  kapi.kthreadRun(async () => {
    // Let every CPU start its loop before measuring.
    await kapi.scheduleTimeout(50);
    const g0 = rcu_gp_count();
    const t0 = kapi.localClockNs();
    const end = kapi.jiffies() + secs * 1000;
    let n = 0;
    while (kapi.jiffies() < end) {
      if (exp) await synchronize_rcu_expedited();
      else await synchronize_rcu();
      n++;
    }
    Atomics.add(kapi.shm, calls.base, n);
    if (cpu !== 0) return;
    await kapi.scheduleTimeout(20);
    const ms = (kapi.localClockNs() - t0) / 1e6;
    const gps = rcu_gp_count() - g0;
    kapi.printk(`rcubench: ${gps} GPs in ${Math.round(ms)} ms (${Math.round((gps * 1000) / ms)}/s), ${Atomics.load(kapi.shm, calls.base)} synchronize_rcu() calls`);
    kapi.powerOff();
  }, `rcubench/${cpu}`);
}
