/*
 * The Tasks RCU family's generic part (kernel/rcu/tasks.h, "Generic code"): struct rcu_tasks,
 * one per flavour (Tasks RCU: tasks_classic.ts, Tasks Rude RCU: tasks_rude.ts, Tasks Trace RCU:
 * tasks_trace.ts). A flavour is its grace-period function (`gp_func`); the rest is shared:
 *
 * - per-CPU callback queues (struct rcu_tasks_percpu) in shared memory, each a ring of
 *   (callback id, argument) under its raw spinlock. call_rcu_tasks_generic() enqueues on the
 *   queue of `smp_processor_id() >> percpu_enqueue_shift`, with the shift computed from
 *   `rcupdate.rcu_task_enqueue_lim` as cblist_init_generic() does (default 1: one queue, CPU 0's);
 * - the grace-period kthread (rcu_tasks_kthread(), spawned on CPU 0, never exits): it waits for
 *   callbacks or a synchronous request, snapshots each queue's tail, runs the flavour's grace
 *   period inside an rcu_seq, invokes the callbacks up to those tails, then sleeps `gp_sleep`
 *   ("paranoid sleep to keep this from entering a tight loop");
 * - synchronize_rcu_tasks_generic() (a snapshot of the sequence, then a wait for it), and
 *   rcu_barrier_tasks_generic() (a snapshot of every queue's tail, then a wait until each
 *   queue's invoked count has passed it: the queues are FIFO, as the kernel's barrier callbacks
 *   entrained at their tails);
 * - the gp_state names and rcu_tasks_get_gp_data(), show_rcu_tasks_generic_gp_kthread()'s line.
 *
 * Departures (configs/rcu/README.md, "Tasks RCU family"): the callbacks are invoked by the GP
 * kthread itself (the kernel hands them to per-CPU workqueues, rcu_tasks_invoke_cbs()), the queue
 * count does not grow under contention (rcu_task_contend_lim, rcu_task_cb_adjust) and there are no
 * lazy callbacks; a queue holds TASKS_QUEUE_CAP callbacks and an overflow is a WARN.
 */

import { HZ, kapi, LD_WAIT, type ShmRegion, type WaitQueueHead } from '../../harness/kapi.js';
import { WARN } from '../bug.js';
import { DEFINE_RAW_SPINLOCK, raw_spin_lock_irqsave, raw_spin_unlock_irqrestore, type RawSpinlock } from '../locking/spinlock.js';
import { ModuleParams } from '../moduleparam.js';
import { rcu_callback_lookup, type RcuCallback } from './rcu_callback.js';
import { rcu_seq_done, rcu_seq_end, rcu_seq_snap, rcu_seq_start, ULONG_CMP_LT } from './rcu_seq.js';

/** rcupdate's Tasks RCU parameters (tasks.h's module_param()s); the flavours declare their own beside their readers. */
export const rcupdate_tasks_params = new ModuleParams('rcupdate', ['rcu']);
const rcu_task_enqueue_lim = rcupdate_tasks_params.param('int', 'rcu_task_enqueue_lim', -1, 'Number of per-CPU callback queues (-1: one, grown on contention in the kernel)');
/** rcu_task_stall_timeout: a holdout this old is reported (0 disables); the kernel's default is ten minutes. */
export const rcu_task_stall_timeout = rcupdate_tasks_params.param('int', 'rcu_task_stall_timeout', 10 * 60 * HZ, 'Jiffies of a Tasks RCU grace period before a stall warning');
/** rcu_task_stall_info: the first "grace period ... is N jiffies old" message, multiplied by rcu_task_stall_info_mult after each. */
export const rcu_task_stall_info = rcupdate_tasks_params.param('int', 'rcu_task_stall_info', 10 * HZ, 'Jiffies of a Tasks RCU grace period before an informational message');
export const rcu_task_stall_info_mult = rcupdate_tasks_params.param('int', 'rcu_task_stall_info_mult', 3, 'Multiplier of rcu_task_stall_info for each further message', { min: 1 });

export const RTGS_NAMES = [
  'RTGS_INIT',
  'RTGS_WAIT_WAIT_CBS',
  'RTGS_WAIT_GP',
  'RTGS_PRE_WAIT_GP',
  'RTGS_SCAN_TASKLIST',
  'RTGS_POST_SCAN_TASKLIST',
  'RTGS_WAIT_SCAN_HOLDOUTS',
  'RTGS_SCAN_HOLDOUTS',
  'RTGS_POST_GP',
  'RTGS_WAIT_READERS',
  'RTGS_INVOKE_CBS',
  'RTGS_WAIT_CBS',
] as const;
export type RtgsName = (typeof RTGS_NAMES)[number];

/** Callbacks one queue holds (the reader objects of rcutorture are bounded at 2048 in all). */
export const TASKS_QUEUE_CAP = 8192;

/* The flavour's words. */
const S_GP_SEQ = 0;
const S_GP_SEQ_NEEDED = 1;
const S_GP_STATE = 2;
const S_GP_JIFFIES = 3;
const S_GP_START = 4;
const S_N_IPIS = 5;
const S_N_IPIS_FAILS = 6;
const S_KTHREAD_PID = 7;
/** The GP kthread sleeps here for callbacks or a request. */
const S_KTHREAD_WQ = 8;
/** Waiters for a grace period's end or for callbacks' invocation. */
const S_DONE_WQ = 9;
/** The kthread's idle sleeps (nobody wakes it there). */
const S_SLEEP_WQ = 10;
const S_WORDS = 16;

/* A queue's words. */
const Q_HEAD = 0; // callbacks invoked (each counted once it has returned)
const Q_TAIL = 1; // callbacks enqueued
const Q_ENTRIES = 4;
const Q_WORDS = Q_ENTRIES + 2 * TASKS_QUEUE_CAP;

export interface RcuTasks {
  /** rtp->name: `rcu_tasks`, `rcu_tasks_rude`, `rcu_tasks_trace` (the kthread's comm too). */
  readonly name: string;
  /** rtp->kname: `RCU Tasks`, ... */
  readonly kname: string;
  readonly st: ShmRegion;
  readonly queues: ShmRegion;
  readonly locks: readonly RawSpinlock[];
  /** percpu_enqueue_lim and percpu_enqueue_shift. */
  readonly lim: number;
  readonly shift: number;
  /** Jiffies the kthread sleeps after each grace period. */
  readonly gp_sleep: number;
  /** The flavour's grace period (rtp->gp_func). */
  readonly gp_func: (rtp: RcuTasks) => Promise<void>;
}

function sw(rtp: RcuTasks, w: number): number {
  return rtp.st.base + w;
}

function qw(rtp: RcuTasks, q: number, w: number): number {
  return rtp.queues.base + q * Q_WORDS + w;
}

function wq(rtp: RcuTasks, w: number): WaitQueueHead {
  return { i32: kapi.shm, index: sw(rtp, w) };
}

/** cblist_init_generic()'s queue count and shift for `nr` CPUs. */
export function tasks_enqueue_geometry(nr: number, enqueueLim: number): { lim: number; shift: number } {
  let lim = enqueueLim <= 0 ? 1 : enqueueLim;
  if (lim > nr) lim = nr;
  let shift = Math.floor(Math.log2(Math.floor(nr / lim)));
  if ((nr - 1) >> shift >= lim) shift++;
  return { lim, shift };
}

/** DEFINE_RCU_TASKS() and cblist_init_generic(): the flavour's shared state, the same on every CPU. */
export function rcu_tasks_init(name: string, kname: string, gp_sleep: number, gp_func: (rtp: RcuTasks) => Promise<void>): RcuTasks {
  const { lim, shift } = tasks_enqueue_geometry(kapi.nrCpuIds, rcu_task_enqueue_lim.get());
  const st = kapi.shmAlloc(name, S_WORDS);
  const queues = kapi.shmAlloc(`${name}.rtpcpu`, lim * Q_WORDS);
  const cls = kapi.lockClass(`${name}.rtpcp.lock`, 'spinlock', LD_WAIT.SPIN);
  const locks = Array.from({ length: lim }, (_, q) => DEFINE_RAW_SPINLOCK(`${name}.rtpcp.lock.${q}`, cls));
  return { name, kname, st, queues, locks, lim, shift, gp_sleep, gp_func };
}

/** set_tasks_gp_state(). */
export function set_tasks_gp_state(rtp: RcuTasks, s: RtgsName): void {
  Atomics.store(kapi.shm, sw(rtp, S_GP_STATE), RTGS_NAMES.indexOf(s));
  Atomics.store(kapi.shm, sw(rtp, S_GP_JIFFIES), kapi.jiffies());
}

export function tasks_gp_state_getname(rtp: RcuTasks): string {
  return RTGS_NAMES[Atomics.load(kapi.shm, sw(rtp, S_GP_STATE))] ?? '???';
}

/** rcu_seq_current(&rtp->tasks_gp_seq). */
export function rcu_tasks_gp_seq(rtp: RcuTasks): number {
  return Atomics.load(kapi.shm, sw(rtp, S_GP_SEQ));
}

/** Jiffies when the grace period in progress started. */
export function rcu_tasks_gp_start(rtp: RcuTasks): number {
  return Atomics.load(kapi.shm, sw(rtp, S_GP_START));
}

/** rtp->n_ipis / n_ipis_fails. */
export function rcu_tasks_count_ipi(rtp: RcuTasks, failed: boolean): void {
  Atomics.add(kapi.shm, sw(rtp, failed ? S_N_IPIS_FAILS : S_N_IPIS), 1);
}

/** Wake the waiters for a grace period or callbacks (and a Tasks Trace GP waiting for readers). */
export function rcu_tasks_wake_waiters(rtp: RcuTasks): void {
  kapi.wakeUp(wq(rtp, S_DONE_WQ));
}

/** The flavour's wait queue for its own conditions (a Tasks Trace reader's report). */
export function rcu_tasks_done_wq(rtp: RcuTasks): WaitQueueHead {
  return wq(rtp, S_DONE_WQ);
}

/** call_rcu_tasks_generic(): queue `cb(arg)` for after the next grace period. Any context. */
export function call_rcu_tasks_generic(rtp: RcuTasks, arg: number, cb: RcuCallback): void {
  const i32 = kapi.shm;
  const q = Math.min(rtp.lim - 1, kapi.smpProcessorId() >> rtp.shift);
  const lock = rtp.locks[q] as RawSpinlock;
  const flags = raw_spin_lock_irqsave(lock);
  const head = Atomics.load(i32, qw(rtp, q, Q_HEAD));
  const tail = i32[qw(rtp, q, Q_TAIL)] ?? 0;
  if (tail - head >= TASKS_QUEUE_CAP) {
    raw_spin_unlock_irqrestore(lock, flags);
    WARN(true, `${rtp.name}: callback queue ${q} overflowed (${TASKS_QUEUE_CAP} callbacks)`);
    return;
  }
  const e = qw(rtp, q, Q_ENTRIES + 2 * (tail % TASKS_QUEUE_CAP));
  i32[e] = cb.id;
  i32[e + 1] = arg;
  // The entry before the tail that covers it: pairs with the kthread's Atomics.load of Q_TAIL.
  Atomics.store(i32, qw(rtp, q, Q_TAIL), tail + 1);
  raw_spin_unlock_irqrestore(lock, flags);
  // Always: the kthread advances the head without the lock, so "the queue was empty" read here
  // may be stale (pairs with the Q_TAIL load in its waitEvent condition).
  kapi.wakeUp(wq(rtp, S_KTHREAD_WQ));
}

function rcu_tasks_have_cbs(rtp: RcuTasks): boolean {
  for (let q = 0; q < rtp.lim; q++) if (Atomics.load(kapi.shm, qw(rtp, q, Q_TAIL)) !== Atomics.load(kapi.shm, qw(rtp, q, Q_HEAD))) return true;
  return false;
}

function rcu_tasks_gp_needed(rtp: RcuTasks): boolean {
  return ULONG_CMP_LT(Atomics.load(kapi.shm, sw(rtp, S_GP_SEQ)), Atomics.load(kapi.shm, sw(rtp, S_GP_SEQ_NEEDED)));
}

/** rcu_tasks_invoke_cbs(): the callbacks of queue `q` up to `upto`, in order, bottom halves off. */
function rcu_tasks_invoke_cbs(rtp: RcuTasks, q: number, upto: number): void {
  const i32 = kapi.shm;
  for (let h = Atomics.load(i32, qw(rtp, q, Q_HEAD)); h < upto; h++) {
    const e = qw(rtp, q, Q_ENTRIES + 2 * (h % TASKS_QUEUE_CAP));
    const f = rcu_callback_lookup(i32[e] ?? 0);
    const arg = i32[e + 1] ?? 0;
    kapi.localBhDisable();
    if (f === undefined) WARN(true, `${rtp.name}: unknown callback id ${i32[e] ?? 0}`);
    else f.fn(arg);
    kapi.localBhEnable();
    // After the callback: the head is also rcu_barrier_tasks_generic()'s "invoked" count (pairs
    // with its Atomics.load); the slot is free for enqueuers from here on.
    Atomics.store(i32, qw(rtp, q, Q_HEAD), h + 1);
  }
}

/** rcu_tasks_one_gp(): one grace period and the callbacks it ends. */
async function rcu_tasks_one_gp(rtp: RcuTasks): Promise<void> {
  const i32 = kapi.shm;
  set_tasks_gp_state(rtp, 'RTGS_WAIT_CBS');
  await kapi.waitEventInterruptible(wq(rtp, S_KTHREAD_WQ), () => rcu_tasks_have_cbs(rtp) || rcu_tasks_gp_needed(rtp));
  // rcu_segcblist_accelerate(): what is queued now waits for this grace period.
  const tails = Array.from({ length: rtp.lim }, (_, q) => Atomics.load(i32, qw(rtp, q, Q_TAIL)));
  Atomics.store(i32, sw(rtp, S_GP_START), kapi.jiffies());
  Atomics.store(i32, sw(rtp, S_GP_SEQ), rcu_seq_start(Atomics.load(i32, sw(rtp, S_GP_SEQ))));
  set_tasks_gp_state(rtp, 'RTGS_WAIT_GP');
  await rtp.gp_func(rtp);
  Atomics.store(i32, sw(rtp, S_GP_SEQ), rcu_seq_end(Atomics.load(i32, sw(rtp, S_GP_SEQ))));
  set_tasks_gp_state(rtp, 'RTGS_INVOKE_CBS');
  for (let q = 0; q < rtp.lim; q++) rcu_tasks_invoke_cbs(rtp, q, tails[q] ?? 0);
  // The sequence and the heads before the wake-up: pairs with the waiters' loads.
  rcu_tasks_wake_waiters(rtp);
}

/** schedule_timeout_idle(): a sleep nobody wakes, not watched by khungtaskd. */
export async function schedule_timeout_idle(rtp: RcuTasks, j: number): Promise<void> {
  await kapi.waitEventInterruptible(wq(rtp, S_SLEEP_WQ), () => false, j);
}

/** rcu_tasks_kthread(): the flavour's grace-period kthread. Never exits. */
async function rcu_tasks_kthread(rtp: RcuTasks): Promise<void> {
  for (;;) {
    await rcu_tasks_one_gp(rtp);
    // Paranoid sleep to keep this from entering a tight loop.
    await schedule_timeout_idle(rtp, rtp.gp_sleep);
  }
}

/** rcu_spawn_tasks_kthread_generic(): CPU 0's boot. */
export function rcu_spawn_tasks_kthread_generic(rtp: RcuTasks): void {
  const t = kapi.kthreadRun(() => rcu_tasks_kthread(rtp), rtp.name);
  Atomics.store(kapi.shm, sw(rtp, S_KTHREAD_PID), t.pid);
}

/** synchronize_rcu_tasks_generic(): wait for a full grace period of the flavour. Task context. */
export async function synchronize_rcu_tasks_generic(rtp: RcuTasks): Promise<void> {
  kapi.mightSleep();
  const i32 = kapi.shm;
  const s = rcu_seq_snap(Atomics.load(i32, sw(rtp, S_GP_SEQ)));
  // needed = max(needed, s), then the kthread's wake-up: pairs with its condition's loads.
  for (;;) {
    const n = Atomics.load(i32, sw(rtp, S_GP_SEQ_NEEDED));
    if (!ULONG_CMP_LT(n, s) || Atomics.compareExchange(i32, sw(rtp, S_GP_SEQ_NEEDED), n, s) === n) break;
  }
  kapi.wakeUp(wq(rtp, S_KTHREAD_WQ));
  await kapi.waitEvent(wq(rtp, S_DONE_WQ), () => rcu_seq_done(Atomics.load(i32, sw(rtp, S_GP_SEQ)), s));
}

/** rcu_barrier_tasks_generic(): wait until every callback queued before the call has been invoked. */
export async function rcu_barrier_tasks_generic(rtp: RcuTasks): Promise<void> {
  kapi.mightSleep();
  const i32 = kapi.shm;
  const tails = Array.from({ length: rtp.lim }, (_, q) => Atomics.load(i32, qw(rtp, q, Q_TAIL)));
  kapi.wakeUp(wq(rtp, S_KTHREAD_WQ));
  await kapi.waitEvent(wq(rtp, S_DONE_WQ), () => tails.every((t, q) => Atomics.load(i32, qw(rtp, q, Q_HEAD)) >= t));
}

/** rcu_tasks_get_gp_data(): flags 0 and the current sequence. */
export function rcu_tasks_get_gp_data(rtp: RcuTasks): { flags: number; gp_seq: number } {
  return { flags: 0, gp_seq: rcu_tasks_gp_seq(rtp) };
}

/** show_rcu_tasks_generic_gp_kthread()'s line (without its trailing flavour-specific part `s`). */
export function show_rcu_tasks_generic_gp_kthread(rtp: RcuTasks, s: string): string {
  const i32 = kapi.shm;
  const havecbs = rcu_tasks_have_cbs(rtp);
  const since = kapi.jiffies() - Atomics.load(i32, sw(rtp, S_GP_JIFFIES));
  const k = Atomics.load(i32, sw(rtp, S_KTHREAD_PID)) !== 0 ? 'k' : '.';
  return (
    `${rtp.kname}: ${tasks_gp_state_getname(rtp)}(${Atomics.load(i32, sw(rtp, S_GP_STATE))}) since ${since} ` +
    `g:${rcu_tasks_gp_seq(rtp)} i:${Atomics.load(i32, sw(rtp, S_N_IPIS_FAILS))}/${Atomics.load(i32, sw(rtp, S_N_IPIS))} ` +
    `${k}${havecbs ? 'C' : '.'}.. l:0 ${s}`
  );
}
