/*
 * Tiny RCU (kernel/rcu/tiny.c, include/linux/rcutiny.h): the kernel's RCU when TINY_RCU, that is
 * !PREEMPT_RCU && !SMP (one CPU, no preemption; the choice is rcu.ts's rcu_select()).
 *
 * What it guarantees, and why it can be so small: on one CPU without preemption a reader cannot
 * be switched out, so every context switch (and every legal call of synchronize_rcu()) is a
 * quiescent state for the whole system, and a grace period is simply "a QS has happened since".
 *
 * How (rcu_ctrlblk in shared memory, as every kernel structure here):
 *  - The callback list is rcucblist with its two tails: ->donetail ends the callbacks whose GP
 *    has elapsed, ->curtail ends the list. Here the list is a ring of (function id, argument)
 *    entries (callbacks are data: rcu_callback.ts) and the tails are its running counts:
 *    head <= donetail <= curtail.
 *  - rcu_qs(): (irqs off) everything queued so far is done: donetail = curtail, raise
 *    RCU_SOFTIRQ; gp_seq += 2. Called at every context switch (rcu_note_context_switch()), at idle
 *    entry (the switch to the idle task), and from schedule() when rcu_sched_clock_irq() asked
 *    for one (rcu_tiny_cond_resched()).
 *  - rcu_sched_clock_irq(): the tick is never from user mode here, so it only asks for a
 *    reschedule when callbacks wait (set_tsk_need_resched()); on an idle CPU the idle loop would
 *    reschedule at once, so the QS is taken there and then.
 *  - rcu_process_callbacks() (RCU_SOFTIRQ): detach the done callbacks and invoke them.
 *  - synchronize_rcu(): any legal call is a QS, so it only checks its context (PROVE_RCU) and
 *    advances gp_seq for the polled API; synchronize_rcu_expedited() is the same; rcu_barrier()
 *    is wait_rcu_gp(call_rcu_hurry); cond_synchronize_rcu() is might_sleep().
 *  - The polled API uses gp_seq directly: a cookie is gp_seq, done once gp_seq moved.
 *
 * What rcutorture sees (rcu.ts's TINY_RCU_API): rcu_get_gp_seq() and rcutorture_get_gp_data()
 * are 0 on Tiny (kernel/rcu/rcu.h), so the End-test line reads `g0 f0x0 total-gps=0`; there is
 * no GP kthread to show, no stall warning (RCU_STALL_COMMON is def_bool TREE_RCU), no CPU
 * hotplug callback (rcutree_*_cpu are NULL) and so no callback migration.
 *
 * Test-only parameter (a planted bug, named as the kernel's test_* switches):
 * rcutiny.test_early_cb=1 makes rcu_sched_clock_irq() take every tick for a quiescent state, as
 * the kernel may only for a tick from user mode: the callbacks queued before the tick run at its
 * irq exit, possibly inside the read-side critical section the tick interrupted. That is a
 * callback run before its grace period whenever an interrupt handler queued it while a task was
 * inside a reader (test_support/tiny_irq_update.ts catches it). rcutorture cannot see it, nor any
 * early callback on one CPU without preemption: its updaters are tasks, and no task runs while
 * another is inside a reader there (configs/rcu/README.md, "Tiny RCU").
 *
 * Not modelled: kvfree_call_rcu() (the model has no kvfree()), debug-objects' double-call_rcu()
 * check (CONFIG_DEBUG_OBJECTS_RCU_HEAD), the Tasks RCU hooks of rcu_note_context_switch().
 */

import { COV, cov, kapi, type LockdepMap, type ShmRegion, type WaitQueueHead } from '../../harness/kapi.js';
import { WARN } from '../bug.js';
import { ModuleParams } from '../moduleparam.js';
import { rcu_callback, rcu_callback_lookup, type RcuCallback } from './rcu_callback.js';
import { RCU_LOCKDEP_WARN, rcu_lock_maps_held, rcu_lockdep_init } from './rcupdate_lockdep.js';

export const rcutiny_params = new ModuleParams('rcutiny', ['rcu']);
// Planted bug (ours, named as the kernel's test_* switches).
const test_early_cb = rcutiny_params.param('bool', 'test_early_cb', false, 'Every tick is a quiescent state, even one that interrupted a reader');

/** rcu_ctrlblk words. */
const C_GP_SEQ = 0;
/** Running count of the first callback of rcucblist. */
const C_HEAD = 1;
/** ->donetail: running count just past the last done callback. */
const C_DONETAIL = 2;
/** ->curtail: running count just past the last callback. */
const C_CURTAIL = 3;
/** need_resched as set by rcu_sched_clock_irq() for RCU (set_tsk_need_resched()). */
const C_NEED_RESCHED = 4;
/** wait_rcu_gp()'s completions: the last rcu_barrier() sequence posted, and the last completed. */
const C_BARRIER_SEQ = 5;
const C_BARRIER_DONE = 6;
/** Wait queue of rcu_barrier() callers. */
const C_BARRIER_WQ = 7;
const C_N_CBS_INVOKED = 8;
const C_WORDS = 16;

/** Ring entries (function id, argument): far more than rcutorture keeps queued between two context switches. */
export const RCU_TINY_CBLIST_CAPACITY = 8192;

/** The kernel's initial gp_seq: 0 - 300UL, to catch wrap bugs early. */
export const RCU_TINY_GP_SEQ_INIT = -300;

/** RCU_GET_STATE_COMPLETED: a cookie that is always done (get_completed_synchronize_rcu()). */
export const RCU_GET_STATE_COMPLETED = 0x1;

interface RcuTiny {
  readonly ctrl: ShmRegion;
  readonly ring: ShmRegion;
  readonly lockMap: LockdepMap;
  /** Test-only `rcutiny.test_early_cb=1`: every tick is a quiescent state (see the header). */
  readonly testEarlyCb: boolean;
  readonly barrierCb: RcuCallback;
}

let rcu: RcuTiny | null = null;

function R(): RcuTiny {
  if (rcu === null) throw new Error('RCU used before rcu_init()');
  return rcu;
}

function cw(r: RcuTiny, w: number): number {
  return r.ctrl.base + w;
}

/** The ring entry of running count `k` (the capacity is a power of two). */
function slot(r: RcuTiny, k: number): number {
  return r.ring.base + (k & (RCU_TINY_CBLIST_CAPACITY - 1)) * 2;
}

function wq(i: number): WaitQueueHead {
  return { i32: kapi.shm, index: i };
}

/** local_irq_save(): returns whether irqs were on, for local_irq_restore(). */
function local_irq_save(): boolean {
  const on = !kapi.irqsDisabled();
  if (on) kapi.localIrqDisable();
  return on;
}

function local_irq_restore(on: boolean): void {
  if (on) kapi.localIrqEnable();
}

/* ---------------- initialisation ---------------- */

/** rcu_init() of tiny.c: open RCU_SOFTIRQ; here also the scheduler hooks rcutiny.h wires in. */
export function rcu_init_tiny(_cpu: number): void {
  if (rcu !== null) return;
  const ctrl = kapi.shmAlloc('rcu_ctrlblk', C_WORDS, (reg) => {
    Atomics.store(reg.i32, reg.base + C_GP_SEQ, RCU_TINY_GP_SEQ_INIT);
  });
  const ring = kapi.shmAlloc('rcu_ctrlblk.rcucblist', RCU_TINY_CBLIST_CAPACITY * 2);
  rcu = {
    ctrl,
    ring,
    lockMap: rcu_lockdep_init(),
    testEarlyCb: test_early_cb.get(),
    barrierCb: rcu_callback('rcu_tiny.wakeme_after_rcu', wakeme_after_rcu),
  };
  kapi.registerSchedHooks({
    contextSwitch: rcu_note_context_switch,
    idleEnter: rcu_note_context_switch,
    tick: rcu_sched_clock_irq,
  });
  kapi.openSoftirq('RCU_SOFTIRQ', rcu_process_callbacks);
}

/* ---------------- quiescent states ---------------- */

/** rcu_qs(): record a quiescent state: every callback queued so far is done. */
export function rcu_qs(): void {
  const r = R();
  const i32 = kapi.shm;
  const flags = local_irq_save();
  // The tails are written with irqs off on the one CPU; Atomics for the executor that holds it next.
  const cur = Atomics.load(i32, cw(r, C_CURTAIL));
  if (Atomics.load(i32, cw(r, C_DONETAIL)) !== cur) {
    Atomics.store(i32, cw(r, C_DONETAIL), cur);
    kapi.raiseSoftirq('RCU_SOFTIRQ');
  }
  Atomics.store(i32, cw(r, C_NEED_RESCHED), 0);
  // Pairs with the loads in get_state_synchronize_rcu() and poll_state_synchronize_rcu().
  Atomics.store(i32, cw(r, C_GP_SEQ), (Atomics.load(i32, cw(r, C_GP_SEQ)) + 2) | 0);
  local_irq_restore(flags);
}

/** rcu_note_context_switch() of rcutiny.h: every switch (and the switch to idle) is a QS. */
function rcu_note_context_switch(): void {
  if (rcu !== null) rcu_qs();
}

function cbs_waiting(r: RcuTiny): boolean {
  return Atomics.load(kapi.shm, cw(r, C_DONETAIL)) !== Atomics.load(kapi.shm, cw(r, C_CURTAIL));
}

/**
 * rcu_sched_clock_irq(): the tick (hardirq). It never comes from user mode here, so with
 * callbacks waiting it asks for a reschedule, whose schedule() is the QS; an idle CPU's idle loop
 * would reschedule at once, so there the QS is taken now.
 */
function rcu_sched_clock_irq(): void {
  const r = rcu;
  if (r === null) return;
  if (r.testEarlyCb) {
    // Planted bug: the tick taken for one from user mode (the kernel's `if (user) rcu_qs()`)
    // though it interrupted the kernel, perhaps inside a read-side critical section.
    rcu_qs();
    return;
  }
  if (!cbs_waiting(r)) return;
  if (kapi.cpuCurr(kapi.smpProcessorId()) === null) rcu_qs();
  else Atomics.store(kapi.shm, cw(r, C_NEED_RESCHED), 1);
}

/**
 * cond_resched() with PREEMPT_NONE on Tiny: rcu_all_qs() is only a barrier, but when
 * rcu_sched_clock_irq() has set need_resched, __cond_resched() calls schedule(), whose
 * rcu_note_context_switch() is a QS even when it picks the same task again.
 */
export function rcu_tiny_cond_resched(): void {
  const r = rcu;
  if (r === null || kapi.rcuReadDepth() > 0) return;
  if (Atomics.load(kapi.shm, cw(r, C_NEED_RESCHED)) === 0) return;
  cov(COV.rcu_tiny_resched_qs);
  rcu_qs();
}

/* ---------------- callbacks ---------------- */

/** rcu_process_callbacks(): RCU_SOFTIRQ: invoke the callbacks whose grace period has elapsed. */
function rcu_process_callbacks(): void {
  const r = rcu;
  if (r === null) return;
  const i32 = kapi.shm;
  // Move the ready-to-invoke callbacks to a local list.
  const flags = local_irq_save();
  const head = Atomics.load(i32, cw(r, C_HEAD));
  const done = Atomics.load(i32, cw(r, C_DONETAIL));
  if (done === head) {
    local_irq_restore(flags);
    return;
  }
  const list: number[] = [];
  for (let k = head; k !== done; k = (k + 1) | 0) {
    const e = slot(r, k);
    list.push(i32[e] ?? 0, i32[e + 1] ?? 0);
  }
  Atomics.store(i32, cw(r, C_HEAD), done);
  local_irq_restore(flags);
  // Invoke the callbacks on the local list (rcu_reclaim_tiny()).
  for (let k = 0; k < list.length; k += 2) {
    const id = list[k] ?? 0;
    const f = rcu_callback_lookup(id);
    if (f === undefined) WARN(true, `rcu: unknown callback id ${id}`);
    else f.fn(list[k + 1] ?? 0);
  }
  Atomics.add(i32, cw(r, C_N_CBS_INVOKED), list.length / 2);
}

/** call_rcu(): invoke `func(arg)` after a grace period, that is after the next quiescent state. */
export function call_rcu(arg: number, func: RcuCallback): void {
  const r = R();
  const i32 = kapi.shm;
  const flags = local_irq_save();
  const cur = Atomics.load(i32, cw(r, C_CURTAIL));
  if (((cur - Atomics.load(i32, cw(r, C_HEAD))) | 0) >= RCU_TINY_CBLIST_CAPACITY) {
    local_irq_restore(flags);
    WARN(true, `rcu: callback list overflowed (${RCU_TINY_CBLIST_CAPACITY} callbacks)`);
    return;
  }
  const e = slot(r, cur);
  i32[e] = func.id;
  i32[e + 1] = arg;
  // *rcu_ctrlblk.curtail = head; rcu_ctrlblk.curtail = &head->next (the entry before the tail).
  Atomics.store(i32, cw(r, C_CURTAIL), (cur + 1) | 0);
  local_irq_restore(flags);
}

/* ---------------- updaters ---------------- */

/**
 * synchronize_rcu(): any legal call is a quiescent state on one CPU without preemption, so it
 * only checks that it is legal and lets the polled API know that a GP elapsed.
 */
export async function synchronize_rcu(): Promise<void> {
  const r = R();
  RCU_LOCKDEP_WARN(rcu_lock_maps_held(), 'Illegal synchronize_rcu() in RCU read-side critical section');
  kapi.preemptDisable();
  Atomics.add(kapi.shm, cw(r, C_GP_SEQ), 2);
  kapi.preemptEnable();
}

/** synchronize_rcu_expedited() of rcutiny.h: synchronize_rcu(). */
export function synchronize_rcu_expedited(): Promise<void> {
  return synchronize_rcu();
}

/** get_state_synchronize_rcu(): the cookie is gp_seq itself. */
export function get_state_synchronize_rcu(): number {
  return Atomics.load(kapi.shm, cw(R(), C_GP_SEQ));
}

/** start_poll_synchronize_rcu(): the cookie; the next context switch is the GP it needs. */
export function start_poll_synchronize_rcu(): number {
  return get_state_synchronize_rcu();
}

/** poll_state_synchronize_rcu(): a GP elapsed once gp_seq moved from the cookie. */
export function poll_state_synchronize_rcu(oldstate: number): boolean {
  return oldstate === RCU_GET_STATE_COMPLETED || Atomics.load(kapi.shm, cw(R(), C_GP_SEQ)) !== oldstate;
}

/** cond_synchronize_rcu() of rcutiny.h: might_sleep(); the caller's context is already a QS. */
export async function cond_synchronize_rcu(_oldstate: number): Promise<void> {
  kapi.mightSleep();
}

/** wakeme_after_rcu(): complete rcu_barrier() number `seq` (callbacks run in order, so every earlier one too). */
function wakeme_after_rcu(seq: number): void {
  const r = R();
  Atomics.store(kapi.shm, cw(r, C_BARRIER_DONE), seq);
  kapi.wakeUp(wq(cw(r, C_BARRIER_WQ))); // pairs with the waitEvent in rcu_barrier()
}

/** rcu_barrier(): wait_rcu_gp(call_rcu_hurry): one callback behind all others, and wait for it. */
export async function rcu_barrier(): Promise<void> {
  const r = R();
  const i32 = kapi.shm;
  const seq = Atomics.add(i32, cw(r, C_BARRIER_SEQ), 1) + 1;
  call_rcu(seq, r.barrierCb); // call_rcu_hurry() is call_rcu() without RCU_LAZY
  // wait_for_completion(): uninterruptible, watched by khungtaskd.
  await kapi.waitEvent(wq(cw(r, C_BARRIER_WQ)), () => Atomics.load(i32, cw(r, C_BARRIER_DONE)) - seq >= 0);
}

/* ---------------- readers ---------------- */

/** rcu_read_lock(): preempt_disable() on a !PREEMPT_RCU kernel (a no-op without PREEMPT_COUNT); lockdep at the outermost level. */
export function rcu_read_lock(): void {
  kapi.rcuReadLockAcquire(R().lockMap);
}

/** rcu_read_unlock(): nothing to report on Tiny: the reader never blocked anyone. */
export function rcu_read_unlock(): void {
  kapi.rcuReadUnlockRelease(R().lockMap);
}

/* ---------------- statistics ---------------- */

/** Tiny's own gp_seq (rcu_ctrlblk.gp_seq): what the polled API reads; rcutorture sees 0 (rcu.h). */
export function rcu_tiny_gp_seq(): number {
  return Atomics.load(kapi.shm, cw(R(), C_GP_SEQ));
}

/** Grace periods (quiescent states and synchronize_rcu() calls) since boot. */
export function rcu_tiny_gp_count(): number {
  return ((rcu_tiny_gp_seq() - RCU_TINY_GP_SEQ_INIT) | 0) >>> 1;
}

/** Callbacks queued and not yet invoked. */
export function rcu_tiny_cbs_pending(): number {
  const r = R();
  return (Atomics.load(kapi.shm, cw(r, C_CURTAIL)) - Atomics.load(kapi.shm, cw(r, C_HEAD))) | 0;
}

/** Callbacks invoked since boot. */
export function rcu_tiny_cbs_invoked(): number {
  return Atomics.load(kapi.shm, cw(R(), C_N_CBS_INVOKED));
}
