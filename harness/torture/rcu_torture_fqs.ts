/*
 * rcutorture's force-quiescent-state bursts (kernel/rcu/rcutorture.c rcu_torture_fqs()): every
 * fqs_stutter seconds, for fqs_duration microseconds, the flavour's ->fqs() (Tree RCU:
 * rcu_force_quiescent_state(), which has the grace-period kthread scan for quiescent states now
 * rather than at its next jiffies_till_next_fqs) every fqs_holdoff microseconds. Both must be
 * nonzero for the kthread to run, as in the kernel.
 */

import { HZ, kapi } from '../kapi.js';
import type { RcuTortureOps } from '../../kernels/rcu/rcu_torture_ops.js';
import { stutter_wait, torture_create_kthread, torture_kthread_stopping, torture_must_stop, torture_sleep_interruptible, torture_spread_here, VERBOSE_TOROUT_STRING } from './common.js';

export interface FqsParams {
  readonly fqs_duration: number;
  readonly fqs_holdoff: number;
  readonly fqs_stutter: number;
}

/** rcu_torture_fqs(): the kthread. */
async function rcu_torture_fqs(p: FqsParams, fqs: () => void): Promise<void> {
  VERBOSE_TOROUT_STRING('rcu_torture_fqs task started');
  do {
    const fqs_resume_time = kapi.jiffies() + p.fqs_stutter * HZ;
    while (kapi.jiffies() < fqs_resume_time && !torture_must_stop()) await torture_sleep_interruptible(HZ / 20);
    let fqs_burst_remaining = p.fqs_duration;
    while (fqs_burst_remaining > 0 && !torture_must_stop()) {
      fqs();
      const d = kapi.udelay(p.fqs_holdoff);
      if (d !== null) await d;
      fqs_burst_remaining -= p.fqs_holdoff;
    }
    await stutter_wait('rcu_torture_fqs');
  } while (!torture_must_stop());
  torture_kthread_stopping('rcu_torture_fqs');
}

/** The fqs_duration in effect: 0 for a flavour without ->fqs (the kernel prints why). */
export function rcu_torture_fqs_duration(p: FqsParams, ops: RcuTortureOps, report: boolean): number {
  if (ops.fqs === undefined && p.fqs_duration !== 0) {
    if (report) kapi.printk('rcu-torture: ->fqs NULL and non-zero fqs_duration, fqs disabled.');
    return 0;
  }
  return p.fqs_duration;
}

/** Start the kthread (on every CPU at boot: it starts where torture_spread_here() says). */
export function rcu_torture_fqs_init(p: FqsParams, ops: RcuTortureOps): void {
  const fqs = ops.fqs;
  if (fqs === undefined || p.fqs_duration <= 0 || p.fqs_holdoff <= 0) return;
  if (torture_spread_here()) torture_create_kthread(() => rcu_torture_fqs(p, fqs), 'rcu_torture_fqs');
}
