/*
 * rcutorture (kernel/rcu/rcutorture.c, 2021 shape): a guest module that tortures an RCU flavour
 * (`rcu` = kernels/rcu/tree.ts, or the deliberately broken `busted`) and reports in the kernel's
 * formats.
 *
 * The check: a pool of 10 * RCU_TORTURE_PIPE_LEN elements in shm. The writer publishes one as
 * rcu_torture_current, then ages the element it replaced one step per grace period (through
 * call_rcu() callbacks or a synchronous primitive and rcu_torture_pipe_update()); at
 * RCU_TORTURE_PIPE_LEN it is freed. A reader that finds an element of age >= 2 inside one
 * read-side critical section saw a grace period end under it: the stats task prints `!!!`, counts
 * an error, and the run ends `End of test: FAILURE`.
 *
 * Tasks (they migrate, and torture_shuffle moves them; the system kthreads start spread over the
 * CPUs by torture_spread_here(), the readers and fakewriters start on CPUs 1..):
 * rcu_torture_writer, nfakewriters rcu_torture_fakewriter, nreaders rcu_torture_reader (plus a
 * timer-handler reader each with irqreader), rcu_torture_stats, the n_barrier_cbs rcu_barrier()
 * test, and torture.c's onoff, shuffle, stutter and shutdown.
 *
 * Slab: the writer's elements carry a slab payload and readers allocate a small object every
 * RDR_ALLOC_EVERY reads and free it through call_rcu(), on whatever CPU they run, so that CPU
 * offline has per-CPU slabs to flush and callbacks to migrate (see the E_PAYLOAD comment below).
 *
 * rcu_torture_stats runs the mem_dump_obj() slab test (kmem_cache_create("rcuscale", 136, 8,
 * SLAB_STORE_USER, NULL)) after every stats print, not once at cleanup as the kernel does, so
 * that a short run takes the seed's create path while hotplug is active (configs/rcu/README.md);
 * with hotplug it waits for the first completed offline, which keeps the kernel's order.
 *
 * Not modelled: priority boosting, read_exit, NOCB toggling, forward-progress tests,
 * stall_gp_kthread (the CPU-stall test is rcu_torture_stall.ts), reader "extendables", rtmbkf
 * reader-check mailboxes, and the udelay()s of the writer (they only burn CPU). Their parameters
 * are declared refused below, so a run cannot appear to test them.
 */

import { ModuleParams } from '../../kernels/moduleparam.js';
import { HZ, kapi, type ShmRegion, type TimerList, type WaitQueueHead } from '../kapi.js';
import { WARN, WARN_ON } from '../../kernels/bug.js';
import {
  VERBOSE_TOROUT_STRING,
  stutter_wait,
  torture_cleanup_begin,
  torture_cleanup_end,
  torture_create_kthread,
  torture_init_begin,
  torture_init_end,
  torture_kthread_stopping,
  torture_must_stop,
  torture_onoff_failures,
  torture_onoff_init,
  torture_onoff_counts,
  torture_onoff_stats,
  torture_random,
  torture_random_state,
  torture_shuffle_init,
  torture_shutdown_init,
  torture_sleep_interruptible,
  torture_spread_here,
  torture_stutter_init,
  type TortureRandomState,
} from './common.js';
import { spin_lock_bh, spin_unlock_bh, DEFINE_SPINLOCK, type Spinlock } from '../../kernels/locking/spinlock.js';
import { rcu_callback, type RcuCallback } from '../../kernels/rcu/rcu_callback.js';
import { RCU_TORTURE_TYPES, rcu_torture_ops_of, type RcuTortureOps } from '../../kernels/rcu/rcu_torture_ops.js';
import { rcu_all_qs, rcu_flavor_name, rcu_gp_state_name, rcu_init, rcutree_migrate_stats } from '../../kernels/rcu/tree.js';
import { kmem_cache_alloc, kmem_cache_create, kmem_cache_destroy, kmem_cache_free, mem_dump_obj, pointer_px, SLAB_STORE_USER, ZERO_SIZE_PTR } from '../../kernels/mm/slab_common.js';
import { slub_cache_by_slot, slub_cpu_dead_stats, slub_init, type KmemCache } from '../../kernels/mm/slub.js';
import { rcu_early_boot_tests } from '../../kernels/rcu/update.js';
import { rcu_torture_stall_init } from './rcu_torture_stall.js';

export const RCU_TORTURE_PIPE_LEN = 10;
const N_ELEMS = 10 * RCU_TORTURE_PIPE_LEN;

/* ---------------- parameters (torture_param) ---------------- */

/*
 * Declared in the order of the kernel's rcu_torture_print_module_parms(), which the `Start of
 * test` line follows (print_words()); the kernel's other torture_param()s after them. A parameter
 * this model lacks is refused: setting it is bad input naming it (configs/rcu/README.md lists them).
 */
export const rcutorture_params = new ModuleParams('rcutorture', ['rcu']);
const rp = rcutorture_params;
const nreaders = rp.param('int', 'nreaders', -1, 'Number of RCU reader threads');
const nfakewriters = rp.param('int', 'nfakewriters', 4, 'Number of RCU fake writer threads');
const stat_interval = rp.param('int', 'stat_interval', 60, 'Number of seconds between stats printk()s', { min: 0 });
const verbose = rp.param('int', 'verbose', 1, 'Enable verbose debugging printk()s', { min: 0 });
const test_no_idle_hz = rp.param('bool', 'test_no_idle_hz', true, 'Test support for tickless idle CPUs');
const shuffle_interval = rp.param('int', 'shuffle_interval', 3, 'Number of seconds between shuffles', { min: 0 });
const stutter = rp.param('int', 'stutter', 5, 'Number of seconds to run/halt test', { min: 0 });
const irqreader = rp.param('int', 'irqreader', 1, 'Allow RCU readers from irq handlers', { min: 0 });
const shutdown_secs = rp.param('int', 'shutdown_secs', 0, 'Shutdown time (s), <= zero to disable.', { min: 0 });
const stall_cpu = rp.param('int', 'stall_cpu', 0, 'Stall duration (s), zero to disable.', { min: 0 });
const stall_cpu_holdoff = rp.param('int', 'stall_cpu_holdoff', 10, 'Time to wait before starting stall (s).', { min: 0 });
const stall_cpu_irqsoff = rp.param('int', 'stall_cpu_irqsoff', 0, 'Disable interrupts while stalling.', { min: 0 });
const stall_cpu_block = rp.param('int', 'stall_cpu_block', 0, 'Sleep while stalling.', { min: 0 });
const stall_cpu_repeat = rp.param('int', 'stall_cpu_repeat', 0, 'Number of additional stalls after the first one.', { min: 0 });
const n_barrier_cbs = rp.param('int', 'n_barrier_cbs', 0, '# of callbacks/kthreads for barrier testing', { min: 0 });
const onoff_interval = rp.param('int', 'onoff_interval', 0, 'Time between CPU hotplugs (jiffies), 0=disable', { min: 0 });
const onoff_holdoff = rp.param('int', 'onoff_holdoff', 0, 'Time after boot before CPU hotplugs (s)', { min: 0 });
const torture_type = rp.param('charp', 'torture_type', 'rcu', 'Type of RCU to torture (rcu, busted, ...)', { values: RCU_TORTURE_TYPES, quiet: true });
const gp_cond = rp.param('bool', 'gp_cond', false, 'Use conditional/async GP wait primitives', { quiet: true });
const gp_exp = rp.param('bool', 'gp_exp', false, 'Use expedited GP wait primitives', { quiet: true });
const gp_normal = rp.param('bool', 'gp_normal', false, 'Use normal (non-expedited) GP wait primitives', { quiet: true });
const gp_poll = rp.param('bool', 'gp_poll', false, 'Use polling GP wait primitives', { quiet: true });
const gp_sync = rp.param('bool', 'gp_sync', false, 'Use synchronous GP wait primitives', { quiet: true });
for (const name of ['fqs_duration', 'fqs_holdoff', 'fqs_stutter']) rp.refuse('int', name, 'force-quiescent-state bursts');
for (const name of ['test_boost', 'test_boost_interval', 'test_boost_duration', 'test_boost_holdoff']) rp.refuse('int', name, 'priority boosting');
for (const name of ['fwd_progress', 'fwd_progress_holdoff', 'fwd_progress_div']) rp.refuse('int', name, 'the forward-progress tests');
for (const name of ['gp_cond_full', 'gp_cond_exp', 'gp_cond_exp_full', 'gp_poll_full', 'gp_poll_exp', 'gp_poll_exp_full']) {
  rp.refuse('bool', name, 'the full-state and expedited polled GP primitives');
}
rp.refuse('int', 'stall_gp_kthread', 'the grace-period kthread stall (the CPU stall is rcu_torture_stall.ts)');
for (const name of ['read_exit_delay', 'read_exit_burst']) rp.refuse('int', name, 'the read-exit test');
for (const name of ['nocbs_nthreads', 'nocbs_toggle']) rp.refuse('int', name, 'callback-offload toggling');
rp.refuse('bool', 'object_debug', 'the debug-objects test');
rp.refuse('int', 'extendables', 'extended readers');
rp.refuse('bool', 'leakpointer', 'the leaked-pointer test');
rp.refuse('int', 'reader_flavor', 'SRCU reader flavours');
rp.refuse('int', 'test_nmis', 'NMI readers');
rp.refuse('int', 'test_srcu_lockdep', 'the SRCU lockdep test');
for (const name of ['preempt_duration', 'preempt_interval']) rp.refuse('int', name, 'the preemption kthread');

interface Params {
  readonly torture_type: string;
  readonly nreaders: number;
  readonly nfakewriters: number;
  readonly stat_interval: number;
  readonly verbose: number;
  readonly test_no_idle_hz: boolean;
  readonly shuffle_interval: number;
  readonly stutter: number;
  readonly irqreader: number;
  readonly shutdown_secs: number;
  readonly stall_cpu: number;
  readonly stall_cpu_holdoff: number;
  readonly stall_cpu_irqsoff: number;
  readonly stall_cpu_block: number;
  readonly stall_cpu_repeat: number;
  readonly n_barrier_cbs: number;
  readonly onoff_interval: number;
  readonly onoff_holdoff: number;
  readonly gp_cond: boolean;
  readonly gp_exp: boolean;
  readonly gp_normal: boolean;
  readonly gp_poll: boolean;
  readonly gp_sync: boolean;
}

/** The honoured parameters, read at boot (module load must not touch kapi: the driver imports this file). */
function readParams(): Params {
  return {
    torture_type: torture_type.get(),
    nreaders: nreaders.get(),
    nfakewriters: nfakewriters.get(),
    stat_interval: stat_interval.get(),
    verbose: verbose.get(),
    test_no_idle_hz: test_no_idle_hz.get(),
    shuffle_interval: shuffle_interval.get(),
    stutter: stutter.get(),
    irqreader: irqreader.get(),
    shutdown_secs: shutdown_secs.get(),
    stall_cpu: stall_cpu.get(),
    stall_cpu_holdoff: stall_cpu_holdoff.get(),
    stall_cpu_irqsoff: stall_cpu_irqsoff.get(),
    stall_cpu_block: stall_cpu_block.get(),
    stall_cpu_repeat: stall_cpu_repeat.get(),
    n_barrier_cbs: n_barrier_cbs.get(),
    onoff_interval: onoff_interval.get(),
    onoff_holdoff: onoff_holdoff.get(),
    gp_cond: gp_cond.get(),
    gp_exp: gp_exp.get(),
    gp_normal: gp_normal.get(),
    gp_poll: gp_poll.get(),
    gp_sync: gp_sync.get(),
  };
}

/* ---------------- shared state ---------------- */

const T_CURRENT = 0;
const T_VERSION = 1;
const T_FREELIST = 2;
const T_ALLOC = 3;
const T_ALLOC_FAIL = 4;
const T_FREE = 5;
const T_MBERROR = 6;
const T_ERROR = 7;
const T_BARRIER_ERROR = 8;
const T_BARRIER_ATTEMPTS = 9;
const T_BARRIER_SUCCESSES = 10;
const T_BARRIER_INVOKED = 11;
const T_BARRIER_COUNT = 12;
const T_BARRIER_PHASE = 13;
const T_BARRIER_WQ = 14;
const T_BARRIER_CBS_WQ = 15;
const T_WRITER_STATE = 16;
const T_WCOUNT = 20; // 11 words
const T_START_GP = 32;
const T_WARNED = 33;
const T_FAILED_NOTED = 34;
/** Slots of rcutorture's two slab caches (-1 until the writer created them). */
const T_PAYLOAD_SLOT = 35;
const T_RDR_SLOT = 36;
/** Reader objects allocated and not yet freed by their RCU callback (bounded by RDR_MAX_OUTSTANDING). */
const T_RDR_OUTSTANDING = 37;
const T_RDR_ALLOCS = 38;
const T_WORDS = 48;

const E_PIPE = 0;
const E_MBTEST = 1;
const E_NEXT = 2;
/** The element's payload: a slab object (byte address, 0 for none) holding the element's number. */
const E_PAYLOAD = 3;
const ELEM_WORDS = 16;

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
const RDR_ALLOC_EVERY = 64;
const RDR_MAX_OUTSTANDING = 2048;
const RDR_OBJ_BYTES = 32;
const PAYLOAD_BYTES = 64;

/** Per-CPU reader statistics as Float64 (they outgrow Int32 in long runs): pipe, batch, nt. */
const PC_PIPE = 0;
const PC_BATCH = 11;
const PC_TIMERS = 22;
const PC_DOUBLES = 32;

const RTWS_NAMES = [
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
type RtwsName = (typeof RTWS_NAMES)[number];

type SyncType = 'RTWS_DEF_FREE' | 'RTWS_EXP_SYNC' | 'RTWS_COND_GET' | 'RTWS_POLL_GET' | 'RTWS_SYNC';

interface Torture {
  readonly p: Params;
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

function tt(): Torture {
  if (T === null) throw new Error('rcutorture used before boot');
  return T;
}

function sw(w: number): number {
  return tt().st.base + w;
}

function ew(e: number, w: number): number {
  return tt().elems.base + e * ELEM_WORDS + w;
}

function load(i: number): number {
  return Atomics.load(kapi.shm, i);
}

function wq(i: number): WaitQueueHead {
  return { i32: kapi.shm, index: i };
}

function setWriterState(s: RtwsName): void {
  Atomics.store(kapi.shm, sw(T_WRITER_STATE), RTWS_NAMES.indexOf(s));
}


/* ---------------- elements ---------------- */

/** rcu_torture_alloc(): take an element off the free list, or -1. */
function rcu_torture_alloc(): number {
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
function rcu_torture_free(e: number): void {
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
function rcu_torture_pipe_update_one(e: number): boolean {
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
const rcu_torture_removed: number[] = [];

/** rcu_torture_pipe_update(): after a synchronous GP, age every removed element. */
function rcu_torture_pipe_update(old: number): void {
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
function rcu_torture_cb(e: number): void {
  if (torture_must_stop()) return; // Test is ending, just drop callbacks on the floor.
  if (rcu_torture_pipe_update_one(e)) rcu_torture_free(e);
  else tt().ops.call(e, tt().cb);
}

/* ---------------- slab caches ---------------- */

/** The cache in shared slot word `w`, looked up once per thread after its creation. */
function sharedCache(w: number): KmemCache | null {
  const slot = Atomics.load(kapi.shm, sw(w));
  return slot < 0 ? null : slub_cache_by_slot(slot);
}

function payloadCache(): KmemCache | null {
  const t = tt();
  t.payloadCache ??= sharedCache(T_PAYLOAD_SLOT);
  return t.payloadCache;
}

function rdrCache(): KmemCache | null {
  const t = tt();
  t.rdrCache ??= sharedCache(T_RDR_SLOT);
  return t.rdrCache;
}

/** The reader object's RCU callback: free it on the CPU invoking the callback. */
function rcu_torture_rdr_free(obj: number): void {
  const c = rdrCache();
  if (c === null) return;
  kmem_cache_free(c, obj);
  Atomics.sub(kapi.shm, sw(T_RDR_OUTSTANDING), 1);
}

/**
 * A reader's allocation (every RDR_ALLOC_EVERY reads): an object from this CPU's slab, stamped
 * with the read's pipe age and handed to call_rcu() of the flavour under test. Task or softirq.
 */
function rcu_torture_rdr_alloc(pipe: number): void {
  const t = tt();
  const c = rdrCache();
  if (c === null) return;
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
async function rcu_torture_create_caches(): Promise<void> {
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

/* ---------------- writer ---------------- */

async function rcu_torture_writer(): Promise<void> {
  const t = tt();
  const i32 = kapi.shm;
  const rand = torture_random_state();
  VERBOSE_TOROUT_STRING('rcu_torture_writer task started');
  if (t.synctypes.length === 0) {
    VERBOSE_TOROUT_STRING('rcu_torture_writer: No update-side primitives.');
  }
  await rcu_torture_create_caches();
  do {
    setWriterState('RTWS_FIXED_DELAY');
    await kapi.scheduleTimeout(1);
    const rp = rcu_torture_alloc();
    if (rp < 0) continue;
    Atomics.store(i32, ew(rp, E_PIPE), 0);
    // The payload, from this CPU's slab of rcu_torture_payload, names its element.
    const pc = payloadCache();
    const pl = pc === null ? 0 : kmem_cache_alloc(pc);
    if (pl !== 0) Atomics.store(i32, pl / 4, rp);
    Atomics.store(i32, ew(rp, E_PAYLOAD), pl);
    setWriterState('RTWS_DELAY');
    setWriterState('RTWS_REPLACE');
    const old = Atomics.load(i32, sw(T_CURRENT));
    Atomics.store(i32, ew(rp, E_MBTEST), 1);
    // rcu_assign_pointer(): the element's fields are stored before it is published; pairs with
    // the Atomics.load of T_CURRENT in rcu_torture_one_read().
    Atomics.store(i32, sw(T_CURRENT), rp);
    if (old >= 0 && t.synctypes.length > 0) {
      let i = Atomics.load(i32, ew(old, E_PIPE));
      if (i > RCU_TORTURE_PIPE_LEN) i = RCU_TORTURE_PIPE_LEN;
      Atomics.add(i32, sw(T_WCOUNT + i), 1);
      Atomics.store(i32, ew(old, E_PIPE), Atomics.load(i32, ew(old, E_PIPE)) + 1);
      const st = t.synctypes[torture_random(rand) % t.synctypes.length] as SyncType;
      switch (st) {
        case 'RTWS_DEF_FREE':
          setWriterState('RTWS_DEF_FREE');
          t.ops.call(old, t.cb);
          break;
        case 'RTWS_EXP_SYNC':
          setWriterState('RTWS_EXP_SYNC');
          await t.ops.exp_sync();
          rcu_torture_pipe_update(old);
          break;
        case 'RTWS_COND_GET': {
          setWriterState('RTWS_COND_GET');
          const snap = t.ops.get_gp_state();
          const j = torture_random(rand) % 16;
          if (j !== 0) await kapi.scheduleTimeout(j);
          setWriterState('RTWS_COND_SYNC');
          await t.ops.cond_sync(snap);
          rcu_torture_pipe_update(old);
          break;
        }
        case 'RTWS_POLL_GET': {
          setWriterState('RTWS_POLL_GET');
          const snap = t.ops.start_gp_poll();
          setWriterState('RTWS_POLL_WAIT');
          // No torture_must_stop() escape here: aging `old` without a full GP would be the very
          // bug the pipe check looks for. GPs keep running during shutdown.
          while (!t.ops.poll_gp_state(snap)) await kapi.scheduleTimeout(1);
          rcu_torture_pipe_update(old);
          break;
        }
        case 'RTWS_SYNC':
          setWriterState('RTWS_SYNC');
          await t.ops.sync();
          rcu_torture_pipe_update(old);
          break;
      }
    }
    Atomics.add(i32, sw(T_VERSION), 1);
    setWriterState('RTWS_STUTTER');
    await stutter_wait('rcu_torture_writer');
  } while (!torture_must_stop());
  setWriterState('RTWS_STOPPING');
  Atomics.store(i32, sw(T_CURRENT), -1); // Let stats task know that we are done.
  torture_kthread_stopping('rcu_torture_writer');
}

async function rcu_torture_fakewriter(): Promise<void> {
  const t = tt();
  const rand = torture_random_state();
  VERBOSE_TOROUT_STRING('rcu_torture_fakewriter task started');
  do {
    await kapi.scheduleTimeout(1 + (torture_random(rand) % 10));
    if (torture_random(rand) % (t.nrealfakewriters * 8) === 0) {
      await t.ops.cb_barrier();
    } else if (t.synctypes.length > 0) {
      const st = t.synctypes[torture_random(rand) % t.synctypes.length] as SyncType;
      switch (st) {
        case 'RTWS_DEF_FREE':
          break;
        case 'RTWS_EXP_SYNC':
          await t.ops.exp_sync();
          break;
        case 'RTWS_COND_GET': {
          const snap = t.ops.get_gp_state();
          const j = torture_random(rand) % 16;
          if (j !== 0) await kapi.scheduleTimeout(j);
          await t.ops.cond_sync(snap);
          break;
        }
        case 'RTWS_POLL_GET': {
          const snap = t.ops.start_gp_poll();
          while (!t.ops.poll_gp_state(snap) && !torture_must_stop()) await kapi.scheduleTimeout(1 + (torture_random(rand) % 16));
          break;
        }
        case 'RTWS_SYNC':
          await t.ops.sync();
          break;
      }
    }
    await stutter_wait('rcu_torture_fakewriter');
  } while (!torture_must_stop());
  torture_kthread_stopping('rcu_torture_fakewriter');
}

/* ---------------- readers ---------------- */

/**
 * rcu_read_delay(): mostly nothing; sometimes a short busy delay that holds up the grace period,
 * rarely a long one (5 ms in interrupt context) to provoke force-quiescent-state scans; with
 * PREEMPT=y sometimes a preemption inside the reader. Returns the preemption to await, if any.
 */
function rcu_read_delay(rand: TortureRandomState, inIrq: boolean): Promise<void> | null {
  const t = tt();
  const shortdelay_us = 200;
  const longdelay_ms = inIrq ? 5 : 300;
  // mdelay()/udelay() spin inside the reader, taking interrupts; with PREEMPT=y the tick may
  // preempt the reader there (a promise): it is then a blocked reader holding up the GP.
  // Departure: the kernel's odds are 1 in nrealreaders * 2000 * longdelay_ms reads, tuned for
  // readers doing millions of reads a second; ours do some ten thousand, which left a 20 s run
  // with no long reader at all, so a GP that ignores preempted readers (rcutree.test_broken_gp=2)
  // went unseen. 1 in nrealreaders * 20000 gives a long reader every second or two.
  if (torture_random(rand) % (t.nrealreaders * 20000) === 0) {
    const p = kapi.mdelay(longdelay_ms);
    if (p !== null) return p;
  }
  if (torture_random(rand) % (t.nrealreaders * 2 * shortdelay_us) === 0) {
    const p = kapi.udelay(shortdelay_us);
    if (p !== null) return p;
  }
  if (!inIrq && torture_random(rand) % (t.nrealreaders * 500) === 0) return kapi.preemptPoint();
  return null;
}

function countRead(pipe: number, batch: number): void {
  const pc = tt().perCpu;
  const base = kapi.smpProcessorId() * PC_DOUBLES;
  pc[base + PC_PIPE + pipe] = (pc[base + PC_PIPE + pipe] ?? 0) + 1;
  pc[base + PC_BATCH + batch] = (pc[base + PC_BATCH + batch] ?? 0) + 1;
}

/** The part of a read after the delay: pipe age and GP count, into this CPU's histograms. */
function rcu_torture_read_finish(p: number, started: number): number {
  const t = tt();
  let pipe = Atomics.load(kapi.shm, ew(p, E_PIPE));
  if (pipe > RCU_TORTURE_PIPE_LEN) pipe = RCU_TORTURE_PIPE_LEN;
  let completed = t.ops.gp_diff(t.ops.get_gp_seq(), started);
  if (completed > RCU_TORTURE_PIPE_LEN) completed = RCU_TORTURE_PIPE_LEN;
  if (completed < 0) completed = 0;
  countRead(pipe, completed);
  return pipe;
}

/**
 * The start of rcu_torture_one_read(): enter the reader, note the GP sequence, pick up the current
 * element and check its mbtest. Null (reader already left) when there is no element yet.
 */
function rcu_torture_read_begin(): { idx: number; started: number; p: number } | null {
  const t = tt();
  const idx = t.ops.readlock();
  const started = t.ops.get_gp_seq();
  const p = Atomics.load(kapi.shm, sw(T_CURRENT));
  if (p < 0) {
    t.ops.readunlock(idx);
    return null;
  }
  if (Atomics.load(kapi.shm, ew(p, E_MBTEST)) === 0) Atomics.add(kapi.shm, sw(T_MBERROR), 1);
  // A payload that no longer names its element was freed (and reused) under this reader.
  const pl = Atomics.load(kapi.shm, ew(p, E_PAYLOAD));
  if (pl !== 0 && Atomics.load(kapi.shm, pl / 4) !== p) Atomics.add(kapi.shm, sw(T_MBERROR), 1);
  return { idx, started, p };
}

/** A reader's read count, for its every-RDR_ALLOC_EVERY-reads allocation. */
interface ReadCount {
  n: number;
}

/** rcu_torture_one_read() for a task: may be preempted inside the reader (PREEMPT=y). */
async function rcu_torture_one_read(rand: TortureRandomState, rc: ReadCount): Promise<boolean> {
  const r = rcu_torture_read_begin();
  if (r === null) return false;
  const pre = rcu_read_delay(rand, false);
  if (pre !== null) await pre;
  const pipe = rcu_torture_read_finish(r.p, r.started);
  tt().ops.readunlock(r.idx);
  if (++rc.n % RDR_ALLOC_EVERY === 0) rcu_torture_rdr_alloc(pipe);
  return true;
}

/** rcu_torture_one_read() in a timer handler (softirq context: never sleeps). */
function rcu_torture_one_read_irq(rand: TortureRandomState, rc: ReadCount): boolean {
  const r = rcu_torture_read_begin();
  if (r === null) return false;
  rcu_read_delay(rand, true);
  const pipe = rcu_torture_read_finish(r.p, r.started);
  tt().ops.readunlock(r.idx);
  if (++rc.n % RDR_ALLOC_EVERY === 0) rcu_torture_rdr_alloc(pipe);
  return true;
}

async function rcu_torture_reader(): Promise<void> {
  const t = tt();
  const rand = torture_random_state();
  const irqRand = torture_random_state();
  let timer: TimerList | null = null;
  const reads: ReadCount = { n: 0 };
  const irqReads: ReadCount = { n: 0 };
  VERBOSE_TOROUT_STRING('rcu_torture_reader task started');
  if (t.p.irqreader !== 0 && t.ops.irq_capable) {
    timer = kapi.timerSetup(() => {
      const base = kapi.smpProcessorId() * PC_DOUBLES;
      t.perCpu[base + PC_TIMERS] = (t.perCpu[base + PC_TIMERS] ?? 0) + 1;
      rcu_torture_one_read_irq(irqRand, irqReads);
    });
  }
  let lastsleep = kapi.jiffies();
  do {
    if (timer !== null && !timer.pending) kapi.modTimer(timer, kapi.jiffies() + 1);
    if (!(await rcu_torture_one_read(rand, reads)) && !torture_must_stop()) await torture_sleep_interruptible(HZ);
    // cond_resched(): with PREEMPT_NONE a QS for RCU (rcu_all_qs()), as in the kernel.
    rcu_all_qs();
    if (kapi.jiffies() > lastsleep && !torture_must_stop()) {
      await kapi.scheduleTimeout(1);
      lastsleep = kapi.jiffies() + 10;
    }
    await stutter_wait('rcu_torture_reader');
  } while (!torture_must_stop());
  if (timer !== null) kapi.delTimer(timer);
  torture_kthread_stopping('rcu_torture_reader');
}

/* ---------------- rcu_barrier() test ---------------- */

function rcu_torture_barrier_cbf(): void {
  Atomics.add(kapi.shm, sw(T_BARRIER_INVOKED), 1);
}

async function rcu_torture_barrier_cbs(myid: number): Promise<void> {
  const t = tt();
  const i32 = kapi.shm;
  let lastphase = 0;
  VERBOSE_TOROUT_STRING('rcu_torture_barrier_cbs task started');
  do {
    await kapi.waitEvent(wq(sw(T_BARRIER_CBS_WQ)), () => Atomics.load(i32, sw(T_BARRIER_PHASE)) !== lastphase || torture_must_stop());
    lastphase = Atomics.load(i32, sw(T_BARRIER_PHASE));
    if (torture_must_stop()) break;
    t.ops.call(myid, t.barrierCb);
    if (Atomics.sub(i32, sw(T_BARRIER_COUNT), 1) === 1) kapi.wakeUp(wq(sw(T_BARRIER_WQ)));
  } while (!torture_must_stop());
  torture_kthread_stopping('rcu_torture_barrier_cbs');
}

async function rcu_torture_barrier(): Promise<void> {
  const t = tt();
  const i32 = kapi.shm;
  const n = t.p.n_barrier_cbs;
  VERBOSE_TOROUT_STRING('rcu_torture_barrier task starting');
  do {
    Atomics.store(i32, sw(T_BARRIER_INVOKED), 0);
    Atomics.store(i32, sw(T_BARRIER_COUNT), n);
    // Phase flip after the counters: pairs with the phase load in rcu_torture_barrier_cbs().
    Atomics.store(i32, sw(T_BARRIER_PHASE), Atomics.load(i32, sw(T_BARRIER_PHASE)) === 0 ? 1 : 0);
    kapi.wakeUp(wq(sw(T_BARRIER_CBS_WQ)));
    await kapi.waitEvent(wq(sw(T_BARRIER_WQ)), () => Atomics.load(i32, sw(T_BARRIER_COUNT)) === 0 || torture_must_stop());
    if (torture_must_stop()) break;
    Atomics.add(i32, sw(T_BARRIER_ATTEMPTS), 1);
    await t.ops.cb_barrier();
    const invoked = Atomics.load(i32, sw(T_BARRIER_INVOKED));
    if (invoked !== n) {
      Atomics.add(i32, sw(T_BARRIER_ERROR), 1);
      kapi.printk(`barrier_cbs_invoked = ${invoked}, n_barrier_cbs = ${n}`);
      WARN_ON(true);
    } else {
      Atomics.add(i32, sw(T_BARRIER_SUCCESSES), 1);
    }
    await torture_sleep_interruptible(HZ / 10);
  } while (!torture_must_stop());
  // kthread_stop() of the rcu_torture_barrier_cbs kthreads (rcu_torture_barrier_cleanup()): they
  // sleep on the phase queue, so wake them to see the stop (pairs with their waitEvent).
  kapi.wakeUp(wq(sw(T_BARRIER_CBS_WQ)));
  torture_kthread_stopping('rcu_torture_barrier');
}

/* ---------------- stats ---------------- */

let rtcv_snap = -1;
let splatted = false;

function hexFlags(f: number): string {
  return f === 0 ? '0' : `0x${f.toString(16)}`;
}

/** %p of the current element: hashed like the kernel's, `(null)` for none. */
function rtcString(e: number): string {
  if (e < 0) return '(null)';
  const h = Math.imul((ew(e, 0) * 4) ^ 0x5bd1e995, 0x2c1b3c6d) >>> 0;
  return h.toString(16).padStart(16, '0');
}

/** rcu_torture_stats_print(): the four lines (and !!! / writer stall when due). */
function rcu_torture_stats_print(): void {
  const t = tt();
  const i32 = kapi.shm;
  const pipesummary = new Array<number>(RCU_TORTURE_PIPE_LEN + 1).fill(0);
  const batchsummary = new Array<number>(RCU_TORTURE_PIPE_LEN + 1).fill(0);
  let timers = 0;
  for (let cpu = 0; cpu < kapi.nrCpuIds; cpu++) {
    const b = cpu * PC_DOUBLES;
    for (let k = 0; k <= RCU_TORTURE_PIPE_LEN; k++) {
      pipesummary[k] = (pipesummary[k] ?? 0) + (t.perCpu[b + PC_PIPE + k] ?? 0);
      batchsummary[k] = (batchsummary[k] ?? 0) + (t.perCpu[b + PC_BATCH + k] ?? 0);
    }
    timers += t.perCpu[b + PC_TIMERS] ?? 0;
  }
  let i = RCU_TORTURE_PIPE_LEN;
  for (; i >= 0; i--) if ((pipesummary[i] ?? 0) !== 0) break;
  const cur = load(sw(T_CURRENT));
  const ver = load(sw(T_VERSION));
  const tag = `${t.ops.name}-torture: `;
  let line =
    `${tag}rtc: ${rtcString(cur)} ${cur >= 0 ? 'ver' : 'VER'}: ${ver} tfle: ${load(sw(T_FREELIST)) < 0 ? 1 : 0} ` +
    `rta: ${load(sw(T_ALLOC))} rtaf: ${load(sw(T_ALLOC_FAIL))} rtf: ${load(sw(T_FREE))} ` +
    `rtmbe: ${load(sw(T_MBERROR))} rtmbkf: 0/0 rtbe: ${load(sw(T_BARRIER_ERROR))} rtbke: 0 ` +
    `rtbf: 0 rtb: 0 nt: ${timers} `;
  if (t.hotplug) line += torture_onoff_stats();
  line += `barrier: ${load(sw(T_BARRIER_SUCCESSES))}/${load(sw(T_BARRIER_ATTEMPTS))}:${load(sw(T_BARRIER_ERROR))} `;
  line += 'read-exits: 0 nocb-toggles: 0:0';
  kapi.printk(line);
  const bad = load(sw(T_MBERROR)) !== 0 || load(sw(T_BARRIER_ERROR)) !== 0 || i > 1;
  if (bad) {
    Atomics.add(i32, sw(T_ERROR), 1);
    if (Atomics.compareExchange(i32, sw(T_FAILED_NOTED), 0, 1) === 0) kapi.noteFailure(`${t.ops.name}-torture: too-short grace period or barrier error`);
  }
  kapi.printk(`${tag}${bad ? '!!! ' : ''}Reader Pipe: ${pipesummary.map((v) => ` ${v}`).join('')}`);
  if (bad && Atomics.compareExchange(i32, sw(T_WARNED), 0, 1) === 0) {
    if (i > 1) WARN(true, 'Too-short grace period');
    else WARN_ON(true);
  }
  kapi.printk(`${tag}Reader Batch: ${batchsummary.map((v) => ` ${v}`).join('')}`);
  const wc: string[] = [];
  for (let k = 0; k <= RCU_TORTURE_PIPE_LEN; k++) wc.push(` ${load(sw(T_WCOUNT + k))}`);
  kapi.printk(`${tag}Free-Block Circulation: ${wc.join('')}`);
  if (t.hotplug) {
    // The offline path's work (not a kernel line): what slub_cpu_dead() gave back to the node
    // lists and how many callbacks rcutree_migrate_callbacks() adopted from dead CPUs.
    const sd = slub_cpu_dead_stats();
    const mc = rcutree_migrate_stats();
    kapi.printk(
      `${tag}cpuhp dead work: slub_cpu_dead: ${sd.calls} calls ${sd.cpuSlabs} cpu slabs ${sd.objects} objects ` +
        `rcutree_migrate_callbacks: ${mc.adopted} callbacks from ${mc.cpus} CPUs rdr-allocs: ${load(sw(T_RDR_ALLOCS))}`,
    );
  }
  const ws = load(sw(T_WRITER_STATE));
  // Departure: a writer paused by stutter is not stalled. The kernel relies on stat_interval
  // (15 s) exceeding the stutter pause; short runs here print stats more often than that.
  if (rtcv_snap === ver && cur >= 0 && RTWS_NAMES[ws] !== 'RTWS_STUTTER') {
    const { flags, gp_seq } = t.ops.get_gp_data();
    const name = RTWS_NAMES[ws] ?? 'RTWS_FIXED_DELAY';
    const sleeping = name !== 'RTWS_DELAY' && name !== 'RTWS_REPLACE' && name !== 'RTWS_DEF_FREE';
    kapi.printk(`??? Writer stall state ${name}(${ws}) g${gp_seq} f${hexFlags(flags)} ->state ${sleeping ? '0x2' : '0x0'} cpu 0`);
    if (!splatted) {
      splatted = true;
      if (t.ops.name === 'rcu') kapi.printk(`rcu: ${rcu_flavor_name()}: wait state: ${rcu_gp_state_name()} g${gp_seq} f${hexFlags(flags)}`);
    }
  }
  rtcv_snap = ver;
}

/**
 * rcu_torture_stats(): print every stat_interval, then run the mem_dump_obj() slab test, inline
 * as in 2021 kernels so that the stack reads like the seed's: rcu_torture_stats ->
 * kmem_cache_create.
 */
async function rcu_torture_stats(): Promise<void> {
  const t = tt();
  VERBOSE_TOROUT_STRING('rcu_torture_stats task started');
  const z = kapi.shmAlloc('rcu_torture_stats.z', 1).base * 4;
  const rhpVar = kapi.shmAlloc('rcu_torture_stats.rhp', 1).base * 4;
  const stats_task = 0xffff888100000000n + BigInt(kapi.current().pid) * 0x2000n;
  do {
    if (await torture_sleep_interruptible(t.p.stat_interval * HZ)) {
      // The kernel's rcu_torture_cleanup() stops the writer before this kthread, so the print
      // that kthread_stop() wakes us for sees the writer gone (`rtc: (null)`, which parse-console
      // skips). Here every kthread is woken at once: let the writer finish first (bounded).
      for (let j = 0; j < 2 * HZ && Atomics.load(kapi.shm, sw(T_CURRENT)) !== -1; j++) await kapi.scheduleTimeout(1);
    }
    rcu_torture_stats_print();
    // Test mem_dump_obj() and friends. The kernel runs it once, in rcu_torture_cleanup(), after
    // every CPU offline of the run; here it runs every interval, but with hotplug only once an
    // offline has completed, which keeps the kernel's order (the offline path's cpu_hotplug_lock
    // -> slab_mutex first) so that a lock-order bug between the two reads as the seed report
    // does: this kthread trying cpu_hotplug_lock under slab_mutex. Without the wait, a loaded
    // host whose first offline is slow lets kmem_cache_create() go first, and lockdep reports
    // the same cycle from torture_onoff's side.
    if (t.hotplug && torture_onoff_counts().offlineOk === 0) continue;
    const kcp = await kmem_cache_create('rcuscale', 136, 8, SLAB_STORE_USER, null);
    if (kcp === null) {
      WARN_ON(true);
      continue;
    }
    const rhp = kmem_cache_alloc(kcp);
    if (rhp === 0) {
      WARN_ON(true);
      await kmem_cache_destroy(kcp);
      continue;
    }
    kapi.printk(
      `mem_dump_obj() slab test: rcu_torture_stats = ${stats_task.toString(16)}, &rhp = ${pointer_px(rhpVar)}, rhp = ${pointer_px(rhp)}, &z = ${pointer_px(z)}`,
    );
    const dump = (label: string, addr: number): void => {
      const [first, ...rest] = mem_dump_obj(addr);
      kapi.printk(`mem_dump_obj(${label}):${first ?? ''}`);
      for (const l of rest) kapi.printk(l);
    };
    dump('ZERO_SIZE_PTR', ZERO_SIZE_PTR);
    dump('NULL', 0);
    dump(pointer_px(rhpVar), rhpVar);
    dump(pointer_px(rhp), rhp);
    dump(pointer_px(rhp + 8), rhp + 8);
    dump(pointer_px(z), z);
    kmem_cache_free(kcp, rhp);
    await kmem_cache_destroy(kcp);
  } while (!torture_must_stop());
  torture_kthread_stopping('rcu_torture_stats');
}

/* ---------------- start, end ---------------- */

function rcu_torture_print_module_parms(tag: string): void {
  const t = tt();
  kapi.printk(`${t.ops.name}-torture:--- ${tag}: ${rcutorture_params.print_words({ nreaders: t.nrealreaders, nfakewriters: t.nrealfakewriters })}`);
}

/** rcu_torture_cleanup(): run by torture_shutdown on CPU 0 at shutdown_secs. */
async function rcu_torture_cleanup(): Promise<void> {
  const t = tt();
  await torture_cleanup_begin();
  // Wait for all RCU callbacks to fire.
  await t.ops.cb_barrier();
  rcu_torture_stats_print(); // -After- the stats thread is stopped!
  const { flags, gp_seq } = t.ops.get_gp_data();
  const total = t.ops.gp_diff(gp_seq, load(sw(T_START_GP)));
  kapi.printk(`${t.ops.name}:  End-test grace-period state: g${gp_seq} f${hexFlags(flags)} total-gps=${total}`);
  if (load(sw(T_ERROR)) !== 0 || load(sw(T_BARRIER_ERROR)) !== 0) rcu_torture_print_module_parms('End of test: FAILURE');
  else if (t.hotplug && torture_onoff_failures()) rcu_torture_print_module_parms('End of test: RCU_HOTPLUG');
  else rcu_torture_print_module_parms('End of test: SUCCESS');
  await torture_cleanup_end();
}

function computeSynctypes(p: Params): SyncType[] {
  const all = !p.gp_cond && !p.gp_exp && !p.gp_normal && !p.gp_poll && !p.gp_sync;
  const s: SyncType[] = [];
  if (all || p.gp_normal) s.push('RTWS_DEF_FREE');
  if (all || p.gp_exp) s.push('RTWS_EXP_SYNC');
  if (all || p.gp_cond) s.push('RTWS_COND_GET');
  if (all || p.gp_poll) s.push('RTWS_POLL_GET');
  if (all || p.gp_sync) s.push('RTWS_SYNC');
  return s;
}

/** Guest module entry, on every CPU: kernel subsystems, then this CPU's torture tasks. */
export function boot(cpu: number): void {
  const p = readParams();
  const ops = rcu_torture_ops_of(p.torture_type);
  rcu_init(cpu);
  rcu_early_boot_tests(cpu);
  slub_init();
  torture_init_begin(ops?.name ?? p.torture_type, p.verbose);
  if (ops === undefined) {
    if (cpu === 0) {
      kapi.printk(`rcu-torture: invalid torture type: "${p.torture_type}"`);
      kapi.printk(`rcu-torture types: ${RCU_TORTURE_TYPES.join(' ')}`);
      kapi.powerOff();
    }
    return;
  }
  const n = kapi.nrCpuIds;
  const nrealreaders = p.nreaders >= 0 ? p.nreaders : Math.max(1, n - 2 - p.nreaders);
  const nrealfakewriters = p.nfakewriters >= 0 ? p.nfakewriters : Math.max(0, n - 2 - p.nfakewriters);
  const st = kapi.shmAlloc('rcu_torture', T_WORDS, (reg) => {
    Atomics.store(reg.i32, reg.base + T_CURRENT, -1);
    Atomics.store(reg.i32, reg.base + T_FREELIST, -1);
    Atomics.store(reg.i32, reg.base + T_PAYLOAD_SLOT, -1);
    Atomics.store(reg.i32, reg.base + T_RDR_SLOT, -1);
  });
  const elems = kapi.shmAlloc('rcu_tortures', N_ELEMS * ELEM_WORDS, (reg) => {
    // The free list: element k links to k+1, the last to -1; the head is set in boot below.
    for (let e = 0; e < N_ELEMS; e++) Atomics.store(reg.i32, reg.base + e * ELEM_WORDS + E_NEXT, e + 1 < N_ELEMS ? e + 1 : -1);
    Atomics.store(reg.i32, st.base + T_FREELIST, 0);
  });
  const pc = kapi.shmAlloc('rcu_torture_count', n * PC_DOUBLES * 2);
  const perCpu = new Float64Array(kapi.shm.buffer, pc.base * 4, n * PC_DOUBLES);
  const cb = rcu_callback('rcu_torture_cb', rcu_torture_cb);
  const barrierCb = rcu_callback('rcu_torture_barrier_cbf', rcu_torture_barrier_cbf);
  T = {
    p,
    ops,
    st,
    elems,
    perCpu,
    lock: DEFINE_SPINLOCK('rcu_torture_lock'),
    nrealreaders,
    nrealfakewriters,
    synctypes: computeSynctypes(p),
    cb,
    barrierCb,
    rdrCb: rcu_callback('rcu_torture_rdr_free', rcu_torture_rdr_free),
    payloadCache: null,
    rdrCache: null,
    hotplug: kapi.config.kconfig.get('CONFIG_HOTPLUG_CPU') === 'y',
  };
  if (cpu === 0) {
    rcu_torture_print_module_parms('Start of test');
    const { flags, gp_seq } = ops.get_gp_data();
    Atomics.store(kapi.shm, st.base + T_START_GP, gp_seq);
    kapi.printk(`${ops.name}:  Start-test grace-period state: g${gp_seq} f${hexFlags(flags)}`);
  }
  // The system kthreads, spread over the CPUs in this order (torture_spread_here()): with two
  // or more CPUs the stats kthread (kmem_cache_create() under cpus_read_lock()) and torture_onoff
  // (slub_cpu_dead() under the hotplug write lock) start on different CPUs.
  if (torture_spread_here()) torture_create_kthread(rcu_torture_writer, 'rcu_torture_writer');
  if (torture_spread_here() && p.stat_interval > 0) torture_create_kthread(rcu_torture_stats, 'rcu_torture_stats');
  if (torture_spread_here() && T.hotplug) torture_onoff_init(p.onoff_holdoff * HZ, p.onoff_interval);
  if (torture_spread_here()) torture_shutdown_init(p.shutdown_secs, rcu_torture_cleanup);
  if (torture_spread_here() && p.n_barrier_cbs > 0) torture_create_kthread(rcu_torture_barrier, 'rcu_torture_barrier');
  // Departure: the stutter period is capped at half the stats interval, so that every
  // interval sees the writer run (parse-console flags equal `ver:` in consecutive stats as a
  // GP hang). The kernel gets this from stat_interval=15 > stutter=5; short runs here use a
  // stat_interval of a few seconds (harness/config/suite_defaults.ts).
  if (torture_spread_here() && p.stutter > 0) {
    const cap = p.stat_interval > 0 ? Math.floor((p.stat_interval * HZ) / 2) : p.stutter * HZ;
    torture_stutter_init(Math.max(1, Math.min(p.stutter * HZ, cap)));
  }
  if (torture_spread_here() && p.test_no_idle_hz) torture_shuffle_init(p.shuffle_interval * HZ);
  // Readers on CPUs 1.. (CPU 0 keeps the writer and system kthreads), round robin.
  const others = Math.max(1, n - 1);
  for (let r = 0; r < nrealreaders; r++) {
    const on = n === 1 ? 0 : 1 + (r % others);
    if (on === cpu) torture_create_kthread(rcu_torture_reader, 'rcu_torture_reader');
  }
  for (let f = 0; f < nrealfakewriters; f++) {
    const on = n === 1 ? 0 : 1 + (f % others);
    if (on === cpu) torture_create_kthread(rcu_torture_fakewriter, 'rcu_torture_fakewriter');
  }
  for (let b = 0; b < p.n_barrier_cbs; b++) {
    if (torture_spread_here()) torture_create_kthread(() => rcu_torture_barrier_cbs(b), 'rcu_torture_barrier_cbs');
  }
  rcu_torture_stall_init(cpu, p, ops);
  torture_init_end();
}
