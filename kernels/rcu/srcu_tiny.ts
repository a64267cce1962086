/*
 * Tiny SRCU (kernel/rcu/srcutiny.c, include/linux/srcutiny.h): the SRCU of a CONFIG_SMP=n kernel
 * (CONFIG_TINY_SRCU: SRCU-T, SRCU-U). Two reader nesting counts instead of per-CPU counters; a
 * grace period flips srcu_idx (which counts in steps of 2 per grace period: odd while one is in
 * progress) and sleeps until the old index's count is zero, woken by the last reader out.
 *
 * Words (in shm, the same srcu_struct on every thread as Tree SRCU's): srcu_lock_nesting[2],
 * srcu_idx, srcu_idx_max, srcu_gp_running, srcu_gp_waiting, the GP-waiters' wait queue, and the
 * callback list (srcu_cb_head/tail as an rcu_segcblist whose whole content is taken per grace
 * period). The grace-period work (srcu_drive_gp()) runs in the same work kthread as Tree SRCU's
 * would, here one `kworker/srcu` per guest serving every Tiny srcu_struct.
 *
 * Readers and the API share srcu_tree.ts's declarations (DEFINE_STATIC_SRCU, DEFINE_SRCU_DYNAMIC)
 * and its lockdep treatment (srcu_read_lock() a recursive read of the dep_map,
 * synchronize_srcu() a lock_sync()).
 */

import { COV, cov, kapi, LD_WAIT, type LockdepMap, type WaitQueueHead } from '../../harness/kapi.js';
import { WARN_ONCE } from '../bug.js';
import { rcu_callback_lookup, type RcuCallback } from './rcu_callback.js';
import { RcuSegCbList, rcu_segcblist_words } from './rcu_segcblist.js';
import { RCU_LOCKDEP_WARN, debug_lockdep_rcu_enabled, rcu_lock_maps_held } from './rcupdate_lockdep.js';
import { ULONG_CMP_GE, ULONG_CMP_LT } from './rcu_seq.js';
import { srcu_decls, type SrcuDecl } from './srcu_tree_struct.js';

const T_NESTING = 0; // [2]
const T_IDX = 2;
const T_IDX_MAX = 3;
const T_GP_RUNNING = 4;
const T_GP_WAITING = 5;
/** swait_queue srcu_wq: srcu_drive_gp() waits here for the old index to drain. */
const T_SRCU_WQ = 6;
/** Wait queue of synchronize_srcu() callers, woken after each grace period. */
const T_DONE_WQ = 7;
/** The work item is queued (schedule_work()). */
const T_WORK = 8;
const T_WORDS = 16;
const CB_CAPACITY = 2048;

interface TinySrcu {
  readonly decl: SrcuDecl;
  readonly base: number;
  readonly cbs: RcuSegCbList;
  readonly dep_map: LockdepMap;
}

const views: (TinySrcu | undefined)[] = [];
let work_wq = -1;

function workWq(): WaitQueueHead {
  if (work_wq < 0) work_wq = kapi.shmAlloc('srcu_tiny.work', 16).base;
  return { i32: kapi.shm, index: work_wq };
}

/** init_srcu_struct_fields(): this thread's view; the guest's first use zeroes the words. */
function view(d: SrcuDecl): TinySrcu {
  const v = views[d.slot];
  if (v !== undefined) return v;
  const r = kapi.shmAlloc(`srcu_tiny.${d.name}`, T_WORDS);
  const cr = kapi.shmAlloc(`srcu_tiny.${d.name}.cbs`, rcu_segcblist_words(CB_CAPACITY));
  const name = d.dynamic ? `&${d.name}` : d.name;
  const nv: TinySrcu = {
    decl: d,
    base: r.base,
    cbs: new RcuSegCbList(cr.i32, cr.base, CB_CAPACITY),
    // lockdep_init_map(&ssp->dep_map, name, key, 0): as srcu_tree_struct.ts's srcu_dep_map().
    dep_map: { key: kapi.lockClass(name, 'rwsem', LD_WAIT.INV), addr: r.base * 4, name },
  };
  views[d.slot] = nv;
  Atomics.or(kapi.shm, workWq().index + 1, 1 << d.slot); // for the work kthread's attach
  return nv;
}

const ld = (s: TinySrcu, w: number): number => Atomics.load(kapi.shm, s.base + w);
const st = (s: TinySrcu, w: number, v: number): void => {
  Atomics.store(kapi.shm, s.base + w, v);
};
const wq = (s: TinySrcu, w: number): WaitQueueHead => ({ i32: kapi.shm, index: s.base + w });

/** srcu_init() of Tiny SRCU: start the work kthread on the boot CPU. */
export function srcu_tiny_init(cpu: number): void {
  if (tiny_inited) return; // once per CPU thread
  tiny_inited = true;
  if (cpu === 0) kapi.kthreadRun(srcu_tiny_work, 'kworker/srcu');
}
let tiny_inited = false;

/** __srcu_read_lock(): the nesting count of the index the next grace period will not wait for. */
export function srcu_read_lock(d: SrcuDecl): number {
  const s = view(d);
  const idx = ((ld(s, T_IDX) + 1) & 0x2) >> 1;
  Atomics.add(kapi.shm, s.base + T_NESTING + idx, 1);
  kapi.lockdep.acquire(s.dep_map, 0, false, 2, null);
  return idx;
}

/** __srcu_read_unlock(): the last reader out of the index a grace period waits on wakes it. */
export function srcu_read_unlock(d: SrcuDecl, idx: number): void {
  const s = view(d);
  kapi.lockdep.release(s.dep_map);
  // The SC sub orders the critical section before the count (partner: srcu_drive_gp()'s load in its wait condition).
  const newval = Atomics.sub(kapi.shm, s.base + T_NESTING + idx, 1) - 1;
  if (newval === 0 && ld(s, T_GP_WAITING) !== 0 && kapi.inTask()) kapi.wakeUp(wq(s, T_SRCU_WQ));
}

/** srcu_read_lock_held(). */
export function srcu_read_lock_held(d: SrcuDecl): boolean {
  if (!debug_lockdep_rcu_enabled()) return true;
  return kapi.lockdep.isHeld(view(d).dep_map);
}

/** get_state_synchronize_srcu(): the srcu_idx value at which a full grace period from now has ended. */
export function get_state_synchronize_srcu(d: SrcuDecl): number {
  return ((ld(view(d), T_IDX) + 3) & ~0x1) | 0;
}

/** srcu_gp_start_if_needed(): raise srcu_idx_max to the cookie and queue the work. */
function srcu_gp_start_if_needed(s: TinySrcu): number {
  const cookie = ((ld(s, T_IDX) + 3) & ~0x1) | 0;
  if (ULONG_CMP_GE(ld(s, T_IDX_MAX), cookie)) return cookie;
  st(s, T_IDX_MAX, cookie);
  if (ld(s, T_GP_RUNNING) === 0) {
    st(s, T_WORK, 1);
    kapi.wakeUp(workWq());
  }
  return cookie;
}

/** start_poll_synchronize_srcu(). */
export function start_poll_synchronize_srcu(d: SrcuDecl): number {
  return srcu_gp_start_if_needed(view(d));
}

/** poll_state_synchronize_srcu(). */
export function poll_state_synchronize_srcu(d: SrcuDecl, cookie: number): boolean {
  return ULONG_CMP_GE(ld(view(d), T_IDX), cookie);
}

/** call_srcu(): queue the callback (irqs off around the list, as the kernel's) and start a GP. */
export function call_srcu(d: SrcuDecl, arg: number, func: RcuCallback): void {
  const s = view(d);
  kapi.localIrqDisable();
  const ok = s.cbs.enqueue(func.id, arg);
  kapi.localIrqEnable();
  WARN_ONCE(!ok, `srcu: callback list of ${d.name} overflowed`);
  srcu_gp_start_if_needed(s);
}

/** synchronize_srcu(): lock_sync() for lockdep, then a full grace period. srcu_barrier() and the expedited form are this. */
export async function synchronize_srcu(d: SrcuDecl): Promise<void> {
  const s = view(d);
  kapi.lockdep.sync?.(s.dep_map); // srcu_lock_sync(): lock_sync(), an empty write-side section
  RCU_LOCKDEP_WARN(kapi.lockdep.isHeld(s.dep_map) || rcu_lock_maps_held(), 'Illegal synchronize_srcu() in same-type SRCU (or in RCU) read-side critical section');
  kapi.mightSleep();
  const cookie = srcu_gp_start_if_needed(s);
  // The callback list is FIFO and each grace period takes all of it: the cookie's GP ending means
  // every earlier callback was invoked too (srcu_barrier() is synchronize_srcu() in Tiny SRCU).
  await kapi.waitEvent(wq(s, T_DONE_WQ), () => ULONG_CMP_GE(ld(s, T_IDX), cookie) && ld(s, T_GP_RUNNING) === 0);
}

/** srcu_drive_gp(): one grace period: take the callbacks, flip, wait for the old index, invoke them. */
async function srcu_drive_gp(s: TinySrcu): Promise<void> {
  if (ld(s, T_GP_RUNNING) !== 0 || ULONG_CMP_GE(ld(s, T_IDX), ld(s, T_IDX_MAX))) return;
  st(s, T_GP_RUNNING, 1);
  kapi.localIrqDisable();
  const lh = s.cbs.extractAll();
  kapi.localIrqEnable();
  const idx = (ld(s, T_IDX) & 0x2) / 2;
  st(s, T_IDX, ld(s, T_IDX) + 1);
  st(s, T_GP_WAITING, 1);
  if (Atomics.load(kapi.shm, s.base + T_NESTING + idx) !== 0) {
    cov(COV.srcu_tiny_gp_wait);
    await kapi.waitEventInterruptible(wq(s, T_SRCU_WQ), () => Atomics.load(kapi.shm, s.base + T_NESTING + idx) === 0);
  }
  st(s, T_GP_WAITING, 0);
  st(s, T_IDX, ld(s, T_IDX) + 1);
  for (const cb of lh) {
    kapi.localBhDisable();
    rcu_callback_lookup(cb.fn)?.fn(cb.arg);
    kapi.localBhEnable();
  }
  // Tiny SRCU's list has no count in the kernel; ours follows the tree's rule (drop after invoking).
  s.cbs.addLen(-lh.length);
  st(s, T_GP_RUNNING, 0);
  kapi.wakeUp(wq(s, T_DONE_WQ));
  if (ULONG_CMP_LT(ld(s, T_IDX), ld(s, T_IDX_MAX))) st(s, T_WORK, 1);
}

function anyWork(): boolean {
  for (const v of views) if (v !== undefined && ld(v, T_WORK) !== 0) return true;
  return false;
}

/** The work kthread: srcu_drive_gp() of every Tiny srcu_struct whose work is queued. */
async function srcu_tiny_work(): Promise<void> {
  for (;;) {
    const mask = Atomics.load(kapi.shm, workWq().index + 1);
    for (const d of srcu_decls()) if ((mask & (1 << d.slot)) !== 0) view(d);
    for (const v of views) {
      if (v === undefined || Atomics.exchange(kapi.shm, v.base + T_WORK, 0) === 0) continue;
      await srcu_drive_gp(v);
    }
    if (!anyWork()) await kapi.waitEventInterruptible(workWq(), () => anyWork(), 1000);
  }
}

/** srcu_batches_completed() and srcutorture_get_gp_data()'s gp_seq: srcu_idx. */
export function srcu_batches_completed(d: SrcuDecl): number {
  return ld(view(d), T_IDX);
}

/** srcu_torture_stats_print(): `<tt><tf> Tiny SRCU per-CPU(idx=<i>): (<n>,<n>) gp: <idx>-><max>`. */
export function srcu_torture_stats_print(d: SrcuDecl, tt: string, tf: string): string {
  const s = view(d);
  const idx = ((ld(s, T_IDX) + 1) & 0x2) >> 1;
  const n = (i: number): number => (Atomics.load(kapi.shm, s.base + T_NESTING + i) << 16) >> 16; // %hd
  return `${tt}${tf} Tiny SRCU per-CPU(idx=${idx}): (${n(idx ^ 1)},${n(idx)}) gp: ${ld(s, T_IDX)}->${ld(s, T_IDX_MAX)}`;
}
