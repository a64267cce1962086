/*
 * Tasks RCU (kernel/rcu/tasks.h, "Simple variant of RCU whose quiescent states are voluntary
 * context switches, cond_resched_tasks_rcu_qs(), user-space execution, and idle"): a reader is any
 * code between two voluntary context switches, so a grace period waits until every task that was
 * on a runqueue at its start (running, or preempted: a preemption is no quiescent state) has
 * switched voluntarily or blocked. In the model a voluntary switch is the task's own await of a
 * sleep, schedule() or cond_resched() (harness/cpu/task.ts, t->nvcsw); idle is no task.
 *
 * rcu_tasks_wait_gp(): rcu_tasks_pregp_step() (a synchronize_rcu(), as the kernel's, so that every
 * earlier on_rq/nvcsw transition is seen), the scan of every task (rcu_tasks_pertask(): a task
 * other than the scanner that is on a runqueue becomes a holdout, with its nvcsw of now), then
 * the holdout loop: sleep `fract` jiffies (HZ/10, one more each pass up to HZ) and drop every
 * holdout that switched voluntarily, is off its runqueue or exited (check_holdout_task()). A
 * holdout older than rcupdate.rcu_task_stall_timeout is reported as the kernel does
 * (`INFO: rcu_tasks detected stalls on tasks:`), and the grace period's age is printed after
 * rcu_task_stall_info. rcu_tasks_postgp() is a synchronize_rcu() again, for readers in
 * interrupt handlers (rcutorture's irqreader), which no task holds.
 *
 * The planted bug `rcupdate.test_broken_tasks=1` takes a preempted task for quiescent: the holdout
 * loop compares every context switch (nvcsw + nivcsw) instead of the voluntary ones, so a reader
 * preempted inside its critical section (rcutorture's long rcu_read_delay(), preempted at each
 * tick with PREEMPT=y) stops holding the grace period up; rcutorture's pipe check catches it
 * (configs/rcu/README.md, "Tasks RCU family").
 */

import { COV, cov, HZ, kapi, type TaskSchedSnapshot } from '../../harness/kapi.js';
import { synchronize_rcu } from './rcu.js';
import {
  call_rcu_tasks_generic,
  rcu_barrier_tasks_generic,
  rcu_spawn_tasks_kthread_generic,
  rcu_task_stall_info,
  rcu_task_stall_info_mult,
  rcu_task_stall_timeout,
  rcu_tasks_gp_seq,
  rcu_tasks_gp_start,
  rcu_tasks_init,
  rcupdate_tasks_params,
  schedule_timeout_idle,
  set_tasks_gp_state,
  show_rcu_tasks_generic_gp_kthread,
  synchronize_rcu_tasks_generic,
  type RcuTasks,
} from './tasks.js';
import type { RcuCallback } from './rcu_callback.js';

const test_broken_tasks = rcupdate_tasks_params.param('bool', 'test_broken_tasks', false, 'Planted bug: Tasks RCU takes a preempted task for quiescent');

/** A holdout: the task's slot and pid, and t->rcu_tasks_nvcsw (its nvcsw at the scan; with the planted bug nvcsw + nivcsw). */
interface Holdout {
  readonly slot: number;
  readonly pid: number;
  readonly nvcsw: number;
}

let rcu_tasks: RcuTasks | null = null;
let broken = false;

function R(): RcuTasks {
  if (rcu_tasks === null) throw new Error('Tasks RCU used before rcu_tasks_classic_init()');
  return rcu_tasks;
}

/** The switch count a holdout's quiescent state is judged by: t->nvcsw (the planted bug: every switch, preemptions too). */
function switch_count(t: TaskSchedSnapshot): number {
  return broken ? t.nvcsw + t.nivcsw : t.nvcsw;
}

/** rcu_tasks_pertask(): a task other than the scanner that is on a runqueue is a holdout. */
function rcu_tasks_pertask(t: TaskSchedSnapshot, self: number, hop: Holdout[]): void {
  if (t.pid === self || !t.onRq) return;
  cov(COV.rcu_tasks_holdout);
  hop.push({ slot: t.slot, pid: t.pid, nvcsw: switch_count(t) });
}

/** check_holdout_task(): false once `h` is no longer a holdout; reports it when asked. */
function check_holdout_task(h: Holdout, needreport: boolean, firstreport: { v: boolean }): boolean {
  const t = kapi.taskAt(h.slot);
  if (t === null || t.pid !== h.pid || switch_count(t) !== h.nvcsw || !t.onRq) return false;
  if (!needreport) return true;
  if (firstreport.v) {
    kapi.printk('INFO: rcu_tasks detected stalls on tasks:');
    firstreport.v = false;
  }
  // The kernel prints the task_struct's hashed address; the model's task is its pid.
  kapi.printk(`${(0xffff0000 + h.pid).toString(16).padStart(16, '0')}: .. nvcsw: ${h.nvcsw}/${t.nvcsw} holdout: 1 idle_cpu: -1/${t.cpu}`);
  kapi.printk(`task:${t.comm.padEnd(15)} state:R  pid:${t.pid}`);
  return true;
}

/** rcu_tasks_wait_gp() with Tasks RCU's pregp/pertask/holdouts functions. */
async function rcu_tasks_wait_gp(rtp: RcuTasks): Promise<void> {
  set_tasks_gp_state(rtp, 'RTGS_PRE_WAIT_GP');
  await synchronize_rcu(); // rcu_tasks_pregp_step()
  set_tasks_gp_state(rtp, 'RTGS_SCAN_TASKLIST');
  const holdouts: Holdout[] = [];
  const self = kapi.current().pid;
  for (const t of kapi.forEachTask()) rcu_tasks_pertask(t, self, holdouts);
  set_tasks_gp_state(rtp, 'RTGS_POST_SCAN_TASKLIST');
  let lastreport = kapi.jiffies();
  let lastinfo = lastreport;
  let rtsi = rcu_task_stall_info.get();
  let reported = false;
  let fract = HZ / 10; // rtp->init_fract
  let list = holdouts;
  while (list.length > 0) {
    set_tasks_gp_state(rtp, 'RTGS_WAIT_SCAN_HOLDOUTS');
    await schedule_timeout_idle(rtp, fract);
    if (fract < HZ) fract++;
    const rtst = rcu_task_stall_timeout.get();
    const needreport = rtst > 0 && kapi.jiffies() > lastreport + rtst;
    if (needreport) {
      lastreport = kapi.jiffies();
      reported = true;
    }
    set_tasks_gp_state(rtp, 'RTGS_SCAN_HOLDOUTS');
    cov(COV.rcu_tasks_holdout_scan);
    const firstreport = { v: true };
    list = list.filter((h) => check_holdout_task(h, needreport, firstreport));
    const j = kapi.jiffies();
    if (rtsi > 0 && !reported && j > lastinfo + rtsi) {
      lastinfo = j;
      rtsi *= rcu_task_stall_info_mult.get();
      kapi.printk(`rcu_tasks_wait_gp: ${rtp.kname} grace period number ${rcu_tasks_gp_seq(rtp)} (since boot) is ${j - rcu_tasks_gp_start(rtp)} jiffies old.`);
    }
  }
  set_tasks_gp_state(rtp, 'RTGS_POST_GP');
  // rcu_tasks_postgp(): readers in interrupt handlers run on no task the scan saw (an idle CPU's
  // timer); they are RCU readers too (no quiescent state inside a handler), so an RCU grace
  // period waits them out.
  await synchronize_rcu();
}

/** rcu_spawn_tasks_kthread() and its flavour state: every CPU's boot (the kthread on CPU 0's). */
export function rcu_tasks_classic_init(cpu: number): void {
  if (rcu_tasks !== null) return;
  broken = test_broken_tasks.get();
  rcu_tasks = rcu_tasks_init('rcu_tasks', 'RCU Tasks', HZ / 10, rcu_tasks_wait_gp);
  if (cpu === 0) {
    if (broken) kapi.printk('rcu_tasks: test_broken_tasks: a preemption is taken for a quiescent state (planted bug)');
    rcu_spawn_tasks_kthread_generic(rcu_tasks);
  }
}

export function call_rcu_tasks(arg: number, cb: RcuCallback): void {
  call_rcu_tasks_generic(R(), arg, cb);
}

export async function synchronize_rcu_tasks(): Promise<void> {
  await synchronize_rcu_tasks_generic(R());
}

export async function rcu_barrier_tasks(): Promise<void> {
  await rcu_barrier_tasks_generic(R());
}

export function rcu_tasks_classic_gp(): RcuTasks {
  return R();
}

/** show_rcu_tasks_classic_gp_kthread(). */
export function show_rcu_tasks_classic_gp_kthread(): string {
  return show_rcu_tasks_generic_gp_kthread(R(), '');
}
