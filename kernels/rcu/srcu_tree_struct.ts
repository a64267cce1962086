/*
 * Tree SRCU's data (include/linux/srcutree.h): struct srcu_struct with its srcu_usage, the
 * per-CPU srcu_data and the srcu_node combining tree, all in the guest's shared memory, and the
 * one "workqueue" kthread that runs every srcu_struct's grace-period work (srcu_tree_gp.ts).
 *
 * An srcu_struct is declared at module scope, as the kernel's DEFINE_STATIC_SRCU(), by name
 * (DEFINE_STATIC_SRCU() / DEFINE_SRCU_DYNAMIC() below): a declaration touches no kapi (the driver
 * imports the modules), takes the next slot of this thread's table, and every CPU thread loads
 * the same modules in the same order, so slot k names the same srcu_struct on every thread. Its
 * shared words are found by name (kapi.shmAlloc) the first time a thread uses it
 * (check_init_srcu_struct()), so a struct initialised on one CPU is the same struct on all.
 *
 * Layout (Int32 words; the kernel's unsigned longs wrap as Int32 here and every comparison is
 * the wrap-safe ULONG_CMP_*):
 *   srcu_usage: srcu_idx, srcu_gp_seq, srcu_gp_seq_needed, srcu_gp_seq_needed_exp, srcu_size_state,
 *     srcu_gp_start, srcu_last_gp_end, srcu_n_exp_nodelay, reschedule_jiffies/count,
 *     srcu_barrier_seq, srcu_barrier_cpu_cnt, the wait queues;
 *   srcu_data (one 64-byte line per CPU): srcu_lock_count[2], srcu_unlock_count[2],
 *     srcu_nmi_safety, srcu_gp_seq_needed(_exp), srcu_cblist_invoking, and its lock's words;
 *   srcu_node: srcu_have_cbs[4], srcu_data_have_cbs[4] (CPU masks of one leaf: a leaf spans at
 *     most 32 CPUs, the leaf fanout's cap), srcu_gp_seq_needed_exp;
 *   srcu_cblist: one rcu_segcblist per CPU, under its srcu_data's lock (any CPU may touch it:
 *     call_srcu() on its own CPU, the GP work to advance and invoke it).
 */

import { kapi, LD_WAIT, type LockClassKey, type LockdepMap, type ShmRegion, type WaitQueueHead } from '../../harness/kapi.js';
import { DEFINE_RAW_SPINLOCK, type RawSpinlock } from '../locking/spinlock.js';
import { DEFINE_MUTEX, type Mutex } from '../locking/mutex.js';
import { RcuSegCbList, rcu_segcblist_words } from './rcu_segcblist.js';
import { RCU_SEQ_CTR_SHIFT } from './rcu_seq.js';
import type { RcuGeometry } from './rcu_node_tree.js';

/* srcu_usage words. */
export const U_IDX = 0;
export const U_GP_SEQ = 1;
export const U_GP_SEQ_NEEDED = 2;
export const U_GP_SEQ_NEEDED_EXP = 3;
export const U_SIZE_STATE = 4;
export const U_GP_START = 5;
export const U_LAST_GP_END = 6;
export const U_N_EXP_NODELAY = 7;
export const U_RESCHED_J = 8;
export const U_RESCHED_CNT = 9;
export const U_BARRIER_SEQ = 10;
export const U_BARRIER_CPU_CNT = 11;
/** Wait queue of synchronize_srcu() and srcu_barrier() callers, woken at each GP end and callback batch. */
export const U_DONE_WQ = 12;
/** The work item: jiffies + 1 at which process_srcu() is due, 0 when not queued. */
export const U_WORK_DUE = 13;
/** srcu_schedule_cbs_sdp(): callbacks may be ready; the work invokes them. */
export const U_CBS_PENDING = 14;
export const U_N_GPS = 15;
const U_WORDS = 16;

/* srcu_data words (one cache line per CPU). */
export const D_LOCK_COUNT = 0; // [2]
export const D_UNLOCK_COUNT = 2; // [2]
export const D_NMI_SAFETY = 4;
export const D_GP_SEQ_NEEDED = 5;
export const D_GP_SEQ_NEEDED_EXP = 6;
export const D_CBLIST_INVOKING = 7;
const SDP_WORDS = 16;

/* srcu_node words. */
export const N_HAVE_CBS = 0; // [4]
export const N_DATA_HAVE_CBS = 4; // [4]
export const N_GP_SEQ_NEEDED_EXP = 8;
const SNP_WORDS = 16;

export const SRCU_STATE_IDLE = 0;
export const SRCU_STATE_SCAN1 = 1;
export const SRCU_STATE_SCAN2 = 2;
export const SRCU_SIZE_SMALL = 0;
export const SRCU_SIZE_BIG = 8;
export const SRCU_SIZE_STATE_NAMES = [
  'SRCU_SIZE_SMALL',
  'SRCU_SIZE_ALLOC',
  'SRCU_SIZE_WAIT_BARRIER',
  'SRCU_SIZE_WAIT_CALL',
  'SRCU_SIZE_WAIT_CBS1',
  'SRCU_SIZE_WAIT_CBS2',
  'SRCU_SIZE_WAIT_CBS3',
  'SRCU_SIZE_WAIT_CBS4',
  'SRCU_SIZE_BIG',
  'SRCU_SIZE_???',
] as const;
/** srcu_have_cbs[] and srcu_data_have_cbs[] entries, indexed by rcu_seq_ctr(s) % 4. */
export const SRCU_HAVE_CBS_N = 4;
/** SRCU_SNP_INIT_SEQ: an srcu_node entry never set (srcu_invl_snp_seq()). */
export const SRCU_SNP_INIT_SEQ = 0x2;
/** SRCU_GP_SEQ_INITIAL_VAL: 100 grace periods before wrap, to catch wrap bugs early. */
export const SRCU_GP_SEQ_INITIAL_VAL = (0 - 100) << RCU_SEQ_CTR_SHIFT;
/** srcu_nmi_safety values (SRCU_NMI_UNKNOWN is 0). */
export const SRCU_NMI_UNSAFE = 0x1;
export const SRCU_NMI_SAFE = 0x2;
/**
 * Callback ring capacity per CPU and srcu_struct; CPU 0's is larger, since while SRCU_SIZE_SMALL
 * every callback is queued there (rcutorture keeps up to 2048 reader frees in flight).
 */
export const SRCU_CBLIST_CAPACITY = 2048;
const SRCU_CBLIST_CAPACITY_CPU0 = 8192;
/** srcu_structs a guest may declare (the work's table). */
export const SRCU_MAX_STRUCTS = 24;

/** A declared srcu_struct (DEFINE_STATIC_SRCU / a dynamically initialised one): its name and slot. */
export interface SrcuDecl {
  /** The variable's name: `srcu_ctl`; lockdep's class name (`&srcu_ctld` for init_srcu_struct()). */
  readonly name: string;
  readonly slot: number;
  /** init_srcu_struct() (true) or DEFINE_STATIC_SRCU() (false). */
  readonly dynamic: boolean;
}

/** One thread's view of an srcu_struct (built on first use: check_init_srcu_struct()). */
export interface SrcuStruct {
  readonly decl: SrcuDecl;
  readonly i32: Int32Array;
  readonly sup: ShmRegion;
  readonly sda: ShmRegion;
  readonly nodes: ShmRegion;
  /** The srcu_node tree (Tree RCU's rcu_node geometry, as init_srcu_struct_nodes()); null while SMALL. */
  readonly geo: RcuGeometry | null;
  readonly cblists: readonly RcuSegCbList[];
  /** ACCESS_PRIVATE(sdp, lock) of each CPU, ACCESS_PRIVATE(snp, lock) of each node, ssp->srcu_sup's. */
  readonly sdpLocks: readonly RawSpinlock[];
  readonly snpLocks: readonly RawSpinlock[];
  readonly supLock: RawSpinlock;
  readonly gpMutex: Mutex;
  readonly cbMutex: Mutex;
  readonly barrierMutex: Mutex;
  /** ssp->dep_map: srcu_read_lock() is a recursive read of it, synchronize_srcu() a lock_sync(). */
  readonly dep_map: LockdepMap;
}

/** This thread's declarations, in declaration order (the same on every CPU thread). */
const decls: SrcuDecl[] = [];
const views: (SrcuStruct | undefined)[] = [];

function declare(name: string, dynamic: boolean): SrcuDecl {
  if (decls.length >= SRCU_MAX_STRUCTS) throw new Error(`srcu: more than ${SRCU_MAX_STRUCTS} srcu_structs`);
  const d: SrcuDecl = { name, slot: decls.length, dynamic };
  decls.push(d);
  return d;
}

/** DEFINE_STATIC_SRCU(name), at module scope. */
export function DEFINE_STATIC_SRCU(name: string): SrcuDecl {
  return declare(name, false);
}

/** A `static struct srcu_struct name;` that init_srcu_struct() sets up at run time (lockdep names it `&name`). */
export function DEFINE_SRCU_DYNAMIC(name: string): SrcuDecl {
  return declare(name, true);
}

/** Every declaration of this thread (the work walks them). */
export function srcu_decls(): readonly SrcuDecl[] {
  return decls;
}

/** The view of `d` if this thread has built it. */
export function srcu_view(d: SrcuDecl): SrcuStruct | undefined {
  return views[d.slot];
}

/** Shared lock classes: one per init site, as the kernel's spin_lock_init()/mutex_init() keys. */
let classes: { sdp: LockClassKey; snp: LockClassKey; sup: LockClassKey; gp: LockClassKey; cb: LockClassKey; barrier: LockClassKey } | null = null;

function lockClasses(): NonNullable<typeof classes> {
  if (classes === null) {
    classes = {
      sdp: kapi.lockClass('&ACCESS_PRIVATE(sdp, lock)', 'spinlock', LD_WAIT.CONFIG),
      snp: kapi.lockClass('&ACCESS_PRIVATE(snp, lock)', 'spinlock', LD_WAIT.CONFIG),
      sup: kapi.lockClass('&ACCESS_PRIVATE(ssp->srcu_sup, lock)', 'spinlock', LD_WAIT.CONFIG),
      gp: kapi.lockClass('&ssp->srcu_sup->srcu_gp_mutex', 'mutex', LD_WAIT.SLEEP),
      cb: kapi.lockClass('&ssp->srcu_sup->srcu_cb_mutex', 'mutex', LD_WAIT.SLEEP),
      barrier: kapi.lockClass('&ssp->srcu_sup->srcu_barrier_mutex', 'mutex', LD_WAIT.SLEEP),
    };
  }
  return classes;
}

/**
 * The srcu_struct's lockdep map: lockdep_init_map(&ssp->dep_map, name, key, 0), wait types 0
 * (no wait-context check, printed {0:0}), a readable type whose outer wait type is the inner
 * one. Its key is the struct's own (one class per srcu_struct, as each has its own static key).
 */
function srcu_dep_map(d: SrcuDecl, word: number): LockdepMap {
  const name = d.dynamic ? `&${d.name}` : d.name;
  const key = kapi.lockClass(name, 'rwsem', LD_WAIT.INV);
  return { key, addr: word * 4, name };
}

/**
 * init_srcu_struct_fields() (through check_init_srcu_struct() or init_srcu_struct()): this
 * thread's view of `d`, creating the shared words on the guest's first use. `big` asks for the
 * srcu_node tree (SRCU_SIZE_BIG from the start: convert_to_big=1 or big_cpu_lim reached).
 */
export function srcu_struct_view(d: SrcuDecl, big: boolean, geo: RcuGeometry): SrcuStruct {
  const v = views[d.slot];
  if (v !== undefined) return v;
  const nr = kapi.nrCpuIds;
  const pfx = `srcu.${d.name}`;
  const sup = kapi.shmAlloc(`${pfx}.srcu_sup`, U_WORDS, (r) => {
    Atomics.store(r.i32, r.base + U_GP_SEQ, SRCU_GP_SEQ_INITIAL_VAL);
    Atomics.store(r.i32, r.base + U_GP_SEQ_NEEDED, SRCU_GP_SEQ_INITIAL_VAL - 1);
    Atomics.store(r.i32, r.base + U_GP_SEQ_NEEDED_EXP, SRCU_GP_SEQ_INITIAL_VAL);
    Atomics.store(r.i32, r.base + U_SIZE_STATE, big ? SRCU_SIZE_BIG : SRCU_SIZE_SMALL);
  });
  const sda = kapi.shmAlloc(`${pfx}.sda`, nr * SDP_WORDS, (r) => {
    for (let c = 0; c < nr; c++) {
      Atomics.store(r.i32, r.base + c * SDP_WORDS + D_GP_SEQ_NEEDED, SRCU_GP_SEQ_INITIAL_VAL);
      Atomics.store(r.i32, r.base + c * SDP_WORDS + D_GP_SEQ_NEEDED_EXP, SRCU_GP_SEQ_INITIAL_VAL);
    }
  });
  const nodes = kapi.shmAlloc(`${pfx}.node`, geo.nodes.length * SNP_WORDS, (r) => {
    for (let n = 0; n < geo.nodes.length; n++) {
      const b = r.base + n * SNP_WORDS;
      for (let i = 0; i < SRCU_HAVE_CBS_N; i++) Atomics.store(r.i32, b + N_HAVE_CBS + i, SRCU_SNP_INIT_SEQ);
      Atomics.store(r.i32, b + N_GP_SEQ_NEEDED_EXP, SRCU_SNP_INIT_SEQ);
    }
  });
  const k = lockClasses();
  const cblists: RcuSegCbList[] = [];
  const sdpLocks: RawSpinlock[] = [];
  for (let c = 0; c < nr; c++) {
    const cap = c === 0 ? SRCU_CBLIST_CAPACITY_CPU0 : SRCU_CBLIST_CAPACITY;
    const reg = kapi.shmAlloc(`${pfx}.cblist.${c}`, rcu_segcblist_words(cap));
    cblists.push(new RcuSegCbList(reg.i32, reg.base, cap));
    sdpLocks.push(DEFINE_RAW_SPINLOCK(`${pfx}.sdp.lock.${c}`, k.sdp));
  }
  const view: SrcuStruct = {
    decl: d,
    i32: kapi.shm,
    sup,
    sda,
    nodes,
    geo: Atomics.load(kapi.shm, sup.base + U_SIZE_STATE) === SRCU_SIZE_BIG ? geo : null,
    cblists,
    sdpLocks,
    snpLocks: geo.nodes.map((n) => DEFINE_RAW_SPINLOCK(`${pfx}.snp.lock.${n.idx}`, k.snp)),
    supLock: DEFINE_RAW_SPINLOCK(`${pfx}.sup.lock`, k.sup),
    gpMutex: DEFINE_MUTEX(`${pfx}.srcu_gp_mutex`, k.gp),
    cbMutex: DEFINE_MUTEX(`${pfx}.srcu_cb_mutex`, k.cb),
    barrierMutex: DEFINE_MUTEX(`${pfx}.srcu_barrier_mutex`, k.barrier),
    dep_map: srcu_dep_map(d, sup.base),
  };
  views[d.slot] = view;
  // Tell the work kthread's thread that this struct exists (pairs with srcu_structs_in_use()).
  Atomics.or(kapi.shm, srcu_wq_head().index + 1, 1 << d.slot);
  srcu_ring();
  return view;
}

/** The slots of the srcu_structs some CPU thread has initialised (a mask). */
export function srcu_structs_in_use(): number {
  return Atomics.load(kapi.shm, srcu_wq_head().index + 1);
}

/* ---------------- word addresses ---------------- */

/** Index of srcu_usage word `w`. */
export function uw(s: SrcuStruct, w: number): number {
  return s.sup.base + w;
}

/** Index of word `w` of CPU `cpu`'s srcu_data. */
export function dw(s: SrcuStruct, cpu: number, w: number): number {
  return s.sda.base + cpu * SDP_WORDS + w;
}

/** Index of word `w` of srcu_node `node`. */
export function nw(s: SrcuStruct, node: number, w: number): number {
  return s.nodes.base + node * SNP_WORDS + w;
}

export function ld(s: SrcuStruct, idx: number): number {
  return Atomics.load(s.i32, idx);
}

export function st(s: SrcuStruct, idx: number, v: number): void {
  Atomics.store(s.i32, idx, v);
}

/** A wait queue whose head is srcu_usage word `w`. */
export function uwq(s: SrcuStruct, w: number): WaitQueueHead {
  return { i32: s.i32, index: uw(s, w) };
}

/* ---------------- the work (queue_delayed_work(rcu_gp_wq, &sup->work, delay)) ---------------- */

/** The one SRCU work kthread's doorbell: a wait-queue head in shm, rung when work is queued. */
export function srcu_wq_head(): WaitQueueHead {
  if (wqIndex < 0) wqIndex = kapi.shmAlloc('srcu.rcu_gp_wq', 16).base;
  return { i32: kapi.shm, index: wqIndex };
}
let wqIndex = -1;

/**
 * queue_delayed_work(): make the struct's process_srcu() due in `delay` jiffies, unless it is
 * already due sooner. The CAS publishes the due time to the work kthread (pairs with its
 * Atomics.load in srcu_work_due()); the ring that follows wakes it.
 */
export function srcu_queue_work(s: SrcuStruct, delay: number): void {
  const due = (kapi.jiffies() + delay + 1) | 0;
  const w = uw(s, U_WORK_DUE);
  for (;;) {
    const cur = Atomics.load(s.i32, w);
    if (cur !== 0 && ((cur - due) | 0) <= 0) return;
    if (Atomics.compareExchange(s.i32, w, cur, due) === cur) break;
  }
  srcu_ring();
}

/** Ring the work kthread: count the ring (its sleep re-plans on any new ring), then wake it. */
function srcu_ring(): void {
  const wq = srcu_wq_head();
  Atomics.add(wq.i32, wq.index + 2, 1);
  kapi.wakeUp(wq);
}

/** srcu_schedule_cbs_sdp(): the work must look for ready callbacks (set, then ring: pairs with the work's exchange). */
export function srcu_schedule_cbs(s: SrcuStruct): void {
  Atomics.store(s.i32, uw(s, U_CBS_PENDING), 1);
  srcu_ring();
}
