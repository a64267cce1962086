/*
 * rcutorture's forward-progress tests (kernel/rcu/rcutorture.c, rcu_torture_fwd_prog*):
 * `fwd_progress` kthreads (6.12: the number of kthreads, < 0 meaning one per CPU, capped at
 * nr_cpu_ids) that every `fwd_progress_holdoff` seconds run, together:
 *
 *  - rcu_torture_fwd_prog_cr(): a call_rcu() flood. Callbacks are posted as fast as the CPU can,
 *    each one that comes back (rcu_torture_fwd_cb_cr() appends it to the kthread's list) is
 *    "laundered" (posted again), until MIN_FWD_CBS_LAUNDERED callbacks went through
 *    MIN_FWD_CB_LAUNDERS grace periods, or MAX_FWD_CB_JIFFIES passed. Grace periods that do not
 *    keep up with the flood are the finding: `WARN_ON(n_max_gps < MIN_FWD_CBS_LAUNDERED)`. The
 *    `rcu_torture_fwd_prog_cr Duration ...` line and the callback-invocation histogram follow.
 *  - rcu_torture_fwd_prog_nr(): a tight loop of readers with cond_resched() (hidden behind
 *    need_resched() with fwd_progress_need_resched) for a random part of the stall timeout, with a
 *    self-propagating callback posted meanwhile: grace periods must still end (`WARN_ON(!cver &&
 *    gps < 2)`), the `rcu_torture_fwd_prog_nr: N Duration ...` line.
 *
 * Memory: the flood's rcu_fwd_cb objects come from a fixed pool in shm (FWD_CB_MEM_PER_KTHREAD
 * per kthread), the model's memory. An allocation that finds it empty runs the OOM notifier,
 * rcutorture_oom_notify(), as the kernel's allocator does before it fails: it warns, stops every
 * flood (rcu_fwd_emergency_stop) and frees their callbacks. A flavour's ->cbflood_max caps each
 * flood below that (Tree RCU's callback lists are rings, kernels/rcu/rcu_torture_ops.ts).
 *
 * The planted bug of its checks (test-only, as the kernel's test_* switches):
 * `rcutorture.test_fwd_gp_stall=S` has the first flood stall the grace-period kthread S seconds
 * (rcu_gp_set_torture_wait()), so that grace periods stop keeping up with it: the flood's
 * `WARN_ON(n_max_gps < MIN_FWD_CBS_LAUNDERED)` and the GP kthread's state are the report.
 * `rcutorture.test_fwd_oom=N` gives the floods memory for N callbacks and lifts ->cbflood_max, so
 * that a flood runs out of memory: the OOM notifier's back-off is the report.
 *
 * Interrupts: the kernel's loops run with irqs on and take the tick anywhere; here pending
 * interrupts (the tick, RCU's softirq that invokes this CPU's callbacks) are taken once per
 * iteration, by a zero-length udelay(). Not modelled: nohz_full's rcu_momentary_eqs() and tick
 * dependency, set_user_nice(), rcu_bind_current_to_nocb(), rcu_fwd_progress_check()'s GP dump in
 * the OOM notifier. shutdown_time_arrived() is torture_must_stop(): cleanup starts at the
 * shutdown time.
 */

import { HZ, kapi, LOCK_TYPE_PROPS } from '../kapi.js';
import { WARN, WARN_ON, WARN_ON_ONCE } from '../../kernels/bug.js';
import { DEFINE_MUTEX, mutex_lock, mutex_unlock } from '../../kernels/locking/mutex.js';
import { DEFINE_SPINLOCK, spin_lock, spin_lock_irqsave, spin_unlock, spin_unlock_irqrestore, type Spinlock } from '../../kernels/locking/spinlock.js';
import { rcu_callback, type RcuCallback } from '../../kernels/rcu/rcu_callback.js';
import type { RcuTortureOps } from '../../kernels/rcu/rcu_torture_ops.js';
import {
  stutter_wait,
  torture_create_kthread,
  torture_kthread_stopping,
  torture_must_stop,
  torture_random,
  torture_random_state,
  torture_sleep_interruptible,
  torture_spread_here,
  VERBOSE_TOROUT_STRING,
} from './common.js';
import { load, sw, T_FWD_NODELAY, T_VERSION } from './rcu_torture_state.js';
import { hexFlags } from './rcu_torture_stats.js';

export const MAX_FWD_CB_JIFFIES = 8 * HZ;
const MIN_FWD_CB_LAUNDERS = 3;
const MIN_FWD_CBS_LAUNDERED = 100;
const FWD_CBS_HIST_DIV = 10;
const N_LAUNDERS_HIST = (2 * MAX_FWD_CB_JIFFIES) / (HZ / FWD_CBS_HIST_DIV);
/** The model's memory for flood callbacks, per forward-progress kthread. */
export const FWD_CB_MEM_PER_KTHREAD = 2048;

/* struct rcu_fwd, one per kthread, in shm (callbacks run on any CPU). */
const R_HEAD = 0; // rcu_fwd_cb_head: object + 1, 0 for NULL
const R_TAIL = 1; // the object whose rfc_next is rcu_fwd_cb_tail, + 1; 0: &rcu_fwd_cb_head
const R_N_LAUNDERS_CB = 2;
const R_STARTAT = 3;
const R_GP_SEQ_START = 4;
const R_FCS_STOP = 5; // struct fwd_cb_state's stop
const R_HIST = 8; // n_launders_hist[]: (n_launders, launder_gp_seq) pairs
const R_WORDS = R_HIST + 2 * N_LAUNDERS_HIST;

/* Globals. */
const G_SEQ = 0; // rcu_fwd_seq
const G_MAX_CBS = 1; // rcu_fwd_max_cbs
const G_EMERGENCY = 2; // rcu_fwd_emergency_stop
const G_FREE = 3; // the pool's free list: object + 1
const G_WORDS = 4;

/* struct rcu_fwd_cb: the pool's objects. */
const C_NEXT = 0; // rfc_next: object + 1
const C_RFP = 1; // rfc_rfp
const C_GPS = 2; // rfc_gps
const C_WORDS = 4;

/** A flavour the tests can flood: one with call() and cb_barrier() (`tasks-rude` has neither). */
type FwdOps = RcuTortureOps & Required<Pick<RcuTortureOps, 'call' | 'cb_barrier'>>;

interface Fwd {
  readonly ops: FwdOps;
  readonly n: number;
  readonly holdoff: number;
  readonly div: number;
  readonly needResched: boolean;
  /** Test-only rcutorture.test_fwd_gp_stall=S: the first flood stalls the GP kthread S seconds. */
  testGpStall: number;
  /** Test-only rcutorture.test_fwd_oom=N: memory for N flood callbacks, and no ->cbflood_max cap. */
  readonly noCap: boolean;
  readonly g: number;
  readonly rfps: number;
  readonly pool: number;
  readonly poolSize: number;
  readonly locks: readonly Spinlock[];
  readonly poolLock: Spinlock;
  readonly mutex: ReturnType<typeof DEFINE_MUTEX>;
  readonly cbCr: RcuCallback;
  readonly cbProp: RcuCallback;
}

let F: Fwd | null = null;

function fwd(): Fwd {
  if (F === null) throw new Error('rcu_torture_fwd_prog used before rcu_torture_fwd_prog_init()');
  return F;
}

const i32 = (): Int32Array => kapi.shm;
const gw = (f: Fwd, w: number): number => f.g + w;
const rw = (f: Fwd, id: number, w: number): number => f.rfps + id * R_WORDS + w;
const cw = (f: Fwd, obj: number, w: number): number => f.pool + obj * C_WORDS + w;

/* ---------------- the model's memory: kmalloc()/kfree() of rcu_fwd_cb ---------------- */

function fwd_cb_alloc_one(f: Fwd): number {
  spin_lock(f.poolLock);
  const head = Atomics.load(i32(), gw(f, G_FREE));
  if (head !== 0) Atomics.store(i32(), gw(f, G_FREE), Atomics.load(i32(), cw(f, head - 1, C_NEXT)));
  spin_unlock(f.poolLock);
  return head - 1;
}

function kfree_fwd_cb(f: Fwd, obj: number): void {
  spin_lock(f.poolLock);
  Atomics.store(i32(), cw(f, obj, C_NEXT), Atomics.load(i32(), gw(f, G_FREE)));
  Atomics.store(i32(), gw(f, G_FREE), obj + 1);
  spin_unlock(f.poolLock);
}

/** kmalloc(): out of memory runs the OOM notifier (which frees the floods' callbacks) once, then retries. */
async function kmalloc_fwd_cb(f: Fwd): Promise<number> {
  const obj = fwd_cb_alloc_one(f);
  if (obj >= 0) return obj;
  await rcutorture_oom_notify();
  return fwd_cb_alloc_one(f);
}

/* ---------------- callbacks ---------------- */

/** rcu_torture_fwd_prog_cb(): the self-propagating callback of the need_resched() test. */
function rcu_torture_fwd_prog_cb(id: number): void {
  const f = fwd();
  if (Atomics.load(i32(), rw(f, id, R_FCS_STOP)) !== 0) {
    Atomics.store(i32(), rw(f, id, R_FCS_STOP), 2);
    return;
  }
  f.ops.call(id, f.cbProp);
}

/** rcu_torture_fwd_cb_cr(): a flood callback came back: append it to its kthread's list, count it. */
function rcu_torture_fwd_cb_cr(obj: number): void {
  const f = fwd();
  const a = i32();
  const id = Atomics.load(a, cw(f, obj, C_RFP));
  Atomics.store(a, cw(f, obj, C_NEXT), 0);
  Atomics.add(a, cw(f, obj, C_GPS), 1);
  const lock = f.locks[id] as Spinlock;
  const flags = spin_lock_irqsave(lock);
  const tail = Atomics.load(a, rw(f, id, R_TAIL));
  Atomics.store(a, rw(f, id, R_TAIL), obj + 1);
  // smp_store_release(rfcpp, rfcp): pairs with the flood's lock-free loads of head and rfc_next.
  Atomics.store(a, tail === 0 ? rw(f, id, R_HEAD) : cw(f, tail - 1, C_NEXT), obj + 1);
  Atomics.add(a, rw(f, id, R_N_LAUNDERS_CB), 1);
  let i = Math.floor((kapi.jiffies() - Atomics.load(a, rw(f, id, R_STARTAT))) / (HZ / FWD_CBS_HIST_DIV));
  if (i >= N_LAUNDERS_HIST) i = N_LAUNDERS_HIST - 1;
  if (i < 0) i = 0;
  Atomics.add(a, rw(f, id, R_HIST + 2 * i), 1);
  Atomics.store(a, rw(f, id, R_HIST + 2 * i + 1), f.ops.get_gp_seq());
  spin_unlock_irqrestore(lock, flags);
}

/* ---------------- helpers ---------------- */

/** rcu_torture_fwd_cb_hist(): the callback-invocation histogram of kthread `id`. */
function rcu_torture_fwd_cb_hist(f: Fwd, id: number): void {
  const a = i32();
  let i = N_LAUNDERS_HIST - 1;
  for (; i > 0; i--) if (Atomics.load(a, rw(f, id, R_HIST + 2 * i)) > 0) break;
  let line = `rcu_torture_fwd_cb_hist: Callback-invocation histogram ${id} (duration ${kapi.jiffies() - Atomics.load(a, rw(f, id, R_STARTAT))} jiffies):`;
  let gps_old = Atomics.load(a, rw(f, id, R_GP_SEQ_START));
  for (let j = 0; j <= i; j++) {
    const gps = Atomics.load(a, rw(f, id, R_HIST + 2 * j + 1));
    line += ` ${j + 1}s/${FWD_CBS_HIST_DIV}: ${Atomics.load(a, rw(f, id, R_HIST + 2 * j))}:${f.ops.gp_diff(gps, gps_old)}`;
    gps_old = gps;
  }
  kapi.printk(line);
}

/** The kernel's loops run with irqs on: take the pending interrupts (tick, RCU softirq) here. */
async function fwd_irq_window(): Promise<void> {
  const p = kapi.udelay(0);
  if (p !== null) await p;
}

/** cond_resched() (PREEMPT_NONE: rcu_all_qs(), then a switch if the tick asked for one). */
async function fwd_cond_resched(f: Fwd): Promise<void> {
  f.ops.cond_resched_qs();
  const cr = kapi.condResched();
  if (cr !== null) await cr;
}

/** %pS of a function: the model has no symbol sizes, so the offset/size part is nominal. */
function pS(fn: { readonly name: string }): string {
  return `${fn.name || 'cb_barrier'}+0x0/0x0`;
}

/** rcu_torture_fwd_prog_cbfree(): free every callback on kthread `id`'s list. */
async function rcu_torture_fwd_prog_cbfree(f: Fwd, id: number): Promise<number> {
  const a = i32();
  const lock = f.locks[id] as Spinlock;
  let freed = 0;
  for (;;) {
    const flags = spin_lock_irqsave(lock);
    const head = Atomics.load(a, rw(f, id, R_HEAD));
    if (head === 0) {
      spin_unlock_irqrestore(lock, flags);
      break;
    }
    const next = Atomics.load(a, cw(f, head - 1, C_NEXT));
    Atomics.store(a, rw(f, id, R_HEAD), next);
    if (next === 0) Atomics.store(a, rw(f, id, R_TAIL), 0);
    spin_unlock_irqrestore(lock, flags);
    kfree_fwd_cb(f, head - 1);
    freed++;
    await fwd_cond_resched(f);
  }
  return freed;
}

function emergency(f: Fwd): boolean {
  return Atomics.load(i32(), gw(f, G_EMERGENCY)) !== 0;
}

function nodelay(delta: number): void {
  // Pairs with the loads in rcu_read_delay() and the GP kthread's rcu_gp_slow().
  Atomics.add(i32(), sw(T_FWD_NODELAY), delta);
}

/* ---------------- the two tests ---------------- */

/** rcu_torture_fwd_prog_nr(): need_resched()/cond_resched() forward progress. */
async function rcu_torture_fwd_prog_nr(f: Fwd, id: number, trs: ReturnType<typeof torture_random_state>, tries: { tested: number; tested_tries: number }): Promise<void> {
  const a = i32();
  kapi.printk(`rcu_torture_fwd_prog_nr: Starting forward-progress test ${id}`);
  const selfpropcb = true; // every flavour here has ->call and ->cb_barrier
  nodelay(1);
  await f.ops.sync(); // Later readers see above write.
  if (selfpropcb) {
    Atomics.store(a, rw(f, id, R_FCS_STOP), 0);
    f.ops.call(id, f.cbProp);
  }
  let cver = load(sw(T_VERSION));
  let gps = f.ops.get_gp_seq();
  const sd = (f.ops.stall_dur?.() ?? 0) + 1;
  const sd4 = Math.floor((sd + f.div - 1) / f.div);
  const dur = sd4 + (torture_random(trs) % Math.max(1, sd - sd4));
  const startat = kapi.jiffies();
  Atomics.store(a, rw(f, id, R_STARTAT), startat);
  const stopat = startat + dur;
  const running = (): boolean => kapi.jiffies() < stopat && !torture_must_stop() && !emergency(f);
  while (running()) {
    const idx = f.ops.readlock();
    const d = kapi.udelay(10);
    if (d !== null) await d;
    f.ops.readunlock(idx);
    // fwd_progress_need_resched: cond_resched() only when need_resched(), which the kernel's
    // tick also sets for a CPU that holds up a GP (->urgent_qs: the model's tick does not).
    if (!f.needResched || f.ops.urgent_qs?.() === true) await fwd_cond_resched(f);
    else {
      const cr = kapi.condResched();
      if (cr !== null) await cr;
    }
  }
  tries.tested_tries++;
  if (kapi.jiffies() >= stopat && !torture_must_stop() && !emergency(f)) {
    tries.tested++;
    cver = load(sw(T_VERSION)) - cver;
    gps = f.ops.gp_diff(f.ops.get_gp_seq(), gps);
    WARN_ON(cver === 0 && gps < 2);
    kapi.printk(`rcu_torture_fwd_prog_nr: ${id} Duration ${dur} cver ${cver} gps ${gps}`);
  }
  if (selfpropcb) {
    Atomics.store(a, rw(f, id, R_FCS_STOP), 1);
    await f.ops.sync(); // Wait for running CB to complete.
    kapi.printk(`rcu_torture_fwd_prog_nr: Waiting for CBs: ${pS(f.ops.cb_barrier)}() ${id}`);
    await f.ops.cb_barrier(); // Wait for queued callbacks.
    WARN_ON(Atomics.load(a, rw(f, id, R_FCS_STOP)) !== 2);
  }
  await kapi.scheduleTimeout(HZ / 10); // Let kthreads recover.
  nodelay(-1);
}

/** The flood's counts, for its line. */
interface CrCounts {
  n_launders: number;
  n_launders_sa: number;
  n_max_cbs: number;
  n_max_gps: number;
}

/** The flood itself: post, launder, until enough callbacks went through enough GPs. */
async function rcu_torture_fwd_prog_cr_flood(f: Fwd, id: number, stopat: number, c: CrCounts): Promise<void> {
  const a = i32();
  while (kapi.jiffies() < stopat && !torture_must_stop() && !emergency(f)) {
    // The kernel pops lock-free (only this kthread moves the head, never onto the tail); here
    // under the list's lock, since another kthread's OOM notifier may be freeing this list, and
    // a pool object freed twice would corrupt the model's memory.
    const lock = f.locks[id] as Spinlock;
    const flags = spin_lock_irqsave(lock);
    const head = Atomics.load(a, rw(f, id, R_HEAD));
    const next = head !== 0 ? Atomics.load(a, cw(f, head - 1, C_NEXT)) : 0;
    const laundered = next !== 0 && Atomics.load(a, cw(f, head - 1, C_GPS)) >= MIN_FWD_CB_LAUNDERS;
    if (next !== 0 && !(laundered && c.n_max_gps + 1 >= MIN_FWD_CBS_LAUNDERED)) Atomics.store(a, rw(f, id, R_HEAD), next);
    spin_unlock_irqrestore(lock, flags);
    let obj = -1;
    if (next !== 0) {
      if (laundered && ++c.n_max_gps >= MIN_FWD_CBS_LAUNDERED) break;
      obj = head - 1;
      c.n_launders++;
      c.n_launders_sa++;
    } else if (f.noCap || f.ops.cbflood_max === undefined || f.ops.cbflood_max > c.n_max_cbs) {
      obj = await kmalloc_fwd_cb(f);
      if (WARN_ON_ONCE(obj < 0)) {
        await torture_sleep_interruptible(1);
        continue;
      }
      c.n_max_cbs++;
      c.n_launders_sa = 0;
      Atomics.store(a, cw(f, obj, C_GPS), 0);
      Atomics.store(a, cw(f, obj, C_RFP), id);
    }
    if (obj >= 0) f.ops.call(obj, f.cbCr);
    await fwd_cond_resched(f);
    await fwd_irq_window();
  }
}

/** rcu_torture_fwd_prog_cr(): call_rcu() forward progress. */
async function rcu_torture_fwd_prog_cr(f: Fwd, id: number): Promise<void> {
  const a = i32();
  kapi.printk(`rcu_torture_fwd_prog_cr: Starting forward-progress test ${id}`);
  if (emergency(f)) return; // Get out of the way quickly, no GP wait!
  nodelay(1);
  await f.ops.sync(); // Later readers see above write.
  const startat = kapi.jiffies();
  Atomics.store(a, rw(f, id, R_STARTAT), startat);
  const stopat = startat + MAX_FWD_CB_JIFFIES;
  Atomics.store(a, rw(f, id, R_N_LAUNDERS_CB), 0);
  for (let i = 0; i < N_LAUNDERS_HIST; i++) Atomics.store(a, rw(f, id, R_HIST + 2 * i), 0);
  const c: CrCounts = { n_launders: 0, n_launders_sa: 0, n_max_cbs: 0, n_max_gps: 0 };
  let cver = load(sw(T_VERSION));
  let gps = f.ops.get_gp_seq();
  Atomics.store(a, rw(f, id, R_GP_SEQ_START), gps);
  if (f.testGpStall > 0 && id === 0) {
    // Planted (rcutorture.test_fwd_gp_stall): grace periods stop while the flood runs.
    f.ops.gp_set_torture_wait?.(f.testGpStall * HZ);
    f.testGpStall = 0;
  }
  await rcu_torture_fwd_prog_cr_flood(f, id, stopat, c);
  const stoppedat = kapi.jiffies();
  const n_launders_cb_snap = Atomics.load(a, rw(f, id, R_N_LAUNDERS_CB));
  cver = load(sw(T_VERSION)) - cver;
  gps = f.ops.gp_diff(f.ops.get_gp_seq(), gps);
  kapi.printk(`rcu_torture_fwd_prog_cr: Waiting for CBs: ${pS(f.ops.cb_barrier)}() ${id}`);
  await f.ops.cb_barrier(); // Wait for callbacks to be invoked.
  await rcu_torture_fwd_prog_cbfree(f, id);
  if (!torture_must_stop() && !emergency(f)) {
    if (WARN_ON(c.n_max_gps < MIN_FWD_CBS_LAUNDERED) && f.ops.gp_kthread_dbg !== undefined) {
      // show_rcu_gp_kthreads()'s line, as rcu_torture_stats prints it for a writer stall.
      const { flags, gp_seq } = f.ops.get_gp_data();
      kapi.printk(`rcu: ${f.ops.gp_kthread_dbg()} g${gp_seq} f${hexFlags(flags)}`);
    }
    kapi.printk(
      `rcu_torture_fwd_prog_cr Duration ${stoppedat - startat} barrier: ${kapi.jiffies() - stoppedat} ` +
        `pending ${c.n_launders + c.n_max_cbs - n_launders_cb_snap} n_launders: ${c.n_launders} ` +
        `n_launders_sa: ${c.n_launders_sa} n_max_gps: ${c.n_max_gps} n_max_cbs: ${c.n_max_cbs} ` +
        `cver ${cver} gps ${gps} #online ${kapi.numOnlineCpus()}`,
    );
    Atomics.add(a, gw(f, G_MAX_CBS), c.n_max_cbs);
    await mutex_lock(f.mutex); // Serialize histograms.
    rcu_torture_fwd_cb_hist(f, id);
    mutex_unlock(f.mutex);
  }
  await kapi.scheduleTimeout(HZ); // Let CBs drain.
  nodelay(-1);
}

/**
 * rcutorture_oom_notify(): the allocator ran out of memory during a flood: warn, stop every flood
 * and free their callbacks (three rounds, with a barrier between, as the kernel's).
 */
async function rcutorture_oom_notify(): Promise<void> {
  const f = fwd();
  await mutex_lock(f.mutex);
  WARN(true, 'rcutorture_oom_notify invoked upon OOM during forward-progress testing.');
  for (let i = 0; i < f.n; i++) rcu_torture_fwd_cb_hist(f, i);
  Atomics.store(i32(), gw(f, G_EMERGENCY), 1); // Emergency stop before free and wait to avoid hangs.
  for (let round = 0; round < 3; round++) {
    let ncbs = 0;
    for (let i = 0; i < f.n; i++) ncbs += await rcu_torture_fwd_prog_cbfree(f, i);
    kapi.printk(`rcutorture_oom_notify: Freed ${ncbs} RCU callbacks.`);
    if (round < 2) await f.ops.cb_barrier();
  }
  kapi.printk('rcutorture_oom_notify returning after OOM processing.');
  mutex_unlock(f.mutex);
}

/* ---------------- the kthreads ---------------- */

/** rcu_torture_fwd_prog(): kthread `id`; kthread 0 paces the others through rcu_fwd_seq. */
async function rcu_torture_fwd_prog(id: number): Promise<void> {
  const f = fwd();
  const a = i32();
  const trs = torture_random_state();
  const tries = { tested: 0, tested_tries: 0 };
  let firsttime = true;
  let oldseq = Atomics.load(a, gw(f, G_SEQ));
  VERBOSE_TOROUT_STRING('rcu_torture_fwd_progress task started');
  do {
    if (id === 0) {
      await torture_sleep_interruptible(f.holdoff * HZ);
      Atomics.store(a, gw(f, G_EMERGENCY), 0);
      if (!firsttime) kapi.printk(`rcu_torture_fwd_prog n_max_cbs: ${Atomics.exchange(a, gw(f, G_MAX_CBS), 0)}`);
      firsttime = false;
      Atomics.add(a, gw(f, G_SEQ), 1);
    } else {
      while (Atomics.load(a, gw(f, G_SEQ)) === oldseq && !torture_must_stop()) await torture_sleep_interruptible(HZ / 20);
      oldseq = Atomics.load(a, gw(f, G_SEQ));
    }
    if (torture_must_stop()) break;
    kapi.printk(`rcu_torture_fwd_prog: Starting forward-progress test ${id}`);
    if (kapi.numOnlineCpus() > id) await rcu_torture_fwd_prog_cr(f, id);
    if ((f.ops.stall_dur?.() ?? 0) > 0) await rcu_torture_fwd_prog_nr(f, id, trs, tries);
    // Avoid slow periods, better to test when busy.
    await stutter_wait('rcu_torture_fwd_prog');
  } while (!torture_must_stop());
  // Short runs might not contain a valid forward-progress attempt.
  if (id === 0) {
    WARN_ON(tries.tested === 0 && tries.tested_tries >= 5);
    kapi.printk(`rcu_torture_fwd_prog: tested ${tries.tested} tested_tries ${tries.tested_tries}`);
  }
  torture_kthread_stopping('rcu_torture_fwd_prog');
}

export interface FwdParams {
  readonly fwd_progress: number;
  readonly fwd_progress_holdoff: number;
  readonly fwd_progress_div: number;
  readonly fwd_progress_need_resched: boolean;
  readonly stall_cpu: number;
  readonly test_fwd_gp_stall: number;
  readonly test_fwd_oom: number;
}

/**
 * rcu_torture_fwd_prog_init(): on every CPU at boot (each creates the kthreads that start on it).
 * The kernel's conditions: none without ->sync and ->call, none for a flavour with neither a
 * flood cap nor a stall timeout, none for `busted`, none (and a warning) with the CPU-stall test.
 */
function hasCallbacks(ops: RcuTortureOps): ops is FwdOps {
  return ops.call !== undefined && ops.cb_barrier !== undefined;
}

export function rcu_torture_fwd_prog_init(p: FwdParams, ops: RcuTortureOps): void {
  if (p.fwd_progress === 0) return; // Not requested, so don't do it.
  const cpu0 = kapi.smpProcessorId() === 0;
  let n = p.fwd_progress;
  if (n >= kapi.nrCpuIds) {
    if (cpu0) VERBOSE_TOROUT_STRING('rcu_torture_fwd_prog_init: Limiting fwd_progress to # CPUs.');
    n = kapi.nrCpuIds;
  } else if (n < 0) {
    n = kapi.nrCpuIds;
  }
  // The kernel also leaves a flavour without call() to the cond_resched() loop alone, which
  // needs ->stall_dur(); the one such flavour here (tasks-rude) has neither, so nothing runs.
  if ((ops.cbflood_max === undefined && (ops.stall_dur?.() ?? 0) <= 0) || ops.name === 'busted' || !hasCallbacks(ops)) {
    if (cpu0) VERBOSE_TOROUT_STRING('rcu_torture_fwd_prog_init: Disabled, unsupported by RCU flavor under test');
    return;
  }
  if (p.stall_cpu > 0) {
    if (cpu0) {
      VERBOSE_TOROUT_STRING('rcu_torture_fwd_prog_init: Disabled, conflicts with CPU-stall testing');
      WARN_ON(true); // Make sure rcutorture notices conflict.
    }
    return;
  }
  const poolSize = p.test_fwd_oom > 0 ? p.test_fwd_oom : FWD_CB_MEM_PER_KTHREAD * n;
  const g = kapi.shmAlloc('rcu_fwd', G_WORDS, (reg) => {
    // The pool's free list: object k links to k + 1 (as object + 1), the last to 0.
    Atomics.store(reg.i32, reg.base + G_FREE, 1);
  });
  const pool = kapi.shmAlloc('rcu_fwd_cb', poolSize * C_WORDS, (reg) => {
    for (let k = 0; k < poolSize; k++) Atomics.store(reg.i32, reg.base + k * C_WORDS + C_NEXT, k + 1 < poolSize ? k + 2 : 0);
  });
  const rfps = kapi.shmAlloc('rcu_fwds', n * R_WORDS);
  // spin_lock_init() in a loop: one lock class for every kthread's lock.
  const key = kapi.lockClass('&rfp->rcu_fwd_lock', 'spinlock', LOCK_TYPE_PROPS.spinlock.waitType);
  F = {
    ops,
    n,
    holdoff: p.fwd_progress_holdoff <= 0 ? 1 : p.fwd_progress_holdoff,
    div: p.fwd_progress_div <= 0 ? 4 : p.fwd_progress_div,
    needResched: p.fwd_progress_need_resched,
    testGpStall: p.test_fwd_gp_stall,
    noCap: p.test_fwd_oom > 0,
    g: g.base,
    rfps: rfps.base,
    pool: pool.base,
    poolSize,
    locks: Array.from({ length: n }, (_, i) => DEFINE_SPINLOCK(`rcu_fwds[${i}].rcu_fwd_lock`, key)),
    poolLock: DEFINE_SPINLOCK('rcu_fwd_pool_lock'),
    mutex: DEFINE_MUTEX('rcu_fwd_mutex'),
    cbCr: rcu_callback('rcu_torture_fwd_cb_cr', rcu_torture_fwd_cb_cr),
    cbProp: rcu_callback('rcu_torture_fwd_prog_cb', rcu_torture_fwd_prog_cb),
  };
  ops.gp_slow_register?.(sw(T_FWD_NODELAY));
  for (let i = 0; i < n; i++) {
    if (torture_spread_here()) torture_create_kthread(() => rcu_torture_fwd_prog(i), 'rcu_torture_fwd_prog');
  }
}
