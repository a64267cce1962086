/*
 * Tree SRCU's API (kernel/rcu/srcutree.c, include/linux/srcu.h): srcu_read_lock()/unlock() and
 * their _nmisafe forms, call_srcu(), synchronize_srcu(), synchronize_srcu_expedited(),
 * srcu_barrier(), the polled API, srcu_batches_completed(), and rcutorture's stats line. The data
 * are srcu_tree_struct.ts, the grace periods srcu_tree_gp.ts.
 *
 * Readers increment their CPU's srcu_lock_count[idx] and, on leaving, srcu_unlock_count[idx] of
 * the CPU they leave on (a sleeping reader may move): no lock, no shared word written by other
 * CPUs. lockdep sees an SRCU reader as the kernel's does: a recursive read acquisition of the
 * srcu_struct's dep_map (srcu_lock_acquire()), and synchronize_srcu() as lock_sync() on it
 * (srcu_lock_sync(): an empty write-side section), so synchronize_srcu() inside a reader of the
 * same srcu_struct is `possible recursive locking detected`, and a cycle through srcu_structs and
 * sleeping locks is a circular dependency (kapi.lockdep.sync(), harness/lockdep/validator.ts).
 *
 * synchronize_srcu() waits for the grace-period sequence to pass its snapshot (the kernel queues
 * a wakeme_after_rcu() callback; the grace period it waits for is the same).
 */

import { COV, cov, kapi } from '../../harness/kapi.js';
import { WARN_ON_ONCE, WARN_ONCE } from '../bug.js';
import { raw_spin_lock_irqsave, raw_spin_unlock_irqrestore } from '../locking/spinlock.js';
import { mutex_lock, mutex_unlock } from '../locking/mutex.js';
import { rcu_callback, type RcuCallback } from './rcu_callback.js';
import { RCU_LOCKDEP_WARN, debug_lockdep_rcu_enabled, rcu_lock_maps_held } from './rcupdate_lockdep.js';
import { ULONG_CMP_LT, rcu_seq_done, rcu_seq_snap } from './rcu_seq.js';
import { rcu_geometry } from './tree.js';
import { big_cpu_lim, convert_to_big, exp_holdoff } from './srcu_params.js';
import { srcu_funnel_gp_start, srcu_work_kthread } from './srcu_tree_gp.js';
import {
  D_GP_SEQ_NEEDED,
  D_GP_SEQ_NEEDED_EXP,
  D_LOCK_COUNT,
  D_NMI_SAFETY,
  D_UNLOCK_COUNT,
  SRCU_NMI_SAFE,
  SRCU_NMI_UNSAFE,
  SRCU_SIZE_STATE_NAMES,
  U_BARRIER_CPU_CNT,
  U_BARRIER_SEQ,
  U_DONE_WQ,
  U_GP_SEQ,
  U_GP_SEQ_NEEDED,
  U_IDX,
  U_LAST_GP_END,
  U_SIZE_STATE,
  dw,
  ld,
  srcu_decls,
  srcu_struct_view,
  srcu_structs_in_use,
  srcu_view,
  st,
  uw,
  uwq,
  type SrcuDecl,
  type SrcuStruct,
} from './srcu_tree_struct.js';

export { DEFINE_SRCU_DYNAMIC, DEFINE_STATIC_SRCU, type SrcuDecl } from './srcu_tree_struct.js';

/** srcu_init()'s decision: new srcu_structs start big (SRCU_SIZING_INIT). */
let sizesBig = false;
let srcu_barrier_cb: RcuCallback | null = null;
let work_pid = 0;

/**
 * srcu_bootup_announce() and srcu_init() on this CPU: the size strategy (convert_to_big,
 * big_cpu_lim), and on CPU 0 the work kthread. Call after rcu_init() (the srcu_node tree has
 * Tree RCU's geometry).
 */
export function srcu_init(cpu: number): void {
  if (srcu_barrier_cb !== null) return; // once per CPU thread (rcutorture's srcu ops and test_srcu_lockdep both ask)
  const c = convert_to_big.get();
  sizesBig = c === 1 || (c === 3 && kapi.nrCpuIds >= big_cpu_lim.get());
  srcu_barrier_cb = rcu_callback('srcu_barrier_cb', srcu_barrier_cb_fn);
  if (cpu !== 0) return;
  kapi.printk('rcu: Hierarchical SRCU implementation.');
  kapi.printk('rcu: \tMax phase no-delay instances is 1000.');
  if (c === 3) kapi.printk(sizesBig ? 'srcu_init: Setting srcu_struct sizes to big.' : 'srcu_init: Setting srcu_struct sizes based on contention.');
  work_pid = kapi.kthreadRun(() => srcu_work_kthread(srcu_attach_all), 'kworker/srcu').pid;
}

/** The work kthread's pid (0 before srcu_init() on CPU 0). */
export function srcu_work_pid(): number {
  return work_pid;
}

/** check_init_srcu_struct(): this thread's view, initialising the struct on the guest's first use. */
export function check_init_srcu_struct(d: SrcuDecl): SrcuStruct {
  return srcu_view(d) ?? srcu_struct_view(d, sizesBig, rcu_geometry());
}

/** The work kthread's attach: build the views of the structs other threads initialised. */
function srcu_attach_all(): void {
  const mask = srcu_structs_in_use();
  for (const d of srcu_decls()) if ((mask & (1 << d.slot)) !== 0 && srcu_view(d) === undefined) check_init_srcu_struct(d);
}

/** init_srcu_struct(): a dynamically initialised srcu_struct (srcud). */
export function init_srcu_struct(d: SrcuDecl): void {
  check_init_srcu_struct(d);
}

/* ---------------- readers ---------------- */

/** srcu_check_nmi_safety(): PROVE_RCU's check that one srcu_struct's readers are all NMI-safe or none. */
function srcu_check_nmi_safety(s: SrcuStruct, nmi_safe: boolean): void {
  if (!debug_lockdep_rcu_enabled()) return;
  const want = nmi_safe ? SRCU_NMI_SAFE : SRCU_NMI_UNSAFE;
  const w = dw(s, kapi.smpProcessorId(), D_NMI_SAFETY);
  const old = Atomics.compareExchange(s.i32, w, 0, want);
  if (old !== 0) WARN_ONCE(old !== want, `CPU ${kapi.smpProcessorId()} old state ${old} new state ${want}`);
}

/**
 * __srcu_read_lock(): READ_ONCE(srcu_idx), then this CPU's srcu_lock_count[idx]++ as an SC
 * Atomics.add: smp_mb() B, whose partner is smp_mb() A of srcu_readers_active_idx_check()
 * (srcu_tree_gp.ts): the critical section's accesses come after the count is visible.
 */
function __srcu_read_lock(s: SrcuStruct): number {
  const idx = Atomics.load(s.i32, uw(s, U_IDX)) & 1;
  Atomics.add(s.i32, dw(s, kapi.smpProcessorId(), D_LOCK_COUNT + idx), 1);
  return idx;
}

/** __srcu_read_unlock(): smp_mb() C (the SC add, partner of A) then srcu_unlock_count[idx]++ of this CPU. */
function __srcu_read_unlock(s: SrcuStruct, idx: number): void {
  Atomics.add(s.i32, dw(s, kapi.smpProcessorId(), D_UNLOCK_COUNT + idx), 1);
}

/** srcu_read_lock(): enter a reader; returns the index for srcu_read_unlock(). */
export function srcu_read_lock(d: SrcuDecl): number {
  const s = check_init_srcu_struct(d);
  srcu_check_nmi_safety(s, false);
  const idx = __srcu_read_lock(s);
  kapi.lockdep.acquire(s.dep_map, 0, false, 2, null); // srcu_lock_acquire(): lock_map_acquire_read()
  return idx;
}

/** srcu_read_unlock(). */
export function srcu_read_unlock(d: SrcuDecl, idx: number): void {
  const s = check_init_srcu_struct(d);
  WARN_ON_ONCE((idx & ~1) !== 0);
  srcu_check_nmi_safety(s, false);
  kapi.lockdep.release(s.dep_map); // srcu_lock_release()
  __srcu_read_unlock(s, idx);
}

/** srcu_read_lock_nmisafe(): the same counters as atomic_long_inc() (an Atomics.add here too). */
export function srcu_read_lock_nmisafe(d: SrcuDecl): number {
  const s = check_init_srcu_struct(d);
  srcu_check_nmi_safety(s, true);
  const idx = __srcu_read_lock(s);
  kapi.lockdep.acquire(s.dep_map, 0, false, 2, null);
  return idx;
}

/** srcu_read_unlock_nmisafe(). */
export function srcu_read_unlock_nmisafe(d: SrcuDecl, idx: number): void {
  const s = check_init_srcu_struct(d);
  WARN_ON_ONCE((idx & ~1) !== 0);
  srcu_check_nmi_safety(s, true);
  kapi.lockdep.release(s.dep_map);
  __srcu_read_unlock(s, idx);
}

/** srcu_read_lock_held(): lockdep's answer (true when lockdep is not validating). */
export function srcu_read_lock_held(d: SrcuDecl): boolean {
  if (!debug_lockdep_rcu_enabled()) return true;
  return kapi.lockdep.isHeld(check_init_srcu_struct(d).dep_map);
}

/* ---------------- updaters ---------------- */

/**
 * srcu_gp_start_if_needed(): queue `cb` (if any) on this CPU's srcu_data (CPU 0's while SMALL),
 * give it a grace period, and funnel the request up the tree. Returns the grace period's cookie.
 * The whole of it is an SRCU reader (__srcu_read_lock_nmisafe(), no lockdep), as the kernel's:
 * the grace period it asks for cannot end before the funnel has recorded it at the top.
 */
function srcu_gp_start_if_needed(s: SrcuStruct, cb: { fn: number; arg: number } | null, do_norm: boolean): number {
  const ridx = __srcu_read_lock(s);
  try {
    return __srcu_gp_start_if_needed(s, cb, do_norm);
  } finally {
    __srcu_read_unlock(s, ridx);
  }
}

function __srcu_gp_start_if_needed(s: SrcuStruct, cb: { fn: number; arg: number } | null, do_norm: boolean): number {
  const cpu = s.geo === null ? 0 : kapi.smpProcessorId();
  const l = s.cblists[cpu]!;
  const lock = s.sdpLocks[cpu]!;
  const f = raw_spin_lock_irqsave(lock);
  if (cb !== null && !l.enqueue(cb.fn, cb.arg)) WARN_ONCE(true, `srcu: callback list of CPU ${cpu} overflowed`);
  l.advance(ld(s, uw(s, U_GP_SEQ)));
  const gs = rcu_seq_snap(ld(s, uw(s, U_GP_SEQ)));
  l.accelerate(gs);
  let needgp = false;
  let needexp = false;
  if (ULONG_CMP_LT(ld(s, dw(s, cpu, D_GP_SEQ_NEEDED)), gs)) {
    st(s, dw(s, cpu, D_GP_SEQ_NEEDED), gs);
    needgp = true;
  }
  if (!do_norm && ULONG_CMP_LT(ld(s, dw(s, cpu, D_GP_SEQ_NEEDED_EXP)), gs)) {
    st(s, dw(s, cpu, D_GP_SEQ_NEEDED_EXP), gs);
    needexp = true;
    cov(COV.srcu_exp_gp);
  }
  raw_spin_unlock_irqrestore(lock, f);
  if (needgp || needexp) srcu_funnel_gp_start(s, cpu, gs, do_norm);
  return gs;
}

/** call_srcu(): invoke `func(arg)` after a full SRCU grace period, from the SRCU work. */
export function call_srcu(d: SrcuDecl, arg: number, func: RcuCallback): void {
  srcu_gp_start_if_needed(check_init_srcu_struct(d), { fn: func.id, arg }, true);
}

/** srcu_might_be_idle(): no callbacks here, no grace period wanted, and the last one ended exp_holdoff ago. */
function srcu_might_be_idle(s: SrcuStruct): boolean {
  const cpu = s.geo === null ? 0 : kapi.smpProcessorId();
  if (s.cblists[cpu]!.length() !== 0) return false;
  const holdoffJ = Math.ceil(exp_holdoff.get() / 1e6);
  if (((kapi.jiffies() - ld(s, uw(s, U_LAST_GP_END))) | 0) < holdoffJ) return false;
  return !ULONG_CMP_LT(ld(s, uw(s, U_GP_SEQ)), ld(s, uw(s, U_GP_SEQ_NEEDED)));
}

/** __synchronize_srcu(): lockdep's lock_sync(), the same-type-reader check, then wait for a grace period. */
async function __synchronize_srcu(s: SrcuStruct, do_norm: boolean): Promise<void> {
  kapi.lockdep.sync?.(s.dep_map); // srcu_lock_sync(): lock_sync(), an empty write-side section
  RCU_LOCKDEP_WARN(kapi.lockdep.isHeld(s.dep_map) || rcu_lock_maps_held(), 'Illegal synchronize_srcu() in same-type SRCU (or in RCU) read-side critical section');
  kapi.mightSleep();
  const gs = srcu_gp_start_if_needed(s, null, do_norm);
  await kapi.waitEvent(uwq(s, U_DONE_WQ), () => rcu_seq_done(Atomics.load(s.i32, uw(s, U_GP_SEQ)), gs));
}

/** synchronize_srcu(): wait for every reader that began before the call; expedited when the struct looks idle. */
export async function synchronize_srcu(d: SrcuDecl): Promise<void> {
  const s = check_init_srcu_struct(d);
  if (srcu_might_be_idle(s)) {
    await __synchronize_srcu(s, false);
  } else {
    await __synchronize_srcu(s, true);
  }
}

/** synchronize_srcu_expedited(): the same, with no delays between the scans. */
export async function synchronize_srcu_expedited(d: SrcuDecl): Promise<void> {
  await __synchronize_srcu(check_init_srcu_struct(d), false);
}

/** get_state_synchronize_srcu(): a cookie for poll_state_synchronize_srcu(). */
export function get_state_synchronize_srcu(d: SrcuDecl): number {
  const s = check_init_srcu_struct(d);
  return rcu_seq_snap(ld(s, uw(s, U_GP_SEQ)));
}

/** start_poll_synchronize_srcu(): a cookie, and its grace period started. */
export function start_poll_synchronize_srcu(d: SrcuDecl): number {
  return srcu_gp_start_if_needed(check_init_srcu_struct(d), null, true);
}

/** poll_state_synchronize_srcu(): has the cookie's grace period ended? */
export function poll_state_synchronize_srcu(d: SrcuDecl, cookie: number): boolean {
  const s = check_init_srcu_struct(d);
  return rcu_seq_done(ld(s, uw(s, U_GP_SEQ)), cookie);
}

/* ---------------- srcu_barrier ---------------- */

function srcu_barrier_cb_fn(slot: number): void {
  const d = srcu_decls()[slot];
  const s = d === undefined ? undefined : srcu_view(d);
  if (s === undefined) return;
  // atomic_dec_and_test(): the last one completes srcu_barrier_completion.
  if (Atomics.sub(s.i32, uw(s, U_BARRIER_CPU_CNT), 1) === 1) kapi.wakeUp(uwq(s, U_DONE_WQ));
}

/** srcu_barrier(): wait until every callback queued before the call has been invoked. */
export async function srcu_barrier(d: SrcuDecl): Promise<void> {
  const s = check_init_srcu_struct(d);
  const snap = rcu_seq_snap(ld(s, uw(s, U_BARRIER_SEQ)));
  await mutex_lock(s.barrierMutex);
  try {
    if (rcu_seq_done(ld(s, uw(s, U_BARRIER_SEQ)), snap)) return; // someone else did our work for us
    st(s, uw(s, U_BARRIER_SEQ), ld(s, uw(s, U_BARRIER_SEQ)) + 1); // rcu_seq_start()
    st(s, uw(s, U_BARRIER_CPU_CNT), 1);
    const cb = srcu_barrier_cb!;
    const ncpus = s.geo === null ? 1 : kapi.nrCpuIds;
    const ridx = __srcu_read_lock(s); // as srcu_gp_start_if_needed(): the funnel's GPs wait for it
    for (let cpu = 0; cpu < ncpus; cpu++) {
      // srcu_barrier_one_cpu(): only CPUs with callbacks get one, decided under the srcu_data's
      // lock. Callbacks that srcu_invoke_callbacks() has taken off the list but not yet invoked
      // still count: the length drops only after their invocation, under this lock.
      const f = raw_spin_lock_irqsave(s.sdpLocks[cpu]!);
      const l = s.cblists[cpu]!;
      if (l.length() === 0) {
        raw_spin_unlock_irqrestore(s.sdpLocks[cpu]!, f);
        continue;
      }
      cov(COV.srcu_barrier_cpu);
      Atomics.add(s.i32, uw(s, U_BARRIER_CPU_CNT), 1);
      const gs = rcu_seq_snap(ld(s, uw(s, U_GP_SEQ)));
      const ok = l.enqueue(cb.id, d.slot);
      if (ok) l.accelerate(gs);
      raw_spin_unlock_irqrestore(s.sdpLocks[cpu]!, f);
      if (!ok) Atomics.sub(s.i32, uw(s, U_BARRIER_CPU_CNT), 1);
      else srcu_funnel_gp_start(s, cpu, gs, true);
    }
    __srcu_read_unlock(s, ridx);
    if (Atomics.sub(s.i32, uw(s, U_BARRIER_CPU_CNT), 1) !== 1) {
      await kapi.waitEvent(uwq(s, U_DONE_WQ), () => Atomics.load(s.i32, uw(s, U_BARRIER_CPU_CNT)) === 0);
    }
    st(s, uw(s, U_BARRIER_SEQ), ld(s, uw(s, U_BARRIER_SEQ)) + 1); // rcu_seq_end()
  } finally {
    mutex_unlock(s.barrierMutex);
  }
}

/* ---------------- rcutorture's view ---------------- */

/** srcu_batches_completed(): READ_ONCE(ssp->srcu_idx). */
export function srcu_batches_completed(d: SrcuDecl): number {
  const s = check_init_srcu_struct(d);
  return ld(s, uw(s, U_IDX));
}

/** srcutorture_get_gp_data(). */
export function srcutorture_get_gp_data(d: SrcuDecl): { flags: number; gp_seq: number } {
  const s = check_init_srcu_struct(d);
  return { flags: 0, gp_seq: ld(s, uw(s, U_GP_SEQ)) };
}

/** srcu_torture_stats_print(): `<tt><tf> Tree SRCU g<seq> state <n> (<name>) per-CPU(idx=<i>): ...`. */
export function srcu_torture_stats_print(d: SrcuDecl, tt: string, tf: string): string {
  const s = check_init_srcu_struct(d);
  const ss = ld(s, uw(s, U_SIZE_STATE));
  const name = SRCU_SIZE_STATE_NAMES[ss] ?? SRCU_SIZE_STATE_NAMES[SRCU_SIZE_STATE_NAMES.length - 1];
  const idx = ld(s, uw(s, U_IDX)) & 1;
  let line = `${tt}${tf} Tree SRCU g${ld(s, uw(s, U_GP_SEQ))} state ${ss} (${name}) per-CPU(idx=${idx}):`;
  let s0 = 0;
  let s1 = 0;
  for (let cpu = 0; cpu < kapi.nrCpuIds; cpu++) {
    const u0 = ld(s, dw(s, cpu, D_UNLOCK_COUNT + (idx ^ 1)));
    const u1 = ld(s, dw(s, cpu, D_UNLOCK_COUNT + idx));
    const c0 = (ld(s, dw(s, cpu, D_LOCK_COUNT + (idx ^ 1))) - u0) | 0;
    const c1 = (ld(s, dw(s, cpu, D_LOCK_COUNT + idx)) - u1) | 0;
    line += ` ${cpu}(${c0},${c1} ${s.cblists[cpu]!.length() === 0 ? '.' : 'C'})`;
    s0 += c0;
    s1 += c1;
  }
  return `${line} T(${s0},${s1})`;
}
