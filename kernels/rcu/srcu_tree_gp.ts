/*
 * Tree SRCU's grace periods (kernel/rcu/srcutree.c): the funnel up the srcu_node tree, the
 * srcu_gp_seq state machine (SRCU_STATE_IDLE -> SCAN1 -> SCAN2 -> IDLE), the two-index flip and
 * the reader-count scan, the GP end's callback scheduling, and the work kthread that runs
 * process_srcu() and srcu_invoke_callbacks() for every srcu_struct.
 *
 * Why the flip and the two scans end a grace period (srcu_readers_active_idx_check()'s argument,
 * with JS Atomics as the barriers; every shared access here is an Atomics operation, and those
 * are sequentially consistent, so each smp_mb() below is the SC order of the accesses around it):
 *  - A reader reads srcu_idx, then increments srcu_lock_count[idx] of its CPU (an Atomics.add:
 *    smp_mb() B), runs its critical section, then increments srcu_unlock_count[idx] (Atomics.add:
 *    smp_mb() C before it).
 *  - The scan sums the unlock counts of an index (Atomics.load each), then (smp_mb() A) the lock
 *    counts; equal sums mean no reader of that index was inside at some instant during the scan:
 *    a reader whose unlock was counted had its lock counted too (B before C, A between the sums).
 *  - srcu_flip() (Atomics.add on srcu_idx: smp_mb() E before and D after) sends new readers to
 *    the other index. SCAN1 waits for the index that was idle (readers that read srcu_idx before
 *    the previous flip may still be entering it), flips, and SCAN2 waits for the index readers
 *    used until the flip. A reader that read the old srcu_idx after the scan began is bounded
 *    (each CPU's next smp_mb() shows it the new index), so the scan cannot be starved forever.
 *
 * The work: one kthread (`kworker/srcu`, unbound, started on CPU 0 by srcu_init()) stands for the
 * kernel's rcu_gp_wq and system_wq work items; each srcu_struct has a due time (U_WORK_DUE) and a
 * callbacks-pending flag. process_srcu() never sleeps waiting for readers: a scan that fails
 * returns and the work is requeued after srcu_get_delay() jiffies, as the kernel's.
 *
 * Departures: srcu_barrier() queues its callback behind the existing ones and asks for a grace
 * period (the kernel entrains it without one); the size state is SMALL or BIG from init
 * (no growth on contention); callbacks are invoked by the work kthread with bottom halves off,
 * not by per-CPU work items.
 */

import { COV, cov, covPart, kapi } from '../../harness/kapi.js';
import { WARN_ON_ONCE } from '../bug.js';
import { raw_spin_lock_irqsave, raw_spin_unlock_irqrestore } from '../locking/spinlock.js';
import { mutex_lock, mutex_unlock } from '../locking/mutex.js';
import { rcu_callback_lookup } from './rcu_callback.js';
import type { RcuNodeShape } from './rcu_node_tree.js';
import { ULONG_CMP_GE, ULONG_CMP_LT, rcu_seq_ctr, rcu_seq_done, rcu_seq_end, rcu_seq_start, rcu_seq_state } from './rcu_seq.js';
import { counter_wrap_check, srcu_max_nodelay, srcu_max_nodelay_phase, srcu_retry_check_delay, test_broken_flip } from './srcu_params.js';
import {
  D_CBLIST_INVOKING,
  D_GP_SEQ_NEEDED,
  D_LOCK_COUNT,
  D_UNLOCK_COUNT,
  N_DATA_HAVE_CBS,
  N_GP_SEQ_NEEDED_EXP,
  N_HAVE_CBS,
  SRCU_HAVE_CBS_N,
  SRCU_SNP_INIT_SEQ,
  SRCU_STATE_IDLE,
  SRCU_STATE_SCAN1,
  SRCU_STATE_SCAN2,
  U_CBS_PENDING,
  U_DONE_WQ,
  U_GP_SEQ,
  U_GP_SEQ_NEEDED,
  U_GP_SEQ_NEEDED_EXP,
  U_GP_START,
  U_IDX,
  U_LAST_GP_END,
  U_N_EXP_NODELAY,
  U_N_GPS,
  U_RESCHED_CNT,
  U_RESCHED_J,
  U_WORK_DUE,
  dw,
  ld,
  nw,
  srcu_decls,
  srcu_queue_work,
  srcu_schedule_cbs,
  srcu_view,
  srcu_wq_head,
  st,
  uw,
  uwq,
  type SrcuStruct,
} from './srcu_tree_struct.js';

const SRCU_INTERVAL = 1;
const SRCU_MAX_INTERVAL = 10;

/** srcu_invl_snp_seq(): an srcu_node entry that was never set. */
function srcu_invl_snp_seq(s: number): boolean {
  return s === SRCU_SNP_INIT_SEQ;
}

function leafOf(s: SrcuStruct, cpu: number): RcuNodeShape | null {
  if (s.geo === null) return null;
  return s.geo.nodes[s.geo.leafOfCpu[cpu] ?? 0] ?? null;
}

/* ---------------- reader counts ---------------- */

/** The CPUs the scan reads: all of them, or (srcutree.test_broken_flip) all but the last. */
let scanCpus = -1;
function nrScanCpus(): number {
  if (scanCpus < 0) scanCpus = test_broken_flip.get() && kapi.nrCpuIds > 1 ? kapi.nrCpuIds - 1 : kapi.nrCpuIds;
  return scanCpus;
}

/** srcu_readers_lock_idx(): the sum of srcu_lock_count[idx] over the CPUs (wrapping). */
function srcu_readers_lock_idx(s: SrcuStruct, idx: number): number {
  let sum = 0;
  const n = nrScanCpus();
  for (let cpu = 0; cpu < n; cpu++) sum = (sum + ld(s, dw(s, cpu, D_LOCK_COUNT + idx))) | 0;
  return sum;
}

/** srcu_readers_unlock_idx(): the sum of srcu_unlock_count[idx] over the CPUs (wrapping). */
function srcu_readers_unlock_idx(s: SrcuStruct, idx: number): number {
  let sum = 0;
  const n = nrScanCpus();
  for (let cpu = 0; cpu < n; cpu++) sum = (sum + ld(s, dw(s, cpu, D_UNLOCK_COUNT + idx))) | 0;
  return sum;
}

/**
 * srcu_readers_active_idx_check(): true when no reader of `idx` was inside at some instant of the
 * scan. Unlocks first, locks second: the SC loads order them (smp_mb() A, partner of the readers'
 * Atomics.add B and C).
 */
function srcu_readers_active_idx_check(s: SrcuStruct, idx: number): boolean {
  const unlocks = srcu_readers_unlock_idx(s, idx);
  return srcu_readers_lock_idx(s, idx) === unlocks;
}

/** srcu_get_delay(): 0 while an expedited GP is wanted (for a while), else the GP's age, capped. */
function srcu_get_delay(s: SrcuStruct): number {
  let jbase = SRCU_INTERVAL;
  const gs = ld(s, uw(s, U_GP_SEQ));
  if (ULONG_CMP_LT(gs, ld(s, uw(s, U_GP_SEQ_NEEDED_EXP)))) jbase = 0;
  if (rcu_seq_state(gs) !== 0) {
    const j = (kapi.jiffies() - 1) | 0;
    const gpstart = ld(s, uw(s, U_GP_START));
    if (((j - gpstart) | 0) > 0) jbase += j - gpstart;
    if (jbase === 0) {
      const n = ld(s, uw(s, U_N_EXP_NODELAY)) + 1;
      st(s, uw(s, U_N_EXP_NODELAY), n);
      if (n > srcu_max_nodelay_phase.get()) jbase = 1;
    }
  }
  return jbase > SRCU_MAX_INTERVAL ? SRCU_MAX_INTERVAL : jbase;
}

/** try_check_zero(): scan `idx` up to `trycount` times (once more while expedited), a short udelay apart. */
async function try_check_zero(s: SrcuStruct, idx: number, trycount: number): Promise<boolean> {
  const f = raw_spin_lock_irqsave(s.supLock);
  const curdelay = srcu_get_delay(s) === 0 ? 1 : 0;
  raw_spin_unlock_irqrestore(s.supLock, f);
  for (;;) {
    if (srcu_readers_active_idx_check(s, idx)) return true;
    cov(COV.srcu_scan_retry);
    if (--trycount + curdelay <= 0) return false;
    const p = kapi.udelay(srcu_retry_check_delay.get());
    if (p) await p;
  }
}

/** srcu_flip(): new readers use the other index (smp_mb() E and D: the SC add on srcu_idx). */
function srcu_flip(s: SrcuStruct): void {
  cov(COV.srcu_flip);
  Atomics.add(s.i32, uw(s, U_IDX), 1);
}

/* ---------------- grace-period start ---------------- */

/** srcu_gp_start(): SRCU_STATE_IDLE -> SCAN1. Caller holds the srcu_usage lock. */
export function srcu_gp_start(s: SrcuStruct): void {
  const cpu = s.geo === null ? 0 : kapi.smpProcessorId();
  WARN_ON_ONCE(ULONG_CMP_GE(ld(s, uw(s, U_GP_SEQ)), ld(s, uw(s, U_GP_SEQ_NEEDED))));
  const f = raw_spin_lock_irqsave(s.sdpLocks[cpu]!);
  s.cblists[cpu]!.advance(ld(s, uw(s, U_GP_SEQ)));
  raw_spin_unlock_irqrestore(s.sdpLocks[cpu]!, f);
  st(s, uw(s, U_GP_START), kapi.jiffies());
  st(s, uw(s, U_N_EXP_NODELAY), 0);
  // smp_mb(): the store of srcu_gp_seq_needed before the GP start (SC stores).
  st(s, uw(s, U_GP_SEQ), rcu_seq_start(ld(s, uw(s, U_GP_SEQ))));
  WARN_ON_ONCE(rcu_seq_state(ld(s, uw(s, U_GP_SEQ))) !== SRCU_STATE_SCAN1);
}

/** srcu_funnel_exp_start(): record an expedited need from `node` up to the root. */
function srcu_funnel_exp_start(s: SrcuStruct, node: number, gs: number): void {
  const geo = s.geo;
  for (let n = node; geo !== null && n >= 0; n = geo.nodes[n]!.parent) {
    if (rcu_seq_done(ld(s, uw(s, U_GP_SEQ)), gs)) return;
    const f = raw_spin_lock_irqsave(s.snpLocks[n]!);
    const sgsne = ld(s, nw(s, n, N_GP_SEQ_NEEDED_EXP));
    if (!srcu_invl_snp_seq(sgsne) && ULONG_CMP_GE(sgsne, gs)) {
      raw_spin_unlock_irqrestore(s.snpLocks[n]!, f);
      return;
    }
    st(s, nw(s, n, N_GP_SEQ_NEEDED_EXP), gs);
    raw_spin_unlock_irqrestore(s.snpLocks[n]!, f);
  }
  const f = raw_spin_lock_irqsave(s.supLock);
  if (ULONG_CMP_LT(ld(s, uw(s, U_GP_SEQ_NEEDED_EXP)), gs)) st(s, uw(s, U_GP_SEQ_NEEDED_EXP), gs);
  raw_spin_unlock_irqrestore(s.supLock, f);
}

/**
 * srcu_funnel_gp_start(): make sure grace period `gs` will happen, climbing the srcu_node tree
 * (BIG) from this CPU's leaf and stopping at the first node that already asked for it.
 */
export function srcu_funnel_gp_start(s: SrcuStruct, cpu: number, gs: number, do_norm: boolean): void {
  const idx = rcu_seq_ctr(gs) & (SRCU_HAVE_CBS_N - 1);
  const leaf = leafOf(s, cpu);
  if (leaf !== null) {
    const mask = 1 << (cpu - leaf.grplo);
    for (let n = leaf.idx; n >= 0; n = s.geo!.nodes[n]!.parent) {
      if (rcu_seq_done(ld(s, uw(s, U_GP_SEQ)), gs) && n !== leaf.idx) return;
      const f = raw_spin_lock_irqsave(s.snpLocks[n]!);
      const snp_seq = ld(s, nw(s, n, N_HAVE_CBS + idx));
      if (!srcu_invl_snp_seq(snp_seq) && ULONG_CMP_GE(snp_seq, gs)) {
        if (n === leaf.idx && snp_seq === gs) Atomics.or(s.i32, nw(s, n, N_DATA_HAVE_CBS + idx), mask);
        raw_spin_unlock_irqrestore(s.snpLocks[n]!, f);
        cov(COV.srcu_funnel_stop);
        if (n === leaf.idx && snp_seq !== gs) {
          srcu_schedule_cbs(s);
          return;
        }
        if (!do_norm) srcu_funnel_exp_start(s, n, gs);
        return;
      }
      st(s, nw(s, n, N_HAVE_CBS + idx), gs);
      if (n === leaf.idx) Atomics.or(s.i32, nw(s, n, N_DATA_HAVE_CBS + idx), mask);
      const sgsne = ld(s, nw(s, n, N_GP_SEQ_NEEDED_EXP));
      if (!do_norm && (srcu_invl_snp_seq(sgsne) || ULONG_CMP_LT(sgsne, gs))) st(s, nw(s, n, N_GP_SEQ_NEEDED_EXP), gs);
      raw_spin_unlock_irqrestore(s.snpLocks[n]!, f);
      covPart(COV.srcu_funnel_level, s.geo!.nodes[n]!.level);
    }
  }
  // Top of the tree: the grace period must be started.
  const f = raw_spin_lock_irqsave(s.supLock);
  if (ULONG_CMP_LT(ld(s, uw(s, U_GP_SEQ_NEEDED)), gs)) st(s, uw(s, U_GP_SEQ_NEEDED), gs);
  if (!do_norm && ULONG_CMP_LT(ld(s, uw(s, U_GP_SEQ_NEEDED_EXP)), gs)) st(s, uw(s, U_GP_SEQ_NEEDED_EXP), gs);
  const cur = ld(s, uw(s, U_GP_SEQ));
  if (!WARN_ON_ONCE(rcu_seq_done(cur, gs)) && rcu_seq_state(cur) === SRCU_STATE_IDLE) {
    srcu_gp_start(s);
    srcu_queue_work(s, srcu_get_delay(s) === 0 ? 0 : 1);
  }
  raw_spin_unlock_irqrestore(s.supLock, f);
}

/* ---------------- grace-period end ---------------- */

/** srcu_gp_end(): SCAN2 -> IDLE; mark the callbacks' grace period done and start the next one if needed. Holds srcu_gp_mutex on entry and releases it. */
async function srcu_gp_end(s: SrcuStruct): Promise<void> {
  await mutex_lock(s.cbMutex);
  let f = raw_spin_lock_irqsave(s.supLock);
  WARN_ON_ONCE(rcu_seq_state(ld(s, uw(s, U_GP_SEQ))) !== SRCU_STATE_SCAN2);
  st(s, uw(s, U_LAST_GP_END), kapi.jiffies());
  const gpseq = rcu_seq_end(ld(s, uw(s, U_GP_SEQ)));
  st(s, uw(s, U_GP_SEQ), gpseq); // rcu_seq_end(): the GP is over (pairs with poll_state/synchronize loads)
  Atomics.add(s.i32, uw(s, U_N_GPS), 1);
  if (ULONG_CMP_LT(ld(s, uw(s, U_GP_SEQ_NEEDED_EXP)), gpseq)) st(s, uw(s, U_GP_SEQ_NEEDED_EXP), gpseq);
  raw_spin_unlock_irqrestore(s.supLock, f);
  mutex_unlock(s.gpMutex);
  if (s.geo !== null) {
    const idx = rcu_seq_ctr(gpseq) & (SRCU_HAVE_CBS_N - 1);
    for (const n of s.geo.nodes) {
      const nf = raw_spin_lock_irqsave(s.snpLocks[n.idx]!);
      st(s, nw(s, n.idx, N_HAVE_CBS + idx), gpseq + 1); // rcu_seq_set_state(..., 1): done, and not invalid
      const sgsne = ld(s, nw(s, n.idx, N_GP_SEQ_NEEDED_EXP));
      if (srcu_invl_snp_seq(sgsne) || ULONG_CMP_LT(sgsne, gpseq)) st(s, nw(s, n.idx, N_GP_SEQ_NEEDED_EXP), gpseq);
      if (n.isLeaf) st(s, nw(s, n.idx, N_DATA_HAVE_CBS + idx), 0);
      raw_spin_unlock_irqrestore(s.snpLocks[n.idx]!, nf);
    }
  }
  srcu_schedule_cbs(s);
  // Occasionally prevent srcu_data counter wrap.
  if ((gpseq & counter_wrap_check.get()) === 0) {
    for (let cpu = 0; cpu < kapi.nrCpuIds; cpu++) {
      const df = raw_spin_lock_irqsave(s.sdpLocks[cpu]!);
      if (ULONG_CMP_GE(gpseq, (ld(s, dw(s, cpu, D_GP_SEQ_NEEDED)) + 100) | 0)) st(s, dw(s, cpu, D_GP_SEQ_NEEDED), gpseq);
      raw_spin_unlock_irqrestore(s.sdpLocks[cpu]!, df);
    }
  }
  mutex_unlock(s.cbMutex);
  kapi.wakeUp(uwq(s, U_DONE_WQ));
  // Start a new grace period if needed.
  f = raw_spin_lock_irqsave(s.supLock);
  const cur = ld(s, uw(s, U_GP_SEQ));
  if (rcu_seq_state(cur) === 0 && ULONG_CMP_LT(cur, ld(s, uw(s, U_GP_SEQ_NEEDED)))) {
    srcu_gp_start(s);
    raw_spin_unlock_irqrestore(s.supLock, f);
    srcu_queue_work(s, 0);
  } else {
    raw_spin_unlock_irqrestore(s.supLock, f);
  }
}

/** srcu_advance_state(): one step of the state machine, under srcu_gp_mutex. */
async function srcu_advance_state(s: SrcuStruct): Promise<void> {
  await mutex_lock(s.gpMutex);
  let state = rcu_seq_state(ld(s, uw(s, U_GP_SEQ)));
  if (state === SRCU_STATE_IDLE) {
    const f = raw_spin_lock_irqsave(s.supLock);
    if (ULONG_CMP_GE(ld(s, uw(s, U_GP_SEQ)), ld(s, uw(s, U_GP_SEQ_NEEDED)))) {
      raw_spin_unlock_irqrestore(s.supLock, f);
      mutex_unlock(s.gpMutex);
      return;
    }
    state = rcu_seq_state(ld(s, uw(s, U_GP_SEQ)));
    if (state === SRCU_STATE_IDLE) srcu_gp_start(s);
    raw_spin_unlock_irqrestore(s.supLock, f);
    if (state !== SRCU_STATE_IDLE) {
      mutex_unlock(s.gpMutex);
      return;
    }
  }
  if (rcu_seq_state(ld(s, uw(s, U_GP_SEQ))) === SRCU_STATE_SCAN1) {
    const idx = 1 ^ (ld(s, uw(s, U_IDX)) & 1);
    if (!(await try_check_zero(s, idx, 1))) {
      mutex_unlock(s.gpMutex);
      return; // readers present: retry later
    }
    srcu_flip(s);
    const f = raw_spin_lock_irqsave(s.supLock);
    st(s, uw(s, U_GP_SEQ), (ld(s, uw(s, U_GP_SEQ)) & ~3) | SRCU_STATE_SCAN2); // rcu_seq_set_state()
    raw_spin_unlock_irqrestore(s.supLock, f);
  }
  if (rcu_seq_state(ld(s, uw(s, U_GP_SEQ))) === SRCU_STATE_SCAN2) {
    // SRCU read-side critical sections are normally short, so check at least twice in quick succession after a flip.
    const idx = 1 ^ (ld(s, uw(s, U_IDX)) & 1);
    if (!(await try_check_zero(s, idx, 2))) {
      mutex_unlock(s.gpMutex);
      return; // readers present: retry later
    }
    st(s, uw(s, U_N_EXP_NODELAY), 0);
    await srcu_gp_end(s); // releases srcu_gp_mutex
  }
}

/** process_srcu(): the work function: advance the state machine, then requeue while a GP is needed. */
async function process_srcu(s: SrcuStruct): Promise<void> {
  await srcu_advance_state(s);
  let curdelay = srcu_get_delay(s);
  if (curdelay !== 0) {
    st(s, uw(s, U_RESCHED_CNT), 0);
  } else {
    const j = kapi.jiffies();
    if (ld(s, uw(s, U_RESCHED_J)) === j) {
      const n = ld(s, uw(s, U_RESCHED_CNT)) + 1;
      st(s, uw(s, U_RESCHED_CNT), n);
      if (n > srcu_max_nodelay.get()) curdelay = 1;
    } else {
      st(s, uw(s, U_RESCHED_CNT), 1);
      st(s, uw(s, U_RESCHED_J), j);
    }
  }
  srcu_reschedule(s, curdelay);
}

/** srcu_reschedule(): requeue the work if more grace periods are needed (starting one if idle). */
function srcu_reschedule(s: SrcuStruct, delay: number): void {
  let pushgp = true;
  const f = raw_spin_lock_irqsave(s.supLock);
  const gs = ld(s, uw(s, U_GP_SEQ));
  if (ULONG_CMP_GE(gs, ld(s, uw(s, U_GP_SEQ_NEEDED)))) {
    if (!WARN_ON_ONCE(rcu_seq_state(gs) !== 0)) pushgp = false;
  } else if (rcu_seq_state(gs) === 0) {
    srcu_gp_start(s);
  }
  raw_spin_unlock_irqrestore(s.supLock, f);
  if (pushgp) srcu_queue_work(s, delay);
}

/* ---------------- callbacks ---------------- */

/** srcu_invoke_callbacks() of every CPU's srcu_data: invoke what the ended grace periods made ready. */
function srcu_invoke_callbacks(s: SrcuStruct): void {
  for (let cpu = 0; cpu < kapi.nrCpuIds; cpu++) {
    const l = s.cblists[cpu]!;
    if (l.length() === 0) continue;
    const lock = s.sdpLocks[cpu]!;
    let f = raw_spin_lock_irqsave(lock);
    l.advance(ld(s, uw(s, U_GP_SEQ)));
    if (ld(s, dw(s, cpu, D_CBLIST_INVOKING)) !== 0 || !l.readyCbs()) {
      raw_spin_unlock_irqrestore(lock, f);
      continue;
    }
    st(s, dw(s, cpu, D_CBLIST_INVOKING), 1);
    const done = l.extractDone();
    raw_spin_unlock_irqrestore(lock, f);
    for (const cb of done) {
      const fn = rcu_callback_lookup(cb.fn);
      WARN_ON_ONCE(fn === undefined);
      kapi.localBhDisable();
      fn?.fn(cb.arg);
      kapi.localBhEnable();
    }
    f = raw_spin_lock_irqsave(lock);
    l.addLen(-done.length); // rcu_segcblist_add_len(-len): srcu_barrier() reads it under this lock
    st(s, dw(s, cpu, D_CBLIST_INVOKING), 0);
    raw_spin_unlock_irqrestore(lock, f);
  }
  kapi.wakeUp(uwq(s, U_DONE_WQ));
}

/* ---------------- the work kthread ---------------- */

/** Whether `s`'s work is due now (pairs with srcu_queue_work()'s CAS). */
function srcu_work_due(s: SrcuStruct, now: number): boolean {
  const due = Atomics.load(s.i32, uw(s, U_WORK_DUE));
  return due !== 0 && ((due - 1 - now) | 0) <= 0;
}

function anyWork(now: number): boolean {
  for (const d of srcu_decls()) {
    const s = srcu_view(d);
    if (s !== undefined && (srcu_work_due(s, now) || Atomics.load(s.i32, uw(s, U_CBS_PENDING)) !== 0)) return true;
  }
  return false;
}

/** Jiffies until the earliest queued work (at most one second: a struct first used on another thread joins on its ring). */
function nextDue(now: number): number {
  let best = 1000;
  for (const d of srcu_decls()) {
    const s = srcu_view(d);
    if (s === undefined) continue;
    const due = Atomics.load(s.i32, uw(s, U_WORK_DUE));
    if (due !== 0) best = Math.max(1, Math.min(best, (due - 1 - now) | 0));
  }
  return best;
}

/**
 * The work kthread: runs each srcu_struct's process_srcu() when due and its callbacks when
 * scheduled. A struct first used on another CPU thread is built here on its first ring
 * (`attach` is srcu_tree.ts's check_init_srcu_struct()).
 */
export async function srcu_work_kthread(attach: () => void): Promise<void> {
  const wq = srcu_wq_head();
  const ring = wq.index + 2;
  for (;;) {
    // The doorbell count before looking (pairs with srcu_ring()'s add): work queued after this
    // load ends the sleep below even when it is due later than the sleep's timeout.
    const rang = Atomics.load(wq.i32, ring);
    attach();
    const now = kapi.jiffies();
    for (const d of srcu_decls()) {
      const s = srcu_view(d);
      if (s === undefined) continue;
      if (srcu_work_due(s, now)) {
        Atomics.store(s.i32, uw(s, U_WORK_DUE), 0);
        await process_srcu(s);
      }
      if (Atomics.exchange(s.i32, uw(s, U_CBS_PENDING), 0) !== 0) srcu_invoke_callbacks(s);
    }
    const later = kapi.jiffies();
    if (!anyWork(later)) await kapi.waitEventInterruptible(wq, () => Atomics.load(wq.i32, ring) !== rang || anyWork(kapi.jiffies()), nextDue(later));
  }
}
