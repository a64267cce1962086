/*
 * rcutorture's shared state (the globals of kernel/rcu/rcutorture.c): the counters and the pool
 * of RCU_TORTURE_PIPE_LEN-aged elements in shared memory, the writer-state word, the per-CPU
 * reader histograms, and the element and slab-cache helpers every rcutorture task uses. One
 * file so that the writer, readers, barrier test and stats (rcu_torture_*.ts beside it) read one
 * layout; rcu_torture.ts boots it (setTorture()).
 */

import { kapi, type ShmRegion, type WaitQueueHead } from '../kapi.js';
import { WARN_ON } from '../../kernels/bug.js';
import { torture_must_stop } from './common.js';
import { spin_lock_bh, spin_unlock_bh, type Spinlock } from '../../kernels/locking/spinlock.js';
import type { RcuCallback } from '../../kernels/rcu/rcu_callback.js';
import type { RcuTortureOps } from '../../kernels/rcu/rcu_torture_ops.js';
import { kmem_cache_alloc, kmem_cache_create, kmem_cache_free } from '../../kernels/mm/slab_common.js';
import { slub_cache_by_slot, type KmemCache } from '../../kernels/mm/slub.js';

export const RCU_TORTURE_PIPE_LEN = 10;
export const N_ELEMS = 10 * RCU_TORTURE_PIPE_LEN;

/** The parameters rcutorture honours (declared and read in rcu_torture.ts). */
export interface RcuTortureParams {
  readonly torture_type: string;
  readonly nreaders: number;
  readonly nfakewriters: number;
  readonly stat_interval: number;
  readonly verbose: number;
  readonly test_no_idle_hz: boolean;
  readonly shuffle_interval: number;
  readonly stutter: number;
  readonly irqreader: number;
  readonly fqs_duration: number;
  readonly fqs_holdoff: number;
  readonly fqs_stutter: number;
  readonly shutdown_secs: number;
  readonly stall_cpu: number;
  readonly stall_cpu_holdoff: number;
  readonly stall_cpu_irqsoff: number;
  readonly stall_cpu_block: number;
  readonly stall_cpu_repeat: number;
  readonly stall_gp_kthread: number;
  readonly n_barrier_cbs: number;
  readonly onoff_interval: number;
  readonly onoff_holdoff: number;
  readonly read_exit_delay: number;
  readonly read_exit_burst: number;
  readonly fwd_progress: number;
  readonly fwd_progress_div: number;
  readonly fwd_progress_holdoff: number;
  readonly fwd_progress_need_resched: boolean;
  readonly test_fwd_gp_stall: number;
  readonly test_fwd_oom: number;
  readonly gp_cond: boolean;
  readonly gp_exp: boolean;
  readonly gp_normal: boolean;
  readonly gp_poll: boolean;
  readonly gp_sync: boolean;
}

/* ---------------- shared state ---------------- */

export const T_CURRENT = 0;
export const T_VERSION = 1;
export const T_FREELIST = 2;
export const T_ALLOC = 3;
export const T_ALLOC_FAIL = 4;
export const T_FREE = 5;
export const T_MBERROR = 6;
export const T_ERROR = 7;
export const T_BARRIER_ERROR = 8;
export const T_BARRIER_ATTEMPTS = 9;
export const T_BARRIER_SUCCESSES = 10;
export const T_BARRIER_INVOKED = 11;
export const T_BARRIER_COUNT = 12;
export const T_BARRIER_PHASE = 13;
export const T_BARRIER_WQ = 14;
export const T_BARRIER_CBS_WQ = 15;
export const T_WRITER_STATE = 16;
export const T_WCOUNT = 20; // 11 words
export const T_START_GP = 32;
export const T_WARNED = 33;
export const T_FAILED_NOTED = 34;
/** Slots of rcutorture's two slab caches (-1 until the writer created them). */
export const T_PAYLOAD_SLOT = 35;
export const T_RDR_SLOT = 36;
/** Reader objects allocated and not yet freed by their RCU callback (bounded by RDR_MAX_OUTSTANDING). */
export const T_RDR_OUTSTANDING = 37;
export const T_RDR_ALLOCS = 38;
/** rcu_fwd_cb_nodelay: nonzero while a forward-progress test runs (no long reader delays, no GP debug delays). */
export const T_FWD_NODELAY = 39;
/** n_read_exits: read-exit children reaped (rcu_torture_read_exit.ts). */
export const T_READ_EXITS = 40;
/** The read-exit child's kthread_should_stop() (one child at a time): 1 once its parent stops it. */
export const T_READ_EXIT_CHILD_STOP = 41;
export const T_WORDS = 48;

export const E_PIPE = 0;
export const E_MBTEST = 1;
export const E_NEXT = 2;
/** The element's payload: a slab object (byte address, 0 for none) holding the element's number. */
export const E_PAYLOAD = 3;
export const ELEM_WORDS = 16;

/*
 * Slab allocations (configs/rcu/README.md, "Work on every CPU"). The writer gives each element it
 * publishes a payload from the `rcu_torture_payload` cache, and the payload is freed with the
 * element, so a reader that finds the payload no longer naming its element saw it freed and
 * reused under it (counted as rtmbe). Each reader, every RDR_ALLOC_EVERY reads, task and timer
 * handler alike, allocates a small object from `rcu_torture_rdr` on the CPU it runs on and hands
 * it to call_rcu(), whose callback frees it on whichever CPU invokes it (a remote free when
 * callbacks migrated). So every reader CPU has an rcu_torture_rdr slab in its kmem_cache_cpu
 * (and the writer's CPU a payload slab) and callbacks queued when it goes offline:
 * slub_cpu_dead() and rcutree_migrate_callbacks() have real work. One object per 64 reads costs
 * readers under 1% (an alloc + call_rcu() is some 4-5 us, a read some 13 us in a 4-CPU guest on a
 * loaded 2-core host: configs/rcu/README.md); the outstanding objects are bounded
 * (RDR_MAX_OUTSTANDING) so that a long grace period can fill neither the cache nor one CPU's
 * callback list, even after all of them migrate to one CPU.
 */
export const RDR_ALLOC_EVERY = 64;
export const RDR_MAX_OUTSTANDING = 2048;
export const RDR_OBJ_BYTES = 32;
export const PAYLOAD_BYTES = 64;

/** Per-CPU reader statistics as Float64 (they outgrow Int32 in long runs): pipe, batch, nt. */
export const PC_PIPE = 0;
export const PC_BATCH = 11;
export const PC_TIMERS = 22;
export const PC_DOUBLES = 32;

export const RTWS_NAMES = [
  'RTWS_FIXED_DELAY',
  'RTWS_DELAY',
  'RTWS_REPLACE',
  'RTWS_DEF_FREE',
  'RTWS_EXP_SYNC',
  'RTWS_COND_GET',
  'RTWS_COND_SYNC',
  'RTWS_POLL_GET',
  'RTWS_POLL_WAIT',
  'RTWS_SYNC',
  'RTWS_STUTTER',
  'RTWS_STOPPING',
] as const;
export type RtwsName = (typeof RTWS_NAMES)[number];

export type SyncType = 'RTWS_DEF_FREE' | 'RTWS_EXP_SYNC' | 'RTWS_COND_GET' | 'RTWS_POLL_GET' | 'RTWS_SYNC';

export interface Torture {
  readonly p: RcuTortureParams;
  readonly ops: RcuTortureOps;
  readonly st: ShmRegion;
  readonly elems: ShmRegion;
  readonly perCpu: Float64Array;
  readonly lock: Spinlock;
  readonly nrealreaders: number;
  readonly nrealfakewriters: number;
  readonly synctypes: readonly SyncType[];
  readonly cb: RcuCallback;
  readonly barrierCb: RcuCallback;
  readonly rdrCb: RcuCallback;
  readonly hotplug: boolean;
  /** This thread's handles on the shared caches, once the writer has created them. */
  payloadCache: KmemCache | null;
  rdrCache: KmemCache | null;
}

let T: Torture | null = null;

/** The shared regions of the test (every CPU maps the same ones; the first initialises them). */
export function rcu_torture_shm(n: number): { st: ShmRegion; elems: ShmRegion; perCpu: Float64Array } {
  const st = kapi.shmAlloc('rcu_torture', T_WORDS, (reg) => {
    Atomics.store(reg.i32, reg.base + T_CURRENT, -1);
    Atomics.store(reg.i32, reg.base + T_FREELIST, -1);
    Atomics.store(reg.i32, reg.base + T_PAYLOAD_SLOT, -1);
    Atomics.store(reg.i32, reg.base + T_RDR_SLOT, -1);
  });
  const elems = kapi.shmAlloc('rcu_tortures', N_ELEMS * ELEM_WORDS, (reg) => {
    // The free list: element k links to k+1, the last to -1; its head is element 0.
    for (let e = 0; e < N_ELEMS; e++) Atomics.store(reg.i32, reg.base + e * ELEM_WORDS + E_NEXT, e + 1 < N_ELEMS ? e + 1 : -1);
    Atomics.store(reg.i32, st.base + T_FREELIST, 0);
  });
  const pc = kapi.shmAlloc('rcu_torture_count', n * PC_DOUBLES * 2);
  return { st, elems, perCpu: new Float64Array(kapi.shm.buffer, pc.base * 4, n * PC_DOUBLES) };
}

/** Boot: this thread's view of the test (rcu_torture.ts). */
export function setTorture(t: Torture): void {
  T = t;
}

export function tt(): Torture {
  if (T === null) throw new Error('rcutorture used before boot');
  return T;
}

/**
 * The optional ops member `name` of the flavour under test, where the caller knows it is there
 * (the writer's synctypes hold only primitives the flavour has: computeSynctypes() in rcu_torture.ts).
 */
export function op<K extends keyof RcuTortureOps>(name: K): NonNullable<RcuTortureOps[K]> {
  const f = tt().ops[name];
  if (f === undefined) throw new Error(`rcutorture: torture_type ${tt().ops.name} has no ${name}`);
  return f as NonNullable<RcuTortureOps[K]>;
}

export function sw(w: number): number {
  return tt().st.base + w;
}

export function ew(e: number, w: number): number {
  return tt().elems.base + e * ELEM_WORDS + w;
}

export function load(i: number): number {
  return Atomics.load(kapi.shm, i);
}

export function wq(i: number): WaitQueueHead {
  return { i32: kapi.shm, index: i };
}

export function setWriterState(s: RtwsName): void {
  Atomics.store(kapi.shm, sw(T_WRITER_STATE), RTWS_NAMES.indexOf(s));
}

/* ---------------- elements ---------------- */

/** rcu_torture_alloc(): take an element off the free list, or -1. */
export function rcu_torture_alloc(): number {
  const t = tt();
  const i32 = kapi.shm;
  spin_lock_bh(t.lock);
  const head = i32[sw(T_FREELIST)] ?? -1;
  if (head < 0) {
    Atomics.add(i32, sw(T_ALLOC_FAIL), 1);
    spin_unlock_bh(t.lock);
    return -1;
  }
  Atomics.add(i32, sw(T_ALLOC), 1);
  i32[sw(T_FREELIST)] = i32[ew(head, E_NEXT)] ?? -1;
  spin_unlock_bh(t.lock);
  return head;
}

/** rcu_torture_free(): back on the free list, its payload back to its cache (on this CPU). */
export function rcu_torture_free(e: number): void {
  const t = tt();
  const i32 = kapi.shm;
  const pl = Atomics.load(i32, ew(e, E_PAYLOAD));
  const pc = payloadCache();
  if (pl !== 0 && pc !== null) {
    Atomics.store(i32, ew(e, E_PAYLOAD), 0);
    kmem_cache_free(pc, pl);
  }
  Atomics.add(i32, sw(T_FREE), 1);
  spin_lock_bh(t.lock);
  i32[ew(e, E_NEXT)] = i32[sw(T_FREELIST)] ?? -1;
  i32[sw(T_FREELIST)] = e;
  spin_unlock_bh(t.lock);
}

/** rcu_torture_pipe_update_one(): age by one GP; true when it has reached the end of the pipe. */
export function rcu_torture_pipe_update_one(e: number): boolean {
  const i32 = kapi.shm;
  let i = Atomics.load(i32, ew(e, E_PIPE));
  if (i > RCU_TORTURE_PIPE_LEN) i = RCU_TORTURE_PIPE_LEN;
  Atomics.add(i32, sw(T_WCOUNT + i), 1);
  Atomics.store(i32, ew(e, E_PIPE), i + 1);
  if (i + 1 >= RCU_TORTURE_PIPE_LEN) {
    Atomics.store(i32, ew(e, E_MBTEST), 0);
    return true;
  }
  return false;
}

/** The writer's removed list (the writer is the only user, on CPU 0). */
export const rcu_torture_removed: number[] = [];

/** rcu_torture_pipe_update(): after a synchronous GP, age every removed element. */
export function rcu_torture_pipe_update(old: number): void {
  if (old >= 0) rcu_torture_removed.push(old);
  for (let k = rcu_torture_removed.length - 1; k >= 0; k--) {
    const e = rcu_torture_removed[k] as number;
    if (rcu_torture_pipe_update_one(e)) {
      rcu_torture_removed.splice(k, 1);
      rcu_torture_free(e);
    }
  }
}

/** rcu_torture_cb(): the deferred-free callback: age, then free or re-queue. */
export function rcu_torture_cb(e: number): void {
  if (torture_must_stop()) return; // Test is ending, just drop callbacks on the floor.
  if (rcu_torture_pipe_update_one(e)) rcu_torture_free(e);
  else op('call')(e, tt().cb);
}

/* ---------------- slab caches ---------------- */

/** The cache in shared slot word `w`, looked up once per thread after its creation. */
export function sharedCache(w: number): KmemCache | null {
  const slot = Atomics.load(kapi.shm, sw(w));
  return slot < 0 ? null : slub_cache_by_slot(slot);
}

export function payloadCache(): KmemCache | null {
  const t = tt();
  t.payloadCache ??= sharedCache(T_PAYLOAD_SLOT);
  return t.payloadCache;
}

export function rdrCache(): KmemCache | null {
  const t = tt();
  t.rdrCache ??= sharedCache(T_RDR_SLOT);
  return t.rdrCache;
}

/** The reader object's RCU callback: free it on the CPU invoking the callback. */
export function rcu_torture_rdr_free(obj: number): void {
  const c = rdrCache();
  if (c === null) return;
  kmem_cache_free(c, obj);
  Atomics.sub(kapi.shm, sw(T_RDR_OUTSTANDING), 1);
}

/**
 * A reader's allocation (every RDR_ALLOC_EVERY reads): an object from this CPU's slab, stamped
 * with the read's pipe age and handed to call_rcu() of the flavour under test. Task or softirq.
 */
export function rcu_torture_rdr_alloc(pipe: number): void {
  const t = tt();
  const c = rdrCache();
  // A flavour without call_rcu() (tasks-rude) has no way to free the object after its readers.
  if (c === null || t.ops.call === undefined) return;
  const i32 = kapi.shm;
  if (Atomics.add(i32, sw(T_RDR_OUTSTANDING), 1) >= RDR_MAX_OUTSTANDING) {
    Atomics.sub(i32, sw(T_RDR_OUTSTANDING), 1);
    return;
  }
  const obj = kmem_cache_alloc(c);
  if (obj === 0) {
    Atomics.sub(i32, sw(T_RDR_OUTSTANDING), 1);
    return;
  }
  i32[obj / 4] = kapi.smpProcessorId();
  i32[obj / 4 + 1] = pipe;
  Atomics.add(i32, sw(T_RDR_ALLOCS), 1);
  t.ops.call(obj, t.rdrCb);
}

/** The writer creates rcutorture's caches before its first element (kmem_cache_create sleeps). */
export async function rcu_torture_create_caches(): Promise<void> {
  const pc = await kmem_cache_create('rcu_torture_payload', PAYLOAD_BYTES, 8, 0, null);
  const rc = await kmem_cache_create('rcu_torture_rdr', RDR_OBJ_BYTES, 8, 0, null);
  if (pc === null || rc === null) {
    WARN_ON(true);
    return;
  }
  // The caches are open before their slots are published: pairs with sharedCache()'s load.
  Atomics.store(kapi.shm, sw(T_PAYLOAD_SLOT), pc.slot);
  Atomics.store(kapi.shm, sw(T_RDR_SLOT), rc.slot);
}
