/*
 * The torture.c of this harness: machinery shared by rcutorture and locktorture — the random
 * generator, stop flags, kthread accounting and placement, CPU on/off cycling (torture_onoff),
 * the shuffler (torture_shuffle), stutter, and the shutdown kthread that runs the suite's cleanup
 * and powers the guest off.
 *
 * Shared state lives in one shm region so that any CPU can print the onoff statistics and every
 * torture kthread sees the same stop flag. Long sleeps wait on the stop wait-queue so that a
 * shutdown ends them at once.
 *
 * Placement. Tasks migrate (harness/cpu/README.md): a kthread starts on the CPU that creates it and
 * runs on any online CPU its affinity allows. torture_spread_here() puts the system kthreads
 * (writer, stats, onoff, shutdown, shuffler, barrier, stutter, ...) round robin over the CPUs in
 * creation order, as the scheduler's wake-up balancing spreads new kthreads; every CPU's boot makes
 * the same calls, so each knows which kthreads are its own. Every torture kthread is registered
 * for shuffling (torture_shuffle_task_register()); torture_shuffle moves them off the
 * shuffle-idle CPU every shuffle_interval.
 *
 * torture_cleanup_begin() still brings offline CPUs back before it waits for the kthreads to
 * stop, so that every run ends with all CPUs online (the final statistics count them).
 */

import { HZ, kapi, type ShmRegion, type WaitQueueHead } from '../kapi.js';
import { ModuleParams } from '../../kernels/moduleparam.js';
import { firstValues, seededRandomState, torture_random, type TortureRandomState } from './torture_random.js';
import { add_cpu, cpu_is_hotpluggable, cpu_online, cpus_read_lock, cpus_read_unlock, num_online_cpus, remove_cpu } from '../../kernels/cpu/hotplug.js';
import { DEFINE_MUTEX, mutex_lock, mutex_unlock, type Mutex } from '../../kernels/locking/mutex.js';
import { kthread_stop } from '../../kernels/kthread.js';

/* kernel/torture.c's torture_param()s, and ours beside them (the random streams, a planted leak). */
export const torture_params = new ModuleParams('torture');
const random_shuffle = torture_params.param('bool', 'random_shuffle', false, 'Shuffle to random CPUs rather than the next ones');
// The seed of every random stream; the driver sets it from --seed.
const random_seed = torture_params.param('uint', 'random_seed', 0, 'Seed of every random stream');
const dump_random_streams = torture_params.param('bool', 'dump_random_streams', false, 'Print the first values of every random stream');
const test_leak_mb = torture_params.param('uint', 'test_leak_mb', 0, 'Planted bug: leak about N MB of heap on CPU 0');
const test_boot_delay_ms = torture_params.param('uint', 'test_boot_delay_ms', 0, 'Test switch: slow the boot of CPU 0 by N ms');
const test_idle_kthreads = torture_params.param('bool', 'test_idle_kthreads', false, 'Test switch: every torture kthread waits for the end of the test before it starts');
torture_params.refuse('bool', 'disable_onoff_at_boot', 'the boot-time CPU-hotplug switch (onoff always runs when configured)');
torture_params.refuse('uint', 'verbose_sleep_frequency', 'verbose-print sleeps');
torture_params.refuse('uint', 'verbose_sleep_duration', 'verbose-print sleeps');

/** kernel/torture.c's fullstop_mutex: orders the stop flag against cleanup (lockdep sees it). */
let fullstop_mutex_: Mutex | null = null;
function fullstop_mutex(): Mutex {
  fullstop_mutex_ ??= DEFINE_MUTEX('fullstop_mutex');
  return fullstop_mutex_;
}

const W_FULLSTOP = 0;
const W_NKTHREADS = 1;
const W_STOP_WQ = 2;
const W_KTHREAD_WQ = 3;
const W_STUTTER_PAUSE = 4;
const W_STUTTER_WQ = 5;
const W_ON_ATTEMPTS = 6;
const W_ON_SUCCESSES = 7;
const W_OFF_ATTEMPTS = 8;
const W_OFF_SUCCESSES = 9;
const W_MIN_ON = 10;
const W_MAX_ON = 11;
const W_MIN_OFF = 12;
const W_MAX_OFF = 13;
const W_SUM_ON = 14;
const W_SUM_OFF = 15;
const W_ONOFF_ACTIVE = 16;
/** torture_shuffle's shuffle_idle_cpu + 1 (0: none), and whether a shuffler runs. */
const W_SHUFFLE_IDLE = 18;
const W_SHUFFLE_ACTIVE = 19;
/** Number of pids in the torture kthread table (the rest of the region). */
const W_NPIDS = 17;
const W_PIDS = 32;
const MAX_TORTURE_KTHREADS = 480;
const W_WORDS = W_PIDS + MAX_TORTURE_KTHREADS;

let region: ShmRegion | null = null;
let torture_type = 'torture';
let verbose = 1;

function r(): ShmRegion {
  region ??= kapi.shmAlloc('torture_common', W_WORDS, (reg) => {
    Atomics.store(reg.i32, reg.base + W_MIN_ON, -1);
    Atomics.store(reg.i32, reg.base + W_MIN_OFF, -1);
  });
  return region;
}

function word(w: number): number {
  return r().base + w;
}

function wq(w: number): WaitQueueHead {
  return { i32: kapi.shm, index: word(w) };
}

function load(w: number): number {
  return Atomics.load(kapi.shm, word(w));
}

/* ---------------- output ---------------- */

/** TOROUT_STRING: `<type>-torture: <s>`. */
export function TOROUT_STRING(s: string): void {
  kapi.printk(`${torture_type}-torture: ${s}`);
}

/** VERBOSE_TOROUT_STRING: as TOROUT_STRING when verbose. */
export function VERBOSE_TOROUT_STRING(s: string): void {
  if (verbose > 0) TOROUT_STRING(s);
}

/** torture_init_begin(): record the type for messages; call from each CPU's boot(). */
export function torture_init_begin(ttype: string, v: number): void {
  torture_type = ttype;
  verbose = v;
  r();
  const leakMb = test_leak_mb.get();
  if (kapi.smpProcessorId() === 0 && leakMb > 0) torture_test_leak(leakMb);
  const delayMs = test_boot_delay_ms.get();
  if (kapi.smpProcessorId() === 0 && delayMs > 0) torture_test_boot_delay(delayMs);
}

/*
 * torture.test_boot_delay_ms=N, a test switch: CPU 0's module init blocks N ms, as a loaded host
 * slows a boot. The test of "test time counts from the start of the test" (the run must still
 * test for its full shutdown_secs). Unset in every shipped scenario.
 */
function torture_test_boot_delay(ms: number): void {
  // A CPU's boot runs on its worker thread before any task: blocking it is what a slow boot is.
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/*
 * torture.test_leak_mb=N, a planted bug in the style of rcutree.test_broken_gp: a kthread on CPU 0
 * keeps allocating about 32 MB of JS heap each time it runs until it holds N MB. With --memory below
 * that, the CPU runs out of its heap share and the guest reports out of memory (the test of the
 * memory cap). Unset in every shipped scenario.
 */
const LEAK_CHUNK_WORDS = 128 * 1024;
const LEAK_CHUNKS_PER_TICK = 32;

function torture_test_leak(mb: number): void {
  const held: number[][] = [];
  kapi.kthreadRun(async () => {
    VERBOSE_TOROUT_STRING(`torture_test_leak: allocating ${mb} MB`);
    while (held.length < mb && !torture_must_stop()) {
      for (let k = 0; k < LEAK_CHUNKS_PER_TICK && held.length < mb; k++) {
        const chunk: number[] = [];
        // Doubles in a packed array: 8 bytes each, about 1 MB of old space per chunk.
        for (let i = 0; i < LEAK_CHUNK_WORDS; i++) chunk.push(i + 0.5);
        held.push(chunk);
      }
      await kapi.scheduleTimeout(1);
    }
    VERBOSE_TOROUT_STRING(`torture_test_leak: holding ${held.length} MB`);
  }, 'torture_leak');
}

export function torture_init_end(): void {}

/* ---------------- random ---------------- */

/*
 * Every random stream of a guest derives from ONE seed: the boot parameter torture.random_seed,
 * which the driver sets from `--seed N` (or a seed it chose and printed). A stream is named: by
 * default after the task that creates it and its CPU (`rcu_torture_rea@3#0`: comm, CPU, and how many
 * streams that comm made on that CPU before, which boot order fixes), or explicitly. Its first
 * state is a hash of (seed, name), so the same seed gives every stream the same values in every
 * run, and another seed other values. THE way for kernel code to get randomness is therefore:
 *
 *   const rand = torture_random_state();          // or torture_random_state('torture_shuffle')
 *   const x = torture_random(rand);
 *
 * The generator and its deterministic refresh are in torture_random.ts. With
 * torture.dump_random_streams=1 each new stream prints its name and first values
 * (`torture: random stream NAME first: A B C`), drawn from a copy so the stream itself is
 * untouched: that is how tests see every stream of a real run.
 */

export { torture_random, type TortureRandomState } from './torture_random.js';

const DUMP_FIRST_VALUES = 3;

/** Streams made on this CPU so far, per default name: the `#n` of the next one. */
const streamsMade = new Map<string, number>();

/** The guest's seed (torture.random_seed; 0 when a test boots a guest without one). */
export function torture_random_seed(): number {
  return random_seed.get() >>> 0;
}

function defaultStreamName(): string {
  const comm = kapi.inTask() ? kapi.current().comm : 'boot';
  const base = `${comm}@${kapi.smpProcessorId()}`;
  const n = streamsMade.get(base) ?? 0;
  streamsMade.set(base, n + 1);
  return `${base}#${n}`;
}

/** DEFINE_TORTURE_RANDOM(): a new stream named `name` (default: after the current task), seeded. */
export function torture_random_state(name: string = defaultStreamName()): TortureRandomState {
  const trsp = seededRandomState(torture_random_seed(), name);
  if (dump_random_streams.get()) {
    kapi.printk(`torture: random stream ${name} first: ${firstValues(trsp, DUMP_FIRST_VALUES).join(' ')}`);
  }
  return trsp;
}

/**
 * torture_hrtimeout_jiffies(): sleep `baset_j` jiffies plus up to one jiffy of fuzz drawn from
 * `trsp` (none when null), ending early when the test stops. Returns true if stopping.
 */
export async function torture_hrtimeout_jiffies(baset_j: number, trsp: TortureRandomState | null): Promise<boolean> {
  const fuzz = trsp === null ? 0 : torture_random(trsp) % 2;
  return torture_sleep_interruptible(baset_j + fuzz);
}

/* ---------------- stop and kthreads ---------------- */

export function torture_must_stop(): boolean {
  return load(W_FULLSTOP) !== 0 || kapi.mustStop();
}

/** Sleep up to `j` jiffies, ending early when the test stops. Returns true if stopping. */
export async function torture_sleep_interruptible(j: number): Promise<boolean> {
  if (j <= 0) return torture_must_stop();
  await kapi.waitEventInterruptible(wq(W_STOP_WQ), torture_must_stop, j);
  return torture_must_stop();
}

/*
 * Spawn order of spread kthreads: the same sequence on every CPU, since every CPU's boot() makes
 * the same torture_spread_here() calls in the same order.
 */
let spreadNext = 0;

/**
 * Where the scheduler puts the next system kthread: round robin over the CPUs in creation order.
 * True when it is this CPU (create it here); call it on every CPU, in the same order.
 */
export function torture_spread_here(): boolean {
  const on = spreadNext++ % kapi.nrCpuIds;
  return on === kapi.smpProcessorId();
}

/**
 * torture_create_kthread(): a counted kthread on this CPU, registered for shuffling; cleanup
 * stops and waits for all of them. With `cpus` (locktorture's bind_readers/bind_writers:
 * torture_sched_setaffinity() after creation) it runs on those CPUs only and is not shuffled: in
 * the kernel the first torture_shuffle_tasks() replaces the binding (set_cpus_allowed_ptr() of
 * every registered task), so a binding lasts shuffle_interval jiffies; here it lasts the test
 * (a departure: configs/lock/README.md).
 */
export function torture_create_kthread(fn: () => Promise<void>, comm: string, cpus: readonly number[] = []): void {
  Atomics.add(kapi.shm, word(W_NKTHREADS), 1);
  const t = kapi.kthreadRun(async () => {
    try {
      // torture.test_idle_kthreads=1, a test switch: the kthread sleeps through the whole test and
      // exits without running, so that the run tests nothing (the test of a run too idle to be a
      // pass). Unset in every shipped scenario.
      if (test_idle_kthreads.get()) await kapi.waitEventInterruptible(wq(W_STOP_WQ), torture_must_stop);
      else await fn();
    } finally {
      // Pairs with the count's waitEvent condition in torture_cleanup_begin().
      Atomics.sub(kapi.shm, word(W_NKTHREADS), 1);
      kapi.wakeUp(wq(W_KTHREAD_WQ));
    }
  }, comm);
  if (cpus.length > 0) kapi.setCpusAllowed(t, cpus);
  else kapi.tortureShuffleTaskRegister(t);
  const k = Atomics.add(kapi.shm, word(W_NPIDS), 1);
  if (k < MAX_TORTURE_KTHREADS) Atomics.store(kapi.shm, word(W_PIDS + k), t.pid);
}

/** kthread_stop()'s wake-up for every torture kthread: each re-checks torture_must_stop() wherever it sleeps. */
function torture_stop_kthreads(): void {
  const n = Math.min(load(W_NPIDS), MAX_TORTURE_KTHREADS);
  for (let k = 0; k < n; k++) kapi.wakeUpProcess(load(W_PIDS + k));
}

export function torture_kthread_stopping(title: string): void {
  VERBOSE_TOROUT_STRING(`${title} is stopping`);
}

/* ---------------- onoff ---------------- */

function minMax(minW: number, maxW: number, sumW: number, delta: number): void {
  const i32 = kapi.shm;
  const min = Atomics.load(i32, word(minW));
  if (min < 0 || delta < min) Atomics.store(i32, word(minW), delta);
  if (delta > Atomics.load(i32, word(maxW))) Atomics.store(i32, word(maxW), delta);
  Atomics.add(i32, word(sumW), delta);
}

/** torture_offline(): one offline attempt with statistics. */
export async function torture_offline(cpu: number): Promise<boolean> {
  if (!cpu_is_hotpluggable(cpu) || !cpu_online(cpu)) return false;
  if (verbose > 1) TOROUT_STRING(`torture_onoff task: offlining ${cpu}`);
  const start = kapi.jiffies();
  Atomics.add(kapi.shm, word(W_OFF_ATTEMPTS), 1);
  const ret = await remove_cpu(cpu);
  if (ret !== 0) {
    if (verbose > 0) TOROUT_STRING(`torture_onoff task: offline ${cpu} failed: errno ${ret}`);
    return false;
  }
  if (verbose > 1) TOROUT_STRING(`torture_onoff task: offlined ${cpu}`);
  Atomics.add(kapi.shm, word(W_OFF_SUCCESSES), 1);
  minMax(W_MIN_OFF, W_MAX_OFF, W_SUM_OFF, kapi.jiffies() - start);
  return true;
}

/** torture_online(): one online attempt with statistics. */
export async function torture_online(cpu: number): Promise<boolean> {
  if (!cpu_is_hotpluggable(cpu) || cpu_online(cpu)) return false;
  if (verbose > 1) TOROUT_STRING(`torture_onoff task: onlining ${cpu}`);
  const start = kapi.jiffies();
  Atomics.add(kapi.shm, word(W_ON_ATTEMPTS), 1);
  const ret = await add_cpu(cpu);
  if (ret !== 0) {
    if (verbose > 0) TOROUT_STRING(`torture_onoff task: online ${cpu} failed: errno ${ret}`);
    return false;
  }
  if (verbose > 1) TOROUT_STRING(`torture_onoff task: onlined ${cpu}`);
  Atomics.add(kapi.shm, word(W_ON_SUCCESSES), 1);
  minMax(W_MIN_ON, W_MAX_ON, W_SUM_ON, kapi.jiffies() - start);
  return true;
}

/** torture_onoff(): after the holdoff, offline or online a random CPU every interval. */
async function torture_onoff(holdoffJ: number, intervalJ: number): Promise<void> {
  try {
    VERBOSE_TOROUT_STRING('torture_onoff task started');
    const rand = torture_random_state('torture_onoff');
    const maxcpu = kapi.nrCpuIds - 1;
    if (maxcpu < 1) {
      VERBOSE_TOROUT_STRING('Only one CPU, so CPU-hotplug testing is disabled');
    } else {
      if (holdoffJ > 0) {
        VERBOSE_TOROUT_STRING('torture_onoff begin holdoff');
        await torture_sleep_interruptible(holdoffJ);
        VERBOSE_TOROUT_STRING('torture_onoff end holdoff');
      }
      while (!torture_must_stop()) {
        const cpu = 1 + ((torture_random(rand) >>> 4) % maxcpu);
        if (cpu_online(cpu)) await torture_offline(cpu);
        else await torture_online(cpu);
        if (await torture_sleep_interruptible(intervalJ)) break;
      }
    }
    torture_kthread_stopping('torture_onoff');
  } finally {
    // Pairs with the condition load in torture_cleanup_begin().
    Atomics.store(kapi.shm, word(W_ONOFF_ACTIVE), 0);
    kapi.wakeUp(wq(W_KTHREAD_WQ));
  }
}

/** torture_onoff_init(): start torture_onoff on this CPU (call on the CPU that gets it). */
export function torture_onoff_init(holdoffJ: number, intervalJ: number): void {
  // torture.test_idle_kthreads: no hotplug either (cleanup would wait for an onoff that never ran).
  if (intervalJ <= 0 || test_idle_kthreads.get()) return;
  Atomics.store(kapi.shm, word(W_ONOFF_ACTIVE), 1);
  // No awaiting wrapper in between, so that stacks read torture_onoff -> kthread as the kernel's.
  torture_create_kthread(() => torture_onoff(holdoffJ, intervalJ), 'torture_onoff');
}

/** torture_onoff_stats(): the kernel's `onoff:` field, trailing space included (pr_cont). */
export function torture_onoff_stats(): string {
  return (
    `onoff: ${load(W_ON_SUCCESSES)}/${load(W_ON_ATTEMPTS)}:${load(W_OFF_SUCCESSES)}/${load(W_OFF_ATTEMPTS)} ` +
    `${load(W_MIN_ON)},${load(W_MAX_ON)}:${load(W_MIN_OFF)},${load(W_MAX_OFF)} ${load(W_SUM_ON)}:${load(W_SUM_OFF)} (HZ=${HZ}) `
  );
}

/** torture_onoff_failures(): some hotplug attempt did not succeed. */
export function torture_onoff_failures(): boolean {
  return load(W_ON_SUCCESSES) !== load(W_ON_ATTEMPTS) || load(W_OFF_SUCCESSES) !== load(W_OFF_ATTEMPTS);
}

/** Totals, for reports and tests. */
export function torture_onoff_counts(): { onlineOk: number; onlineTry: number; offlineOk: number; offlineTry: number } {
  return { onlineOk: load(W_ON_SUCCESSES), onlineTry: load(W_ON_ATTEMPTS), offlineOk: load(W_OFF_SUCCESSES), offlineTry: load(W_OFF_ATTEMPTS) };
}

/* ---------------- shuffle ---------------- */

/** The CPU torture tasks avoid now, -1 for none (tests and stats). */
export function torture_shuffle_idle_cpu(): number {
  return load(W_SHUFFLE_IDLE) - 1;
}

/**
 * torture_shuffle_tasks(): advance shuffle_idle_cpu to the next CPU (-1 after the last: none
 * idled), and allow every registered task all CPUs but that one (with torture.random_shuffle,
 * each task only with probability 1/2: it keeps its previous mask otherwise). Under
 * cpus_read_lock(), as the kernel's, and not at all with a single CPU online.
 */
async function torture_shuffle_tasks(random: boolean): Promise<void> {
  await cpus_read_lock();
  try {
    if (num_online_cpus() === 1) return;
    const prev = load(W_SHUFFLE_IDLE) - 1;
    // cpumask_next() over all CPUs from the previous one; past the last, none is idled.
    const idle = prev + 1 >= kapi.nrCpuIds ? -1 : prev + 1;
    Atomics.store(kapi.shm, word(W_SHUFFLE_IDLE), idle + 1);
    kapi.setShuffleIdleCpu(idle, random);
    if (verbose > 1) TOROUT_STRING(`torture_shuffle_tasks: shuffle_idle_cpu=${idle}`);
  } finally {
    cpus_read_unlock();
  }
}

/** torture_shuffle(): every `intervalJ` jiffies, shuffle. */
async function torture_shuffle(intervalJ: number): Promise<void> {
  VERBOSE_TOROUT_STRING('torture_shuffle task started');
  const rand = torture_random_state('torture_shuffle');
  const random = random_shuffle.get();
  do {
    if (await torture_hrtimeout_jiffies(intervalJ, rand)) break;
    await torture_shuffle_tasks(random);
  } while (!torture_must_stop());
  torture_kthread_stopping('torture_shuffle');
}

/** torture_shuffle_init(): start the shuffler (on the CPU that gets it: torture_spread_here()). */
export function torture_shuffle_init(intervalJ: number): void {
  if (intervalJ <= 0) return;
  Atomics.store(kapi.shm, word(W_SHUFFLE_ACTIVE), 1);
  torture_create_kthread(() => torture_shuffle(intervalJ), 'torture_shuffle');
}

/** torture_shuffle_cleanup(): every task may run everywhere again. */
function torture_shuffle_cleanup(): void {
  if (load(W_SHUFFLE_ACTIVE) === 0) return;
  Atomics.store(kapi.shm, word(W_SHUFFLE_IDLE), 0);
  kapi.setShuffleIdleCpu(-1);
}

/* ---------------- stutter ---------------- */

/*
 * torture_stutter(): run stutterJ, pause stutterJ. Departure: the kernel passes no random state to
 * torture_hrtimeout_jiffies() here; we pass a seeded one, so that the phase of the pauses against
 * the other kthreads varies with the seed (and repeats with it).
 */
async function torture_stutter(stutterJ: number): Promise<void> {
  VERBOSE_TOROUT_STRING('torture_stutter task started');
  const rand = torture_random_state('torture_stutter');
  while (!torture_must_stop()) {
    if (await torture_hrtimeout_jiffies(stutterJ, rand)) break;
    Atomics.store(kapi.shm, word(W_STUTTER_PAUSE), 1);
    if (await torture_hrtimeout_jiffies(stutterJ, rand)) break;
    // Pairs with the condition load in stutter_wait().
    Atomics.store(kapi.shm, word(W_STUTTER_PAUSE), 0);
    kapi.wakeUp(wq(W_STUTTER_WQ));
  }
  Atomics.store(kapi.shm, word(W_STUTTER_PAUSE), 0);
  kapi.wakeUp(wq(W_STUTTER_WQ));
  torture_kthread_stopping('torture_stutter');
}

/** torture_stutter_init(): alternate stutterJ of running with stutterJ of pause. */
export function torture_stutter_init(stutterJ: number): void {
  if (stutterJ <= 0) return;
  torture_create_kthread(() => torture_stutter(stutterJ), 'torture_stutter');
}

/** stutter_wait(): block while the test is paused. Returns true if it waited. */
export async function stutter_wait(_title: string): Promise<boolean> {
  if (load(W_STUTTER_PAUSE) === 0) return false;
  await kapi.waitEventInterruptible(wq(W_STUTTER_WQ), () => load(W_STUTTER_PAUSE) === 0 || torture_must_stop());
  return true;
}

/* ---------------- shutdown and cleanup ---------------- */

/*
 * torture_shutdown_init(): `secs` after the test starts, run `cleanup` and power off.
 *
 * The kernel reads the clock in module init (shutdown_time = ktime_get() + secs), long after its
 * CPUs came up. Here a CPU's module init runs while the other CPUs' workers still start, and no
 * task runs before every CPU has met the boot barrier; so the clock is read when this kthread
 * first runs, which is when the test starts (the guest's `all N CPUs up ... test time starts`
 * line, harness/guest/guest_main.ts). A slow boot on a loaded host then costs no test time.
 */
export function torture_shutdown_init(secs: number, cleanup: () => Promise<void>): void {
  if (secs <= 0) return;
  // Not counted among the kthreads cleanup waits for (it is the one waiting), nor shuffled.
  kapi.kthreadRun(async () => {
    VERBOSE_TOROUT_STRING('torture_shutdown task started');
    const end = kapi.jiffies() + secs * HZ;
    while (!torture_must_stop() && kapi.jiffies() < end) {
      await torture_sleep_interruptible(end - kapi.jiffies());
    }
    VERBOSE_TOROUT_STRING('torture_shutdown task shutting down system');
    await cleanup();
    kapi.powerOff();
  }, 'torture_shutdown');
}

/**
 * torture_stop_kthread(): kthread_stop() of one torture kthread. As the kernel's, it waits
 * uninterruptibly and without a limit: a kthread that never stops leaves cleanup asleep, and
 * khungtaskd reports the waiter (its wait names the kthread, what that kthread waits for and who
 * holds it) once it has slept hung_task_timeout_secs; a kthread that stops late is no finding.
 */
async function torture_stop_kthread(pid: number): Promise<void> {
  await kthread_stop(pid);
}

/**
 * torture_cleanup_begin(): stop the test, bring offline CPUs back, then kthread_stop() every
 * torture kthread in creation order (the suites' cleanup stops each of theirs so in the kernel).
 */
export async function torture_cleanup_begin(): Promise<void> {
  await mutex_lock(fullstop_mutex());
  Atomics.store(kapi.shm, word(W_FULLSTOP), 1);
  mutex_unlock(fullstop_mutex());
  kapi.wakeUp(wq(W_STOP_WQ));
  kapi.wakeUp(wq(W_STUTTER_WQ));
  torture_stop_kthreads();
  torture_shuffle_cleanup();
  // Wait for torture_onoff to finish its operation (and exit) before onlining the rest: a CPU
  // it is taking down right now would otherwise stay offline with its kthreads frozen.
  await kapi.waitEvent(wq(W_KTHREAD_WQ), () => load(W_ONOFF_ACTIVE) === 0, 10 * HZ);
  for (let cpu = 1; cpu < kapi.nrCpuIds; cpu++) {
    if (!cpu_online(cpu)) await add_cpu(cpu);
  }
  const n = Math.min(load(W_NPIDS), MAX_TORTURE_KTHREADS);
  for (let k = 0; k < n; k++) await torture_stop_kthread(load(W_PIDS + k));
  // Kthreads past the table (more than MAX_TORTURE_KTHREADS): wait for the count, as uninterruptibly.
  // Pairs with the decrement + wake-up at each torture kthread's end.
  await kapi.waitEvent(wq(W_KTHREAD_WQ), () => load(W_NKTHREADS) === 0);
  for (let cpu = 1; cpu < kapi.nrCpuIds; cpu++) {
    if (!cpu_online(cpu)) await add_cpu(cpu);
  }
}

/** torture_cleanup_end(): under fullstop_mutex, as the kernel's. */
export async function torture_cleanup_end(): Promise<void> {
  await mutex_lock(fullstop_mutex());
  mutex_unlock(fullstop_mutex());
}
