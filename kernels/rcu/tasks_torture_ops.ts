/*
 * rcutorture's ops of the Tasks RCU family (tasks_ops, tasks_rude_ops, tasks_tracing_ops in
 * kernel/rcu/rcutorture.c), with the kernel's per-flavour quirks: no polled or conditional
 * primitives (so gp_cond/gp_poll are "without primitives"), get_gp_seq is rcu_no_completed() (the
 * Reader Batch histogram stays in its first bucket), `tasks` expedites with
 * synchronize_rcu_mult(call_rcu_tasks, call_rcu) and its readers are plain code that must not
 * switch voluntarily, `tasks-rude` has no call_rcu_tasks_rude() nor barrier in 6.12 and its readers
 * are preempt_disable() regions, `tasks-tracing` readers are rcu_read_lock_trace() sections that
 * use srcu_read_delay() (they may sleep). rcu_torture_ops.ts puts them on the kernel's RCU (its
 * onKernelRcu() checks their type: this file cannot import it back, boundary rule 4).
 */

import { kapi } from '../../harness/kapi.js';
import { rcu_read_lock_bh_held, rcu_read_lock_sched_held } from './rcupdate_lockdep.js';
import { rcu_tasks_get_gp_data, TASKS_QUEUE_CAP } from './tasks.js';
import { call_rcu_tasks, rcu_barrier_tasks, rcu_tasks_classic_gp, rcu_tasks_classic_init, show_rcu_tasks_classic_gp_kthread, synchronize_rcu_tasks } from './tasks_classic.js';
import { rcu_tasks_rude_gp, rcu_tasks_rude_init, show_rcu_tasks_rude_gp_kthread, synchronize_rcu_tasks_rude } from './tasks_rude.js';
import {
  call_rcu_tasks_trace,
  rcu_barrier_tasks_trace,
  rcu_read_lock_trace,
  rcu_read_lock_trace_held,
  rcu_read_unlock_trace,
  rcu_tasks_trace_gp,
  rcu_tasks_trace_init,
  show_rcu_tasks_trace_gp_kthread,
  synchronize_rcu_tasks_trace,
} from './tasks_trace.js';
import { synchronize_rcu } from './rcu.js';

/** rcu_no_completed(): these flavours count no grace periods for the readers. */
const rcu_no_completed = (): number => 0;
const gp_diff = (cur: number, old: number): number => cur - old;

/** synchronize_rcu_mult_test(): a Tasks RCU and an RCU grace period (the kernel waits for both at once). */
async function synchronize_rcu_mult_test(): Promise<void> {
  await synchronize_rcu_tasks();
  await synchronize_rcu();
}

export const tasks_ops = {
  name: 'tasks',
  readlock: () => 0, // tasks_torture_read_lock(): nothing; no voluntary switch until the unlock
  readunlock: () => {},
  get_gp_seq: rcu_no_completed,
  gp_diff,
  call: call_rcu_tasks,
  sync: synchronize_rcu_tasks,
  exp_sync: synchronize_rcu_mult_test,
  cb_barrier: rcu_barrier_tasks,
  get_gp_data: () => rcu_tasks_get_gp_data(rcu_tasks_classic_gp()),
  gp_kthread_dbg: show_rcu_tasks_classic_gp_kthread,
  irq_capable: true,
  can_boost: 0,
  init: rcu_tasks_classic_init,
};

export const tasks_rude_ops = {
  name: 'tasks-rude',
  // rcu_torture_read_lock_trivial(): preempt_disable(), which a rude grace period waits out.
  readlock: () => {
    kapi.preemptDisable();
    return 0;
  },
  readunlock: () => kapi.preemptEnable(),
  readlock_held: () => rcu_read_lock_bh_held() || rcu_read_lock_sched_held(),
  get_gp_seq: rcu_no_completed,
  gp_diff,
  sync: synchronize_rcu_tasks_rude,
  exp_sync: synchronize_rcu_tasks_rude,
  get_gp_data: () => rcu_tasks_get_gp_data(rcu_tasks_rude_gp()),
  gp_kthread_dbg: show_rcu_tasks_rude_gp_kthread,
  irq_capable: true,
  can_boost: 0,
  init: rcu_tasks_rude_init,
};

export const tasks_tracing_ops = {
  name: 'tasks-tracing',
  readlock: () => {
    rcu_read_lock_trace();
    return 0;
  },
  readunlock: () => rcu_read_unlock_trace(),
  readlock_held: rcu_read_lock_trace_held,
  read_delay: 'srcu_read_delay' as const,
  get_gp_seq: rcu_no_completed,
  gp_diff,
  call: call_rcu_tasks_trace,
  sync: synchronize_rcu_tasks_trace,
  exp_sync: synchronize_rcu_tasks_trace,
  cb_barrier: rcu_barrier_tasks_trace,
  // The kernel caps the forward-progress flood at 50,000; here a queue holds TASKS_QUEUE_CAP,
  // shared with rcutorture's own frees, so the flood gets an eighth of it.
  cbflood_max: TASKS_QUEUE_CAP / 8,
  get_gp_data: () => rcu_tasks_get_gp_data(rcu_tasks_trace_gp()),
  gp_kthread_dbg: show_rcu_tasks_trace_gp_kthread,
  irq_capable: true,
  can_boost: 0,
  init: rcu_tasks_trace_init,
};
