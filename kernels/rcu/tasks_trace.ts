/*
 * Tasks Trace RCU (kernel/rcu/tasks.h, "Tracing variant of Tasks RCU", and
 * include/linux/rcupdate_trace.h): explicit readers, rcu_read_lock_trace()/unlock(), that may
 * sleep. A task's reader nesting (t->trc_reader_nesting) and its trc_reader_special need_qs flag
 * live in shared memory, indexed by pid (readers in interrupt handlers count on a per-CPU slot
 * instead of the interrupted task's: the model's handlers run between the tasks of their CPU).
 *
 * A grace period (rcu_tasks_trace_wait_gp: pregp, pertask, holdouts) looks at every task and at
 * every online CPU's interrupt slot once: a reader found outside any reader is quiescent; one
 * found inside gets need_qs set, and its outermost rcu_read_unlock_trace() reports
 * (rcu_read_unlock_trace_special(): the flag cleared, the GP woken). The check is
 * trc_inspect_reader() for a task that is not running (read from shared memory, as the kernel's
 * task_call_func() does with the task held off its CPU), and for a running task an IPI to its CPU
 * (trc_read_check_handler(), run from that CPU's tick hook in hardirq context, where the
 * interrupted task's nesting is stable): a task that left the CPU meanwhile is looked at again
 * in the next pass. need_qs is set before the nesting is read again and the unlock stores the
 * nesting before it reads the flag (sequentially consistent Atomics: a Dekker pair), so either
 * the checker sees the reader gone or the reader sees the flag. The holdout loop sleeps
 * `init_fract` jiffies, one more each pass.
 *
 * CONFIG_TASKS_TRACE_RCU_READ_MB=y: IPIs are held back until the grace period is
 * rcupdate.rcu_task_ipi_delay jiffies old (HZ/2), and the kthread's sleeps are the slow ones
 * (gp_sleep and init_fract HZ/10, against HZ/200 without), as rcu_spawn_tasks_trace_kthread().
 *
 * The planted bug `rcupdate.test_broken_tasks_trace=1`: trc_inspect_reader() takes a task that is
 * not running for quiescent without looking at its nesting, so a reader that sleeps or is
 * preempted inside its critical section is not waited for; rcutorture's pipe check catches it.
 */

import { COV, cov, HZ, kapi, type ShmRegion } from '../../harness/kapi.js';
import { WARN_ON_ONCE } from '../bug.js';
import type { RcuCallback } from './rcu_callback.js';
import {
  call_rcu_tasks_generic,
  rcu_barrier_tasks_generic,
  rcu_spawn_tasks_kthread_generic,
  rcu_tasks_count_ipi,
  rcu_tasks_done_wq,
  rcu_tasks_gp_start,
  rcu_tasks_init,
  rcu_tasks_wake_waiters,
  rcupdate_tasks_params,
  set_tasks_gp_state,
  show_rcu_tasks_generic_gp_kthread,
  synchronize_rcu_tasks_generic,
  type RcuTasks,
} from './tasks.js';

const rcu_task_ipi_delay = rcupdate_tasks_params.param('int', 'rcu_task_ipi_delay', -1, 'Jiffies before Tasks Trace RCU IPIs a running task (-1: HZ/2 with CONFIG_TASKS_TRACE_RCU_READ_MB=y, else 0)');
const test_broken_tasks_trace = rcupdate_tasks_params.param('bool', 'test_broken_tasks_trace', false, 'Planted bug: Tasks Trace RCU does not wait for a reader that is not running');

/** Reader slots: one per pid below TRC_MAX_PID, then one per CPU for interrupt handlers. */
export const TRC_MAX_PID = 4096;
const R_NESTING = 0;
const R_SPECIAL = 1;
const R_WORDS = 2;
/** trc_reader_special.b.need_qs. */
const TRC_NEED_QS = 1;
/*
 * Per-CPU IPI words: the pid + 1 asked about (0: none), the handler's answer, and the pid + 1 of
 * the holdout that owns the CPU's IPI until it has collected the answer (the kernel's per-CPU
 * trc_ipi_to_cpu: one IPI in flight per CPU, so an answer is never read by another holdout).
 */
const I_REQ = 0;
const I_RES = 1;
const I_OWNER = 2;
const I_WORDS = 3;
const IPI_PENDING = 0;
const IPI_QS = 1;
const IPI_NEED_QS = 2;
const IPI_MISSED = 3;

interface TraceState {
  readonly rtp: RcuTasks;
  readonly readers: ShmRegion;
  readonly ipis: ShmRegion;
  readonly ipiDelay: number;
  readonly initFract: number;
  readonly broken: boolean;
}

let trace: TraceState | null = null;

function T(): TraceState {
  if (trace === null) throw new Error('Tasks Trace RCU used before rcu_tasks_trace_init()');
  return trace;
}

/** The reader slot of the current context: the task's by pid, or the CPU's in an interrupt handler. */
function current_slot(): number {
  if (!kapi.inTask()) return TRC_MAX_PID + kapi.smpProcessorId();
  const pid = kapi.current().pid;
  WARN_ON_ONCE(pid >= TRC_MAX_PID);
  return pid % TRC_MAX_PID;
}

function rw(slot: number, w: number): number {
  return T().readers.base + slot * R_WORDS + w;
}

function iw(cpu: number, w: number): number {
  return T().ipis.base + cpu * I_WORDS + w;
}

/** rcu_read_lock_trace(). */
export function rcu_read_lock_trace(): void {
  Atomics.add(kapi.shm, rw(current_slot(), R_NESTING), 1);
}

/** rcu_read_unlock_trace(): the outermost unlock reports a quiescent state if one was asked for. */
export function rcu_read_unlock_trace(): void {
  const slot = current_slot();
  const i32 = kapi.shm;
  // The nesting before the flag: pairs with need_qs's store then the nesting's load in trc_check_slot().
  const nesting = Atomics.sub(i32, rw(slot, R_NESTING), 1) - 1;
  WARN_ON_ONCE(nesting < 0);
  if (nesting === 0 && Atomics.load(i32, rw(slot, R_SPECIAL)) !== 0) rcu_read_unlock_trace_special(slot);
}

/** rcu_read_unlock_trace_special(): clear need_qs and wake the grace period. */
function rcu_read_unlock_trace_special(slot: number): void {
  if (Atomics.compareExchange(kapi.shm, rw(slot, R_SPECIAL), TRC_NEED_QS, 0) === TRC_NEED_QS) rcu_tasks_wake_waiters(T().rtp);
}

/** rcu_read_lock_trace_held(): the current context is inside a Tasks Trace reader. */
export function rcu_read_lock_trace_held(): boolean {
  return Atomics.load(kapi.shm, rw(current_slot(), R_NESTING)) > 0;
}

/**
 * The check of one reader slot: quiescent now (true), or need_qs set for its unlock to report
 * (false). need_qs first, then the nesting: pairs with rcu_read_unlock_trace().
 */
function trc_check_slot(slot: number): boolean {
  const i32 = kapi.shm;
  if (Atomics.load(i32, rw(slot, R_NESTING)) === 0) return true;
  Atomics.store(i32, rw(slot, R_SPECIAL), TRC_NEED_QS);
  if (Atomics.load(i32, rw(slot, R_NESTING)) === 0) {
    Atomics.compareExchange(i32, rw(slot, R_SPECIAL), TRC_NEED_QS, 0);
    return true;
  }
  cov(COV.rcu_tasks_trace_need_qs);
  return false;
}

/** trc_read_check_handler(): the IPI, on the target CPU in hardirq context (the tick hook). */
function trc_read_check_handler(): void {
  if (trace === null) return;
  const cpu = kapi.smpProcessorId();
  const i32 = kapi.shm;
  const req = Atomics.exchange(i32, iw(cpu, I_REQ), 0);
  if (req === 0) return;
  const cur = kapi.cpuCurr(cpu);
  // The task left this CPU: it is looked at again in the next pass (it is on the holdout list).
  let res = IPI_MISSED;
  if (cur !== null && cur.pid === req - 1) res = trc_check_slot((req - 1) % TRC_MAX_PID) ? IPI_QS : IPI_NEED_QS;
  Atomics.store(i32, iw(cpu, I_RES), res);
  rcu_tasks_wake_waiters(T().rtp);
}

/** A holdout: a reader slot, and for a running task the CPU its IPI went to (-1: none in flight). */
interface TrcHoldout {
  readonly slot: number;
  /** The task's table slot for kapi.taskAt(), -1 for a CPU's interrupt slot. */
  readonly taskSlot: number;
  readonly pid: number;
  /** need_qs is set: the reader's unlock ends the wait. */
  waiting: boolean;
  ipiCpu: number;
}

/**
 * trc_wait_for_one_reader(): look at a holdout once more. True when it is done (quiescent, gone,
 * or its reader reported).
 */
function trc_wait_for_one_reader(rtp: RcuTasks, h: TrcHoldout): boolean {
  const s = T();
  const i32 = kapi.shm;
  if (h.waiting) return Atomics.load(i32, rw(h.slot, R_SPECIAL)) === 0;
  if (h.ipiCpu >= 0) {
    const res = Atomics.load(i32, iw(h.ipiCpu, I_RES));
    if (res === IPI_PENDING && Atomics.compareExchange(i32, iw(h.ipiCpu, I_REQ), h.pid + 1, 0) !== h.pid + 1) return false; // being handled
    Atomics.store(i32, iw(h.ipiCpu, I_OWNER), 0); // answer collected (or the request withdrawn)
    h.ipiCpu = -1;
    if (res === IPI_QS) return true;
    if (res === IPI_NEED_QS) {
      h.waiting = true;
      return Atomics.load(i32, rw(h.slot, R_SPECIAL)) === 0;
    }
    if (res === IPI_PENDING) rcu_tasks_count_ipi(rtp, true); // never taken (the CPU idled or went offline)
  }
  if (h.taskSlot < 0) {
    if (trc_check_slot(h.slot)) return true;
    h.waiting = true;
    return false;
  }
  const t = kapi.taskAt(h.taskSlot);
  if (t === null || t.pid !== h.pid) return true; // exited
  if (!t.running) {
    // trc_inspect_reader() with the task off its CPU.
    if (s.broken) return true; // the planted bug: its nesting is not looked at
    if (trc_check_slot(h.slot)) return true;
    h.waiting = true;
    return false;
  }
  if (kapi.jiffies() + 1 <= rcu_tasks_gp_start(rtp) + s.ipiDelay) return false; // READ_MB: no IPI yet
  if (Atomics.load(i32, iw(t.cpu, I_OWNER)) !== 0) return false; // another holdout's IPI is in flight there
  Atomics.store(i32, iw(t.cpu, I_OWNER), h.pid + 1);
  Atomics.store(i32, iw(t.cpu, I_RES), IPI_PENDING);
  Atomics.store(i32, iw(t.cpu, I_REQ), h.pid + 1);
  h.ipiCpu = t.cpu;
  rcu_tasks_count_ipi(rtp, false);
  cov(COV.rcu_tasks_trace_ipi);
  kapi.sendIpi(t.cpu);
  return false;
}

/** A holdout worth looking at before the pass's sleep is over: its reader reported, or its IPI was answered. */
function trc_holdout_changed(h: TrcHoldout): boolean {
  const i32 = kapi.shm;
  if (h.waiting) return Atomics.load(i32, rw(h.slot, R_SPECIAL)) === 0;
  return h.ipiCpu >= 0 && Atomics.load(i32, iw(h.ipiCpu, I_RES)) !== IPI_PENDING;
}

/** rcu_tasks_trace's wait_gp: every task and every online CPU's interrupt slot, then the holdout loop. */
async function rcu_tasks_trace_wait_gp(rtp: RcuTasks): Promise<void> {
  set_tasks_gp_state(rtp, 'RTGS_PRE_WAIT_GP');
  let holdouts: TrcHoldout[] = [];
  for (let c = 0; c < kapi.nrCpuIds; c++) {
    if (kapi.cpuOnline(c)) holdouts.push({ slot: TRC_MAX_PID + c, taskSlot: -1, pid: -1, waiting: false, ipiCpu: -1 });
  }
  set_tasks_gp_state(rtp, 'RTGS_SCAN_TASKLIST');
  const self = kapi.current().pid;
  for (const t of kapi.forEachTask()) {
    if (t.pid === self || t.pid >= TRC_MAX_PID) continue;
    holdouts.push({ slot: t.pid, taskSlot: t.slot, pid: t.pid, waiting: false, ipiCpu: -1 });
  }
  holdouts = holdouts.filter((h) => !trc_wait_for_one_reader(rtp, h));
  set_tasks_gp_state(rtp, 'RTGS_POST_SCAN_TASKLIST');
  let fract = T().initFract;
  while (holdouts.length > 0) {
    set_tasks_gp_state(rtp, 'RTGS_WAIT_SCAN_HOLDOUTS');
    // Woken early by a reader's report or an IPI's answer (rcu_tasks_wake_waiters()).
    await kapi.waitEventInterruptible(rcu_tasks_done_wq(rtp), () => holdouts.some(trc_holdout_changed), fract);
    if (fract < HZ) fract++;
    set_tasks_gp_state(rtp, 'RTGS_SCAN_HOLDOUTS');
    cov(COV.rcu_tasks_trace_holdout_scan);
    holdouts = holdouts.filter((h) => !trc_wait_for_one_reader(rtp, h));
  }
  set_tasks_gp_state(rtp, 'RTGS_POST_GP');
}

/** rcu_spawn_tasks_trace_kthread() and the shared state: every CPU's boot (the kthread on CPU 0's). */
export function rcu_tasks_trace_init(cpu: number): void {
  if (trace !== null) return;
  const readMb = kapi.config.kconfig.get('CONFIG_TASKS_TRACE_RCU_READ_MB') === 'y';
  const delay = rcu_task_ipi_delay.get();
  const slow = readMb ? HZ / 10 : HZ / 200;
  const rtp = rcu_tasks_init('rcu_tasks_trace', 'RCU Tasks Trace', slow, rcu_tasks_trace_wait_gp);
  trace = {
    rtp,
    readers: kapi.shmAlloc('rcu_tasks_trace.readers', (TRC_MAX_PID + kapi.nrCpuIds) * R_WORDS),
    ipis: kapi.shmAlloc('rcu_tasks_trace.ipis', kapi.nrCpuIds * I_WORDS),
    ipiDelay: delay >= 0 ? delay : readMb ? HZ / 2 : 0,
    initFract: Math.max(1, slow),
    broken: test_broken_tasks_trace.get(),
  };
  kapi.registerSchedHooks({ tick: trc_read_check_handler });
  if (cpu === 0) {
    if (trace.broken) kapi.printk('rcu_tasks_trace: test_broken_tasks_trace: a reader that is not running is not waited for (planted bug)');
    rcu_spawn_tasks_kthread_generic(rtp);
  }
}

export function call_rcu_tasks_trace(arg: number, cb: RcuCallback): void {
  call_rcu_tasks_generic(T().rtp, arg, cb);
}

export async function synchronize_rcu_tasks_trace(): Promise<void> {
  await synchronize_rcu_tasks_generic(T().rtp);
}

export async function rcu_barrier_tasks_trace(): Promise<void> {
  await rcu_barrier_tasks_generic(T().rtp);
}

export function rcu_tasks_trace_gp(): RcuTasks {
  return T().rtp;
}

/** show_rcu_tasks_trace_gp_kthread(). */
export function show_rcu_tasks_trace_gp_kthread(): string {
  return show_rcu_tasks_generic_gp_kthread(T().rtp, '');
}
