/*
 * locktorture (kernel/locking/locktorture.c) as a guest module: writer and reader stress kthreads
 * hammer one lock of the selected torture_type and check that it excludes (lock_is_write_held,
 * lock_is_read_held in shared memory); a stats kthread prints the kernel's lines; the shutdown
 * kthread (torture common) runs lock_torture_cleanup(), which prints `End of test:`.
 *
 * Output formats follow kernel/locking/locktorture.c to the character:
 *   <type>-torture:--- Start of test: acq_writer_lim=N bind_readers=0-3 bind_writers=0-3 long_hold=N ...
 *   <type>-torture: Writes:  Total: T  Max/Min: a/b ???  Fail: f !!!   (and `Reads :` for rw types)
 *   <type>-torture:--- End of test: SUCCESS|FAILURE|LOCK_HOTPLUG: <the same parameters>
 * With CPU hotplug on, a third line `<type>-torture: onoff: a/b:c/d e,f:g,h i:j (HZ=1000) `
 * (torture_onoff_stats()) follows. The kernel's locktorture prints no hotplug statistics at all;
 * they get a line of their own so that the Writes/Reads lines keep the kernel's exact format (the
 * format ends in "%s\n", so nothing may be appended to them).
 *
 * Departures from the kernel, each for the machine model (harness/cpu/README.md, harness/torture/README.md):
 *   - Writer i starts on CPU i % NR_CPUS, reader j on CPU j % NR_CPUS (then they migrate, and
 *     torture_shuffle moves them), and the CPUs are non-preemptive, so every stress loop yields
 *     (cond_resched) once per jiffy it ran.
 *   - Delays inside sleeping locks sleep (scheduleTimeout) instead of mdelay()'s busy-wait, so a
 *     long hold does not freeze the holder's CPU; spinning locks busy-wait as the kernel does.
 *     torture.time_scale=N shortens every delay N-fold (torture_delay.ts); a sleeping delay
 *     scaled under a jiffy busy-waits, as the kernel's mdelay().
 *   - locktorture.onoff_interval is in jiffies (as rcutorture's), onoff_holdoff in seconds.
 *   - torture_type `user` runs the lock-ops module named by locktorture.ops_module (user_ops.ts).
 *   - bind_readers/bind_writers keep their binding for the test: bound stress kthreads are not
 *     shuffled (the kernel's first shuffle replaces the binding).
 *   - call_rcu_chains is refused (no RCU in the lock guest).
 *
 * Failed checks are counted (n_lock_fail) and warned once; they never throw through the loop.
 * Besides the kernel's two exclusion checks, a type may check its holder's priority inheritance
 * (ops.check_boost: rtmutex_lock, lock_torture_rtmutex.ts); ours, counted the same way.
 *
 * This file is the module: its parameters, the stress kthreads, the statistics, boot and cleanup.
 * The lock types (their ops, locks and delays: torture_ops[]) are lock_torture_types.ts.
 */

import { LRSA_SYMBOL, LWSA_SYMBOL, STATS_LINE_F64, statsWords } from './lock_stress_stats.js';
import { HZ, kapi } from '../kapi.js';
import { ModuleParams } from '../../kernels/moduleparam.js';
import {
  TOROUT_STRING,
  VERBOSE_TOROUT_STRING,
  stutter_wait,
  torture_cleanup_begin,
  torture_cleanup_end,
  torture_create_kthread,
  torture_init_begin,
  torture_kthread_stopping,
  torture_must_stop,
  torture_onoff_failures,
  torture_onoff_init,
  torture_onoff_stats,
  torture_random,
  torture_random_state,
  torture_shutdown_init,
  torture_sleep_interruptible,
  torture_shuffle_init,
  torture_spread_here,
  torture_stutter_init,
  type TortureRandomState,
} from './common.js';
import type { LockTortureOps, MaybeSleep } from './lock_torture_ops.js';
import { torture_rt_boost } from './lock_torture_rtmutex.js';
import { sched_set_fifo } from '../../kernels/sched/core.js';
import { LOCK_TORTURE_OPS, LOCK_TORTURE_TYPES, lock_torture_tune, lock_torture_tuning, MAX_NESTED_LOCKS, type LockTortureType } from './lock_torture_types.js';


/* ---------------- parameters (torture_param) ---------------- */

/*
 * locktorture's torture_param()s and module_param()s, every one of 6.12's: honoured, or refused
 * (setting it is bad input naming it). Declared in the order of 6.12's
 * lock_torture_print_module_parms(), which the `Start of test` line follows (print_words()):
 * only what is in effect is printed, so a refused parameter is not.
 */
export const locktorture_params = new ModuleParams('locktorture', ['lock']);
const lp = locktorture_params;
/** cpulist_parse()'s syntax: `0-3,5`. */
const CPULIST = /^\d+(-\d+)?(,\d+(-\d+)?)*$/;
const acq_writer_lim = lp.param('int', 'acq_writer_lim', 0, 'Write_acquisition time limit (jiffies).');
const bind_readers = lp.param('charp', 'bind_readers', '', 'Bind the readers to the specified set of CPUs.', { pattern: CPULIST, expect: 'a CPU list such as 0-3,5' });
const bind_writers = lp.param('charp', 'bind_writers', '', 'Bind the writers to the specified set of CPUs.', { pattern: CPULIST, expect: 'a CPU list such as 0-3,5' });
lp.refuse('int', 'call_rcu_chains', 'call_rcu() chains: the lock suite boots no RCU (its guest runs CPU hotplug and locktorture only)');
const long_hold = lp.param('int', 'long_hold', 100, 'Do occasional long hold of lock (ms), 0=disable', { min: 0 });
const nested_locks = lp.param('int', 'nested_locks', 0, 'Number of nested locks (max = 8)', {
  min: 0,
  max: MAX_NESTED_LOCKS,
  expect: `an integer from 0 to ${MAX_NESTED_LOCKS} (MAX_NESTED_LOCKS)`,
});
const nreaders_stress = lp.param('int', 'nreaders_stress', -1, 'Number of read-locking stress-test threads');
const nwriters_stress = lp.param('int', 'nwriters_stress', -1, 'Number of write-locking stress-test threads');
const onoff_holdoff = lp.param('int', 'onoff_holdoff', 0, 'Time after boot before CPU hotplugs (s)', { min: 0 });
const onoff_interval = lp.param('int', 'onoff_interval', 0, 'Time between CPU hotplugs (jiffies), 0=disable', { min: 0 });
const rt_boost = lp.param('int', 'rt_boost', 2, 'Do periodic rt-boost. 0=Disable, 1=Only for rt_mutex, 2=For all lock types.', { min: 0, max: 2 });
const rt_boost_factor = lp.param('int', 'rt_boost_factor', 50, 'A factor determining how often rt-boost happens.', { min: 1 });
// rt_boost, rt_boost_factor (the rtmutex_lock type's) are declared here, in the kernel's order.
const shuffle_interval = lp.param('int', 'shuffle_interval', 3, 'Number of jiffies between shuffles, 0=disable', { min: 0 });
const shutdown_secs = lp.param('int', 'shutdown_secs', 0, 'Shutdown time (j), <= zero to disable.', { min: 0 });
const stat_interval = lp.param('int', 'stat_interval', 60, 'Number of seconds between stats printk()s', { min: 0 });
const stutter = lp.param('int', 'stutter', 5, 'Number of jiffies to run/halt test, 0=disable', { min: 0 });
const verbose = lp.param('int', 'verbose', 1, 'Enable verbose debugging printk()s', { min: 0 });
const writer_fifo = lp.param('int', 'writer_fifo', 0, 'Run writers at sched_set_fifo() priority');
export const torture_type = lp.param('charp', 'torture_type', 'spin_lock', 'Type of lock to torture (spin_lock, spin_lock_irq, mutex_lock, ...)', {
  values: LOCK_TORTURE_TYPES,
  quiet: true,
});

/** The parameters: the defaults until boot() reads the boot line (module load must not touch kapi: the driver imports this file). */
let p: LockTortureParams = {
  torture_type: torture_type.dflt,
  acq_writer_lim: acq_writer_lim.dflt,
  bind_readers: [],
  bind_writers: [],
  nwriters_stress: nwriters_stress.dflt,
  nreaders_stress: nreaders_stress.dflt,
  stat_interval: stat_interval.dflt,
  verbose: verbose.dflt,
  shuffle_interval: shuffle_interval.dflt,
  stutter: stutter.dflt,
  shutdown_secs: shutdown_secs.dflt,
  onoff_interval: onoff_interval.dflt,
  onoff_holdoff: onoff_holdoff.dflt,
  long_hold: long_hold.dflt,
  nested_locks: nested_locks.dflt,
  rt_boost: rt_boost.dflt,
  rt_boost_factor: rt_boost_factor.dflt,
  writer_fifo: writer_fifo.dflt,
};

export interface LockTortureParams {
  readonly torture_type: string;
  readonly acq_writer_lim: number;
  /** bind_readers/bind_writers as CPUs (empty: all, as an empty cpumask in the kernel). */
  readonly bind_readers: readonly number[];
  readonly bind_writers: readonly number[];
  readonly nwriters_stress: number;
  readonly nreaders_stress: number;
  readonly stat_interval: number;
  readonly verbose: number;
  readonly shuffle_interval: number;
  readonly stutter: number;
  readonly shutdown_secs: number;
  readonly onoff_interval: number;
  readonly onoff_holdoff: number;
  readonly long_hold: number;
  readonly nested_locks: number;
  readonly rt_boost: number;
  readonly rt_boost_factor: number;
  /** Writers start at sched_set_fifo() priority (torture_create_kthread_cb()'s callback in the kernel). */
  readonly writer_fifo: number;
}

/** The honoured parameters, read at boot. */
function readParams(): LockTortureParams {
  return {
    torture_type: torture_type.get(),
    acq_writer_lim: acq_writer_lim.get(),
    bind_readers: cpulist_parse(bind_readers.get(), kapi.nrCpuIds),
    bind_writers: cpulist_parse(bind_writers.get(), kapi.nrCpuIds),
    nwriters_stress: nwriters_stress.get(),
    nreaders_stress: nreaders_stress.get(),
    stat_interval: stat_interval.get(),
    verbose: verbose.get(),
    shuffle_interval: shuffle_interval.get(),
    stutter: stutter.get(),
    shutdown_secs: shutdown_secs.get(),
    onoff_interval: onoff_interval.get(),
    onoff_holdoff: onoff_holdoff.get(),
    long_hold: long_hold.get(),
    nested_locks: nested_locks.get(),
    rt_boost: rt_boost.get(),
    rt_boost_factor: rt_boost_factor.get(),
    writer_fifo: writer_fifo.get(),
  };
}

/** cpulist_parse(): the CPUs of `list` below `nr` (a CPU the guest lacks is left out), ascending. */
export function cpulist_parse(list: string, nr: number): number[] {
  const cpus = new Set<number>();
  if (list === '') return [];
  for (const part of list.split(',')) {
    const [a, b] = part.split('-').map(Number);
    for (let c = a ?? 0; c <= (b ?? a ?? 0); c++) if (c < nr) cpus.add(c);
  }
  return [...cpus].sort((x, y) => x - y);
}

/** `%*pbl`: a CPU list in ranges (`0-2,5`). */
export function cpumask_pr(cpus: readonly number[]): string {
  const out: string[] = [];
  for (let i = 0; i < cpus.length; ) {
    let j = i;
    while (j + 1 < cpus.length && cpus[j + 1] === (cpus[j] ?? 0) + 1) j++;
    out.push(i === j ? `${cpus[i]}` : `${cpus[i]}-${cpus[j]}`);
    i = j + 1;
  }
  return out.join(',');
}

/** The parameters, read from kapi.config in boot() (module load must not touch kapi: the driver may import this file). */
let cur_ops: LockTortureOps | null = null;
let nrealwriters_stress = 0;
let nrealreaders_stress = 0;

/* ---------------- shared state (lock_torture_cxt) ---------------- */

const CXT_WRITE_HELD = 0;
const CXT_READ_HELD = 1;
const CXT_ERRORS = 2;
/** WARN_ON_ONCE state, guest-wide: one splat per call site as in the kernel, not one per CPU. */
const CXT_WARNED_WRITER = 3;
const CXT_WARNED_READER = 4;
const CXT_WARNED_BOOST = 5;
const CXT_WARNED_ACQ_LIM = 6;
const CXT_WORDS = 16;

let cxtBase = 0;
let lwsa: Float64Array = new Float64Array(0);
let lrsa: Float64Array = new Float64Array(0);

function statsArray(name: string, n: number): Float64Array {
  const r = kapi.shmAlloc(name, statsWords(n));
  return new Float64Array(kapi.shm.buffer, r.base * 4, Math.max(1, n) * STATS_LINE_F64);
}


/* ---------------- stress kthreads ---------------- */

function WARN_ON_ONCE(word: number, where: string, what: string): void {
  if (Atomics.exchange(kapi.shm, cxtBase + word, 1) !== 0) return;
  kapi.warn(where, `${where}: ${what}`);
}

/**
 * cond_resched(): a non-preemptive CPU runs its other tasks (stats, onoff, the other stress
 * kthreads) only when this one yields; yield once per jiffy of running, and at each preemption
 * point under CONFIG_PREEMPT=y.
 */
async function cond_resched(last: number): Promise<number> {
  const now = kapi.jiffies();
  if (now !== last) {
    await kapi.schedule();
    return kapi.jiffies();
  }
  const pp = kapi.preemptPoint();
  if (pp !== null) await pp;
  return last;
}

async function lock_torture_writer(tid: number): Promise<void> {
  const ops = cur_ops as LockTortureOps;
  const i32 = kapi.shm;
  const held = cxtBase + CXT_WRITE_HELD;
  const readHeld = cxtBase + CXT_READ_HELD;
  const slot = tid * STATS_LINE_F64;
  const rand = torture_random_state();
  const task_boost = ops.task_boost ?? ((trsp: TortureRandomState | null) => torture_rt_boost(trsp, lock_torture_tuning()));
  let last = kapi.jiffies();
  VERBOSE_TOROUT_STRING('lock_torture_writer task started');
  // The kernel sets the policy in torture_create_kthread_cb()'s callback before the first run; the
  // writer's first act here is the same moment for every lock it takes.
  if (p.writer_fifo !== 0) sched_set_fifo(kapi.current());
  do {
    if ((torture_random(rand) & 0xfffff) === 0) await kapi.scheduleTimeout(1);
    const lockset = torture_random(rand);
    const skip_main_lock = p.nested_locks > 0 && torture_random(rand) % 100 === 0;
    task_boost(rand);
    if (ops.nested_lock !== undefined) await ops.nested_lock(tid, lockset);
    if (!skip_main_lock) {
      const j = p.acq_writer_lim > 0 ? kapi.jiffies() : 0;
      const l = ops.writelock(tid);
      if (l instanceof Promise) await l;
      // Exchange, not load-then-store: two writers inside at once must be seen by one of them.
      if (Atomics.exchange(i32, held, 1) !== 0) {
        WARN_ON_ONCE(CXT_WARNED_WRITER, 'lock_torture_writer', 'lock_is_write_held');
        lwsa[slot + 1] = (lwsa[slot + 1] ?? 0) + 1;
      }
      if (Atomics.load(i32, readHeld) !== 0) {
        WARN_ON_ONCE(CXT_WARNED_WRITER, 'lock_torture_writer', 'lock_is_read_held');
        lwsa[slot + 1] = (lwsa[slot + 1] ?? 0) + 1;
      }
      if (p.acq_writer_lim > 0) {
        const j1 = kapi.jiffies();
        if (j1 - j > p.acq_writer_lim && Atomics.exchange(i32, cxtBase + CXT_WARNED_ACQ_LIM, 1) === 0) {
          kapi.warn('lock_torture_writer', `lock_torture_writer: Lock acquisition took ${j1 - j} jiffies.`);
        }
      }
      lwsa[slot] = (lwsa[slot] ?? 0) + 1;
      const d = ops.write_delay(rand);
      if (d instanceof Promise) await d;
      const unboosted = ops.check_boost?.() ?? null;
      if (unboosted !== null) {
        WARN_ON_ONCE(CXT_WARNED_BOOST, 'lock_torture_writer', unboosted);
        lwsa[slot + 1] = (lwsa[slot + 1] ?? 0) + 1;
      }
      Atomics.store(i32, held, 0);
      const u = ops.writeunlock(tid);
      if (u instanceof Promise) await u;
    }
    if (ops.nested_unlock !== undefined) ops.nested_unlock(tid, lockset);
    await stutter_wait('lock_torture_writer');
    last = await cond_resched(last);
  } while (!torture_must_stop());
  task_boost(null); // reset prio
  torture_kthread_stopping('lock_torture_writer');
}

async function lock_torture_reader(tid: number): Promise<void> {
  const ops = cur_ops as LockTortureOps;
  const readlock = ops.readlock as (tid: number) => MaybeSleep;
  const read_delay = ops.read_delay as (trsp: TortureRandomState) => MaybeSleep;
  const readunlock = ops.readunlock as (tid: number) => MaybeSleep;
  const i32 = kapi.shm;
  const held = cxtBase + CXT_WRITE_HELD;
  const readHeld = cxtBase + CXT_READ_HELD;
  const slot = tid * STATS_LINE_F64;
  const rand = torture_random_state();
  let last = kapi.jiffies();
  VERBOSE_TOROUT_STRING('lock_torture_reader task started');
  do {
    if ((torture_random(rand) & 0xfffff) === 0) await kapi.scheduleTimeout(1);
    const l = readlock(tid);
    if (l instanceof Promise) await l;
    Atomics.add(i32, readHeld, 1);
    if (Atomics.load(i32, held) !== 0) {
      WARN_ON_ONCE(CXT_WARNED_READER, 'lock_torture_reader', 'lock_is_write_held');
      lrsa[slot + 1] = (lrsa[slot + 1] ?? 0) + 1;
    }
    lrsa[slot] = (lrsa[slot] ?? 0) + 1;
    const d = read_delay(rand);
    if (d instanceof Promise) await d;
    Atomics.sub(i32, readHeld, 1);
    const u = readunlock(tid);
    if (u instanceof Promise) await u;
    await stutter_wait('lock_torture_reader');
    last = await cond_resched(last);
  } while (!torture_must_stop());
  torture_kthread_stopping('lock_torture_reader');
}

/* ---------------- statistics ---------------- */

/** __torture_print_stats(): one `Writes:`/`Reads :` line; counts an error when a task failed. */
function __torture_print_stats(statp: Float64Array, write: boolean): string {
  const n_stress = write ? nrealwriters_stress : nrealreaders_stress;
  let fail = false;
  let max = 0;
  let min = n_stress > 0 ? (statp[0] ?? 0) : 0;
  let sum = 0;
  for (let i = 0; i < n_stress; i++) {
    if ((statp[i * STATS_LINE_F64 + 1] ?? 0) !== 0) fail = true;
    const cur = statp[i * STATS_LINE_F64] ?? 0;
    sum += cur;
    if (max < cur) max = cur;
    if (min > cur) min = cur;
  }
  const unfair = p.onoff_interval <= 0 && Math.trunc(max / 2) > min ? '???' : '';
  if (fail) Atomics.add(kapi.shm, cxtBase + CXT_ERRORS, 1);
  return `${write ? 'Writes' : 'Reads '}:  Total: ${sum}  Max/Min: ${max}/${min} ${unfair}  Fail: ${fail ? 1 : 0} ${fail ? '!!!' : ''}`;
}

/** lock_torture_stats_print(): writer line, the reader line, then (with hotplug) the onoff line. */
export function lock_torture_stats_print(): void {
  const ops = cur_ops;
  if (ops === null) return;
  TOROUT_STRING(__torture_print_stats(lwsa, true));
  if (ops.readlock !== undefined) TOROUT_STRING(__torture_print_stats(lrsa, false));
  if (p.onoff_interval > 0) TOROUT_STRING(torture_onoff_stats());
}

async function lock_torture_stats(): Promise<void> {
  VERBOSE_TOROUT_STRING('lock_torture_stats task started');
  do {
    await torture_sleep_interruptible(p.stat_interval * HZ);
    if (torture_must_stop()) break;
    lock_torture_stats_print();
  } while (!torture_must_stop());
  torture_kthread_stopping('lock_torture_stats');
}

/**
 * cxt.debug_lock: the kernel tags the parameter line ` [debug]` when the lock's debug variant is
 * built in: CONFIG_DEBUG_MUTEXES for mutex_*, CONFIG_DEBUG_SPINLOCK for spin_* and rw_lock*.
 * CONFIG_DEBUG_RT_MUTEXES for rtmutex_*. CONFIG_PROVE_LOCKING selects all three (lib/Kconfig.debug),
 * and is the only one the model knows.
 */
function debug_lock(): boolean {
  if (kapi.config.kconfig.get('CONFIG_PROVE_LOCKING') !== 'y') return false;
  const t = p.torture_type;
  return t.startsWith('mutex') || t.startsWith('rtmutex') || t.startsWith('spin') || t.startsWith('rw_lock');
}

/** lock_torture_print_module_parms(): the `--- <tag>[ [debug]]:` line with every parameter. */
function lock_torture_print_module_parms(tag: string): void {
  const all = Array.from({ length: kapi.nrCpuIds }, (_, c) => c);
  const shown = {
    nwriters_stress: nrealwriters_stress,
    nreaders_stress: nrealreaders_stress,
    bind_readers: cpumask_pr(p.bind_readers.length > 0 ? p.bind_readers : all),
    bind_writers: cpumask_pr(p.bind_writers.length > 0 ? p.bind_writers : all),
  };
  kapi.printk(`${p.torture_type}-torture:--- ${tag}${debug_lock() ? ' [debug]' : ''}: ${locktorture_params.print_words(shown)}`);
}

/** lock_torture_cleanup(): stop everything, final stats, the `End of test:` verdict. */
async function lock_torture_cleanup(): Promise<void> {
  await torture_cleanup_begin();
  lock_torture_stats_print();
  if (Atomics.load(kapi.shm, cxtBase + CXT_ERRORS) !== 0) {
    lock_torture_print_module_parms('End of test: FAILURE');
    kapi.noteFailure(`${p.torture_type}-torture: End of test: FAILURE`);
  } else if (torture_onoff_failures()) {
    lock_torture_print_module_parms('End of test: LOCK_HOTPLUG');
    kapi.noteFailure(`${p.torture_type}-torture: End of test: LOCK_HOTPLUG`);
  } else {
    lock_torture_print_module_parms('End of test: SUCCESS');
  }
  await torture_cleanup_end();
}

/* ---------------- boot (lock_torture_init) ---------------- */

/** Guest module entry, on every CPU: declare the lock, create this CPU's stress kthreads. */
export async function boot(cpu: number): Promise<void> {
  p = readParams();
  torture_init_begin(p.torture_type, p.verbose);
  if (!Object.hasOwn(LOCK_TORTURE_OPS, p.torture_type)) {
    if (cpu === 0) {
      kapi.printk(`lock-torture: invalid torture type: "${p.torture_type}"`);
      kapi.printk(`lock-torture types: ${LOCK_TORTURE_TYPES.join(' ')}`);
      kapi.noteFailure(`locktorture: invalid torture type "${p.torture_type}"`);
      kapi.kthreadRun(async () => kapi.powerOff(), 'lock_torture_init');
    }
    return;
  }
  cur_ops = await LOCK_TORTURE_OPS[p.torture_type as LockTortureType]();
  const ops = cur_ops;
  const ncpus = kapi.nrCpuIds;
  if (p.nwriters_stress === 0 && (ops.readlock === undefined || p.nreaders_stress === 0)) {
    if (cpu === 0) {
      kapi.printk('lock-torture: must run at least one locking thread');
      kapi.noteFailure('locktorture: no locking thread');
      kapi.kthreadRun(async () => kapi.powerOff(), 'lock_torture_init');
    }
    return;
  }
  nrealwriters_stress = p.nwriters_stress >= 0 ? p.nwriters_stress : 2 * ncpus;
  ops.init?.();
  if (ops.readlock !== undefined) {
    if (p.nreaders_stress >= 0) nrealreaders_stress = p.nreaders_stress;
    else {
      if (p.nwriters_stress < 0) nrealwriters_stress = ncpus;
      nrealreaders_stress = nrealwriters_stress;
    }
  }
  lock_torture_tune({ long_hold: p.long_hold, nested_locks: p.nested_locks, nrealwriters_stress, nrealreaders_stress, rt_boost: p.rt_boost, rt_boost_factor: p.rt_boost_factor });
  cxtBase = kapi.shmAlloc('lock_torture_cxt', CXT_WORDS).base;
  lwsa = statsArray(LWSA_SYMBOL, nrealwriters_stress);
  lrsa = statsArray(LRSA_SYMBOL, nrealreaders_stress);

  if (cpu === 0) lock_torture_print_module_parms('Start of test');
  // System kthreads spread over the CPUs (torture_spread_here(): every CPU makes these calls).
  if (torture_spread_here() && p.onoff_interval > 0) torture_onoff_init(p.onoff_holdoff * HZ, p.onoff_interval);
  if (torture_spread_here() && p.shutdown_secs > 0) torture_shutdown_init(p.shutdown_secs, lock_torture_cleanup);
  if (torture_spread_here() && p.stutter > 0) torture_stutter_init(p.stutter);
  // shuffle_interval is in jiffies here, as the kernel's locktorture has it.
  if (torture_spread_here() && p.shuffle_interval > 0) torture_shuffle_init(p.shuffle_interval);
  // Writers and readers interleaved, as lock_torture_init() creates them; task i on CPU i % n.
  for (let i = 0; i < Math.max(nrealwriters_stress, nrealreaders_stress); i++) {
    if (i < nrealwriters_stress && i % ncpus === cpu) {
      const tid = i;
      torture_create_kthread(() => lock_torture_writer(tid), 'lock_torture_wr', p.bind_writers);
    }
    if (ops.readlock !== undefined && i < nrealreaders_stress && i % ncpus === cpu) {
      const tid = i;
      torture_create_kthread(() => lock_torture_reader(tid), 'lock_torture_rd', p.bind_readers);
    }
  }
  if (torture_spread_here() && p.stat_interval > 0) torture_create_kthread(lock_torture_stats, 'lock_torture_sta');
}
