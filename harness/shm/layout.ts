/*
 * The one owner of a guest's SharedArrayBuffer layout. Every region and word index is a named
 * constant here; no other file computes an offset into the guest memory except through these
 * constants or through shmAlloc() (harness/shm/shm_alloc.ts), which carves the heap.
 *
 *   +--------------------+  word 0
 *   | HDR_*  (64 words)   |  header: clock, flags, counters, the online mask
 *   +--------------------+  CPU_BASE
 *   | per-CPU slots       |  MAX_CPUS x 16 words (64 bytes each: one cache line per CPU)
 *   +--------------------+  TASK_BASE
 *   | task slots          |  MAX_TASKS x 16 words: what the hang detector reads
 *   +--------------------+  SYM_BASE
 *   | symbol table        |  shmAlloc's name -> region table + name arena
 *   +--------------------+  COV_BASE
 *   | coverage counters   |  MAX_CPUS x COV_WORDS_PER_EXEC words: one block per executor
 *   +--------------------+  LOCKDEP_BASE (lockdepWords, may be 0 when PROVE_LOCKING=n)
 *   | lockdep region      |
 *   +--------------------+  lockStatBase (lockStatWords, 0 when LOCK_STAT=n)
 *   | lock_stat region    |  classes, call sites, lock instances, per-executor statistics
 *   +--------------------+  heapBase
 *   | heap (shmAlloc)     |  kernel structures: lock words, rcu_node tree, slab caches ...
 *   +--------------------+  WAKE_SEQ plane (HDR_WAKE_SEQ_BASE)
 *   | wake sequences      |  one word per word above: wakeUp(wq) bumps the word at the wq's index
 *   +--------------------+  wait-mask planes 1 .. ceil(nrCpus / 32) - 1
 *   | sleeper masks       |  plane k: the mask of executors 32k .. 32k+31 for the head at each index
 *   +--------------------+
 *
 * The wake-sequence plane shadows the whole layout, so any word can be a wait-queue head without
 * reserving a second word next to it: a sleeper remembers the sequence of its wait queue, and its
 * executor wakes it only when that sequence moved (harness/cpu/sleepers.ts). A head's own word is
 * the sleeper mask of executors 0-31 (executor k is CPU k's home; harness/cpu/README.md); a guest
 * with more CPUs gets one more shadow plane per 32 executors, so a wait queue's mask is a
 * multi-word bitmap while kernel structures keep one word per head
 * (and a guest of up to 32 CPUs pays nothing). Untouched pages of the planes are never backed by
 * memory.
 */

/** CPUs per guest at most (worker threads); TREE10's 100 fit. Bitmaps of CPUs are CPU_MASK_WORDS words. */
export const MAX_CPUS = 128;
export const CPU_MASK_WORDS = MAX_CPUS / 32;
export const MAX_TASKS = 1024;
export const WORDS_PER_LINE = 16;

/* Header words. */
export const HDR_MAGIC = 0;
/** Float64 boot time (performance.now() of the guest main thread) lives at byte HDR_BOOT_F64_BYTE. */
export const HDR_BOOT_F64_BYTE = 8; // words 2..3
export const HDR_NR_CPUS = 4;
/** Number of CPUs that finished boot(); the start barrier. Pairs with Atomics.wait in cpu_main. */
export const HDR_BOOTED = 5;
/**
 * Set by CPU 0 when every CPU may start scheduling (0 before): goStamp(), the microseconds from
 * the boot instant to that moment, plus 1. The guest's `test time starts` line is stamped with it
 * (goMicros()), not with the moment its main thread noticed, so no task runs before that stamp.
 */
export const HDR_GO = 6;

/** HDR_GO's value for "now", on the clock of `bootMs` (the boot instant, performance.now()). */
export function goStamp(bootMs: number): number {
  return Math.min(0x7ffffffe, Math.max(0, Math.round((performance.now() - bootMs) * 1000))) + 1;
}

/** Microseconds from the boot instant to the start of the test, from a non-zero HDR_GO. */
export function goMicros(go: number): number {
  return go - 1;
}
/**
 * cpu_online_mask: CPU_MASK_WORDS words from here (bit n % 32 of word n / 32 = CPU n). Written by
 * the CPU itself as it parks/unparks (Atomics.and / Atomics.or of its own bit).
 */
export const HDR_ONLINE_MASK = 56;
/** Next pid to hand out (Atomics.add). */
export const HDR_NEXT_PID = 8;
/** 1 once torture_shutdown or powerOff began: torture_must_stop(). */
export const HDR_MUST_STOP = 9;
/** 1 once the guest has failed (oops, hang): read by the guest main thread. */
export const HDR_FAILED = 10;
/** Symbol-table lock (0 free, else cpu+1); a tiny spin lock around shmAlloc. */
export const HDR_SYM_LOCK = 11;
/** Heap break: next free word of the heap. */
export const HDR_HEAP_BRK = 12;
/** Number of symbols allocated. */
export const HDR_SYM_COUNT = 13;
/** Bytes used in the symbol name arena. */
export const HDR_SYM_NAME_USED = 14;
/** Next free task slot (Atomics.add); slots are never reused within a guest. */
export const HDR_NEXT_TASK_SLOT = 15;
/** 1 when lockdep is active in this guest (PROVE_LOCKING=y). */
export const HDR_LOCKDEP_ON = 16;
/** Index of word 0 of the wake-sequence plane (see the layout above). */
export const HDR_WAKE_SEQ_BASE = 17;
/** 0 until a CPU reports hung tasks (CAS to 1: one report per guest, as hung_task_panic). */
export const HDR_HUNG_REPORTED = 18;
/**
 * torture_shuffle()'s shuffle_idle_cpu + 1 (0: none): tasks registered for shuffling may run on
 * every online CPU but this one (harness/torture/common.ts writes it, every executor reads it at
 * its task switches).
 */
export const HDR_SHUFFLE_IDLE = 19;
/**
 * With torture.random_shuffle: the number of shuffles so far (0: off, every registered task
 * follows every shuffle). Each task then adopts each new shuffle-idle CPU with probability 1/2,
 * as the kernel's torture_shuffle_tasks() skips set_cpus_allowed_ptr() for a task when
 * `torture_random(trp) & 0x1` (harness/cpu/task.ts, allowedOn()).
 */
export const HDR_SHUFFLE_GEN = 20;
/**
 * A wait queue every task exit wakes (the model's `kthread->exited` completions, one head for all):
 * kthread_stop() sleeps on it until its kthread's slot reads exited (harness/cpu/kthread_stop.ts).
 */
export const HDR_TASK_EXIT_WQ = 21;
/**
 * Number of task-slot priority words (TASK_NORMAL_PRIO, TASK_PI_PRIO) holding a real-time prio
 * (< MAX_RT_PRIO), guest-wide: 0 means every task is SCHED_NORMAL and unboosted, and the
 * runqueue pick stays FIFO at the cost of this one load (harness/cpu/sched_prio.ts).
 */
export const HDR_NR_RT_PRIO = 50;
/**
 * Executors polling their doorbell in the idle loop now (harness/cpu/cpuidle_haltpoll.ts): one
 * more polls only while this is under `haltpoll.max_polling_cpus`, so polling never takes every
 * host core from the executors that have work.
 */
export const HDR_HALTPOLL_POLLING = 45;
/**
 * Word index of the lock_stat region (LOCKSTAT_* below), 0 when CONFIG_LOCK_STAT=n. Written by the
 * guest's main thread before any CPU starts; every CPU reads it once at start (kapi_impl.ts).
 */
export const HDR_LOCKSTAT_BASE = 22;
export const HDR_WORDS = 64;
export const GUEST_MAGIC = 0x70727431; // 'prt1'

/* Per-CPU slot words (one 64-byte line per CPU). */
export const CPU_BASE = HDR_WORDS;
/**
 * Doorbell: a ring count (harness/cpu/doorbell.ts, DOORBELL_RING) that makes the executor re-check
 * its sleepers/commands, with DOORBELL_SLEEPING set while its owner sleeps on it (a ring notifies
 * only then).
 */
export const CPU_DOORBELL = 0;
/** Hotplug state of the CPU, one of CPU_STATE. */
export const CPU_STATE = 1;
/** Hotplug command from the control CPU, one of CPU_CMD. */
export const CPU_CMD = 2;
/** Heartbeat: bumped by the CPU at every scheduler pass (soft-lockup detection). */
export const CPU_HEARTBEAT = 3;
/** 1 while the CPU is idle (nothing runnable). */
export const CPU_IDLE = 4;
/** pid of the task running now, 0 when none. */
export const CPU_CURR_PID = 5;
/** Wait-queue word for hotplug acks (the control CPU sleeps on it). */
export const CPU_HP_WQ = 6;
/** Jiffies of the last heartbeat. */
export const CPU_HEARTBEAT_J = 7;
/** Jiffies since the CPU sits in pv_wait() for a spinlock, 0 when it does not (soft lockup report). */
export const CPU_PV_WAIT_SINCE = 8;
/** Byte address + 1 of the spinlock the CPU waits for in pv_wait(), 0 when none. */
export const CPU_PV_WAIT_ADDR = 9;
/** pv_kick() count of this CPU: pv_wait() sleeps until it moves (Atomics.add + notify). */
export const CPU_PV_KICK = 10;
/**
 * Set to 1 by the guest's timer (the local APIC, 1 kHz) and cleared by the CPU as it takes the
 * interrupt; IRQ_LINE_SLEEPING while the executor sleeps on it in a busy-wait.
 */
export const CPU_IRQ_PENDING = 11;
/**
 * CPU_IRQ_PENDING while its executor sleeps on the line in a busy-wait (harness/cpu/cpu_runtime.ts,
 * delay()): the APIC tick notifies the line only when it finds this value.
 */
export const IRQ_LINE_SLEEPING = -1;
/*
 * The CPU's run token (harness/cpu/README.md, "Executors and run tokens"): a ticket lock. An
 * executor takes a ticket (Atomics.add of CPU_TOKEN_NEXT) and holds the CPU while
 * CPU_TOKEN_SERVING equals its ticket; it releases by Atomics.add of CPU_TOKEN_SERVING (and
 * notify). Free iff NEXT === SERVING; someone waits iff NEXT - SERVING > 1. Zeroed memory is a
 * free token; every executor takes its home CPU's ticket 0 at boot.
 */
export const CPU_TOKEN_NEXT = 12;
export const CPU_TOKEN_SERVING = 13;
/** Executor index + 1 holding the token, 0 when free: a waiter rings its doorbell. */
export const CPU_TOKEN_HOLDER = 14;
/**
 * In executor k's slot (k = its home CPU): the CPU whose token it waits for + 1, 0 when it does
 * not wait (diagnostics: the hang reports say who waits for which CPU).
 */
export const EXEC_WAITS_FOR = 15;

export const CPU_STATES = ['online', 'dying', 'dead', 'starting', 'booting'] as const;
export type CpuStateName = (typeof CPU_STATES)[number];
export const CPU_ST = { online: 0, dying: 1, dead: 2, starting: 3, booting: 4 } as const;
export const CPU_CMDS = { none: 0, park: 1, unpark: 2 } as const;

export function cpuWord(cpu: number, word: number): number {
  return CPU_BASE + cpu * WORDS_PER_LINE + word;
}

/* Task slots. */
export const TASK_BASE = CPU_BASE + MAX_CPUS * WORDS_PER_LINE;
export const TASK_PID = 0;
/** task_cpu(): the CPU the task runs on or last ran on (it changes as the task migrates). */
export const TASK_CPU = 1;
/** One of TASK_ST. */
export const TASK_STATE = 2;
/** Byte address (LockdepMap.addr + 1) of the lock the task waits for, 0 when none. */
export const TASK_WAIT_ADDR = 3;
/** Jiffies when the current lock wait began. */
export const TASK_WAIT_SINCE = 4;
/** Number of locks held. */
export const TASK_DEPTH = 5;
/** Addresses (+1) of the first TASK_HELD_MAX held locks, in acquisition order. */
export const TASK_HELD = 6;
export const TASK_HELD_MAX = 6;
/** comm, 16 bytes as 4 words of UTF-8 (NUL padded). */
export const TASK_COMM = 12;
/** Jiffies when the task last went to sleep (TASK_UNINTERRUPTIBLE or not). */
export const TASK_SLEEP_SINCE = 16;
/** wake_up_process() count: another CPU bumps it (then rings the task's CPU) to wake the task whatever it sleeps on. */
export const TASK_WAKE_SEQ = 17;
/** Executor (worker thread) that runs the task: wake_up_process() rings its doorbell. */
export const TASK_EXECUTOR = 18;
/** se.nr_migrations: how often the task started running on another CPU than the one before. */
export const TASK_MIGRATIONS = 19;
/** pid of the kthread whose exit this task waits for in kthread_stop(), 0 when none (hang reports). */
export const TASK_STOP_WAIT = 20;
/** normal_prio: the prio of the task's policy (sched_setscheduler(); harness/cpu/sched_prio.ts). */
export const TASK_NORMAL_PRIO = 27;
/** The prio inherited through rt_mutexes (rt_mutex_setprio()), MAX_PRIO when not boosted. */
export const TASK_PI_PRIO = 28;
/** t->nvcsw: switches away from the task that were not preemptions (Tasks RCU's quiescent states: kernels/rcu/tasks_classic.ts). */
export const TASK_NVCSW = 29;
/** t->nivcsw: switches away from the task that were preemptions. */
export const TASK_NIVCSW = 30;
/** Words per task slot. */
export const TASK_WORDS = 32;
/** blocked = TASK_UNINTERRUPTIBLE ('D', checked by khungtaskd); sleeping = TASK_INTERRUPTIBLE/TASK_IDLE. */
export const TASK_ST = { free: 0, running: 1, runnable: 2, blocked: 3, exited: 4, frozen: 5, sleeping: 6 } as const;

export function taskWord(slot: number, word: number): number {
  return TASK_BASE + slot * TASK_WORDS + word;
}

/* Symbol table for shmAlloc: MAX_SYMS entries of 4 words + a name arena. */
export const SYM_BASE = TASK_BASE + MAX_TASKS * TASK_WORDS;
export const MAX_SYMS = 4096;
export const SYM_ENTRY_WORDS = 8;
export const SYM_HASH = 0;
/** Absolute word index of the region. */
export const SYM_OFFSET = 1;
export const SYM_SIZE = 2;
export const SYM_NAME_OFF = 3;
export const SYM_NAME_LEN = 4;
/** 0 while the creator runs init, 1 when ready (Atomics.wait/notify on it). */
export const SYM_READY = 5;
export const SYM_NAME_ARENA_BYTES = 128 * 1024;
export const SYM_NAME_BASE = SYM_BASE + MAX_SYMS * SYM_ENTRY_WORDS;
export const SYM_END = SYM_NAME_BASE + SYM_NAME_ARENA_BYTES / 4;

/*
 * Coverage counters (harness/formats/coverage_points.ts): COV_WORDS_PER_EXEC plain Uint32 words
 * per executor, executor k's at COV_BASE + k * COV_WORDS_PER_EXEC. Only executor k's thread writes
 * its block (kapi's cov(): a non-atomic `++`, so no two threads ever write one word); the guest
 * main thread reads every block once the workers are gone (coverageCounts()).
 */
export const COV_BASE = alignLine(SYM_END);
export const COV_WORDS_PER_EXEC = 256;
export const COV_END = COV_BASE + MAX_CPUS * COV_WORDS_PER_EXEC;

/** Executor `executor`'s coverage counters: a Uint32 view of its block. */
export function coverageView(i32: Int32Array, executor: number): Uint32Array {
  return new Uint32Array(i32.buffer, (COV_BASE + executor * COV_WORDS_PER_EXEC) * 4, COV_WORDS_PER_EXEC);
}

/** The sum over executors 0 .. nrExecutors - 1 of the first `counters` coverage counters. */
export function coverageCounts(i32: Int32Array, nrExecutors: number, counters: number): number[] {
  const sum = new Array<number>(counters).fill(0);
  for (let e = 0; e < nrExecutors; e++) {
    const v = coverageView(i32, e);
    for (let c = 0; c < counters; c++) sum[c] = (sum[c] ?? 0) + (v[c] ?? 0);
  }
  return sum;
}

/*
 * An executor's wake forward mask (harness/cpu/doorbell.ts, notifyBurst()): word `e` of this plane
 * holds the executors (bits relative to e's group of 32, (e & ~31) + bit) whose notify a waker
 * left to executor `e`, the first it woke of a burst; `e` notifies them as its halt ends.
 */
export const EXEC_WAKE_FWD_BASE = alignLine(COV_END);
export const LOCKDEP_BASE = alignLine(EXEC_WAKE_FWD_BASE + MAX_CPUS);

/** Executor `e`'s wake forward mask word. */
export function execWakeFwdWord(e: number): number {
  return EXEC_WAKE_FWD_BASE + e;
}

/*
 * The lock_stat region (CONFIG_LOCK_STAT, harness/cpu/lock_stat.ts), four parts, each line-aligned:
 *  - classes: LOCKSTAT_CLASSES entries of LOCKSTAT_CLASS_WORDS: the class's state (0 free, 1 being
 *    filled, 2 ready; CAS 0 -> 1 claims it), its hash, name_version, subclass, its contention and
 *    contending points (site index + 1, claimed by CAS as the kernel's lock_point()) and its name;
 *  - sites: LOCKSTAT_SITES entries of LOCKSTAT_SITE_WORDS: a call site's state, hash, length, text;
 *  - locks: LOCKSTAT_LOCKS direct-mapped entries of LOCKSTAT_LOCK_WORDS, a lock instance's
 *    lockdep_map fields `cpu` and `ip` (tag = address + 1, CPU + 1, site + 1): plain loads and
 *    stores, racy as the kernel's `lock->cpu = cpu` (a bounce count is a statistic);
 *  - statistics: one block per executor of LOCKSTAT_CLASSES x LOCKSTAT_STAT_F64 Float64 values
 *    (struct lock_class_stats): only executor k's thread writes block k, with plain stores, as the
 *    coverage counters (the kernel's per-CPU cpu_lock_stats); the guest's main thread sums them
 *    once the workers are gone (lock_stats()).
 */
export const LOCKSTAT_CLASSES = 256;
export const LOCKSTAT_CLASS_WORDS = 32;
export const LSC_STATE = 0;
export const LSC_HASH = 1;
export const LSC_VERSION = 2;
export const LSC_SUBCLASS = 3;
export const LSC_CONTENTION_POINT = 4;
export const LSC_CONTENDING_POINT = 8;
export const LSC_NAME_LEN = 12;
export const LSC_NAME = 13;
export const LSC_NAME_BYTES = (LOCKSTAT_CLASS_WORDS - LSC_NAME) * 4;
export const LOCKSTAT_SITES = 256;
export const LOCKSTAT_SITE_WORDS = 48;
export const LSS_STATE = 0;
export const LSS_HASH = 1;
export const LSS_LEN = 2;
export const LSS_TEXT = 3;
export const LSS_TEXT_BYTES = (LOCKSTAT_SITE_WORDS - LSS_TEXT) * 4;
export const LOCKSTAT_LOCKS = 4096;
export const LOCKSTAT_LOCK_WORDS = 4;
export const LSL_TAG = 0;
export const LSL_CPU = 1;
export const LSL_IP = 2;
/** Float64 values per class per executor: four lock_time (min, max, total, nr), bounces[4], contention_point[4], contending_point[4]. */
export const LOCKSTAT_STAT_F64 = 32;
export const LSF_WRITE_WAIT = 0;
export const LSF_READ_WAIT = 4;
export const LSF_WRITE_HOLD = 8;
export const LSF_READ_HOLD = 12;
export const LSF_BOUNCES = 16;
export const LSF_CONTENTION_POINT = 20;
export const LSF_CONTENDING_POINT = 24;

/** The parts of a lock_stat region at `base` (word indexes). */
export interface LockStatRegion {
  readonly classes: number;
  readonly sites: number;
  readonly locks: number;
  /** Executor k's statistics start at word stats + k * statWordsPerExec (8-byte aligned). */
  readonly stats: number;
  readonly statWordsPerExec: number;
  readonly end: number;
}

export function lockStatRegion(base: number, nrCpus: number): LockStatRegion {
  const classes = alignLine(base);
  const sites = alignLine(classes + LOCKSTAT_CLASSES * LOCKSTAT_CLASS_WORDS);
  const locks = alignLine(sites + LOCKSTAT_SITES * LOCKSTAT_SITE_WORDS);
  const stats = alignLine(locks + LOCKSTAT_LOCKS * LOCKSTAT_LOCK_WORDS);
  const statWordsPerExec = LOCKSTAT_CLASSES * LOCKSTAT_STAT_F64 * 2;
  return { classes, sites, locks, stats, statWordsPerExec, end: stats + Math.max(1, nrCpus) * statWordsPerExec };
}

/** Words of the lock_stat region of a guest of `nrCpus` CPUs. */
export function lockStatWords(nrCpus: number): number {
  return lockStatRegion(0, nrCpus).end;
}

export function alignLine(word: number): number {
  return Math.ceil(word / WORDS_PER_LINE) * WORDS_PER_LINE;
}

/** Heap size a guest gets for kernel structures (words). 16 MiB is plenty for the modelled kernels. */
export const HEAP_WORDS = 4 * 1024 * 1024;

export interface GuestLayout {
  readonly lockdepWords: number;
  /** Word index of the lock_stat region, 0 when there is none (HDR_LOCKSTAT_BASE). */
  readonly lockStatBase: number;
  readonly heapBase: number;
  /** End of the heap: words below this may be wait-queue heads. */
  readonly heapEnd: number;
  /** Word 0 of the wake-sequence plane (heapEnd words long). */
  readonly wakeSeqBase: number;
  readonly totalWords: number;
}

export function guestLayout(lockdepWords: number, nrCpus = 1, lockStat = false): GuestLayout {
  const lockStatBase = lockStat ? alignLine(LOCKDEP_BASE + lockdepWords) : 0;
  const heapBase = alignLine(lockStat ? lockStatBase + lockStatWords(nrCpus) : LOCKDEP_BASE + lockdepWords);
  const heapEnd = heapBase + HEAP_WORDS;
  const maskPlanes = Math.ceil(Math.max(1, nrCpus) / 32) - 1;
  return { lockdepWords, lockStatBase, heapBase, heapEnd, wakeSeqBase: heapEnd, totalWords: heapEnd * (2 + maskPlanes) };
}

/**
 * The word holding executor `cpu`'s bit (executor k is CPU k's home) of the wait-queue head at
 * `index`: the head itself for executors 0-31, else its twin in wait-mask plane cpu / 32 (every plane is `planeWords` = the wake-sequence
 * base long, the first mask plane right after the wake-sequence plane).
 */
export function wqMaskWord(index: number, cpu: number, planeWords: number): number {
  const k = cpu >>> 5;
  return k === 0 ? index : planeWords * (k + 1) + index;
}

/** Is `cpu` in the online mask? */
export function cpuOnlineIn(i32: Int32Array, cpu: number): boolean {
  return (Atomics.load(i32, HDR_ONLINE_MASK + (cpu >>> 5)) & (1 << (cpu & 31))) !== 0;
}

/**
 * cpu_online(cpu) asked by the executor that holds `cpu`'s run token (smp_processor_id()): a plain
 * load, where cpuOnlineIn() is an Atomics.load V8 does not inline (every rcu_dereference() with
 * PROVE_RCU asks). The bit's only writer is setCpuOnline() on `cpu`'s home executor while it holds
 * `cpu`'s token (boot, harness/cpu/cpu_main.ts, before the boot barrier; hotplug.ts #park() and
 * #unpark()), or a standalone machine's creator before any CPU attaches (standalone.ts), so
 * while the token is ours nobody changes it, and the token's hand-off (Atomics on
 * CPU_TOKEN_SERVING, run_tokens.ts) orders that Atomics.or/and before our load. The other CPUs'
 * bits in the word may change meanwhile; an int32 load never tears, so ours reads right.
 */
export function thisCpuOnlineIn(i32: Int32Array, cpu: number): boolean {
  return ((i32[HDR_ONLINE_MASK + (cpu >>> 5)] ?? 0) & (1 << (cpu & 31))) !== 0;
}

/** num_online_cpus(): the population count of the online mask. */
export function numOnlineCpusIn(i32: Int32Array): number {
  let n = 0;
  for (let w = 0; w < CPU_MASK_WORDS; w++) for (let m = Atomics.load(i32, HDR_ONLINE_MASK + w); m !== 0; m &= m - 1) n++;
  return n;
}

/** set_cpu_online(cpu, on): the CPU's own bit, with SC Atomics (readers: cpuOnlineIn, numOnlineCpusIn). */
export function setCpuOnline(i32: Int32Array, cpu: number, on: boolean): void {
  const w = HDR_ONLINE_MASK + (cpu >>> 5);
  const bit = 1 << (cpu & 31);
  if (on) Atomics.or(i32, w, bit);
  else Atomics.and(i32, w, ~bit);
}

/** Float64 view of the boot time stamp. */
export function bootTimeView(sab: SharedArrayBuffer): Float64Array {
  return new Float64Array(sab, HDR_BOOT_F64_BYTE, 1);
}

/** The task slot of `pid`, -1 if no task has it (wake_up_process() and cpu_curr() look tasks up by pid). */
export function taskSlotOfPid(i32: Int32Array, pid: number): number {
  // Pairs with the slot's TASK_PID store when the task is created (Task's constructor).
  const n = Math.min(Atomics.load(i32, HDR_NEXT_TASK_SLOT), MAX_TASKS);
  for (let s = 0; s < n; s++) if (Atomics.load(i32, taskWord(s, TASK_PID)) === pid) return s;
  return -1;
}

/** Decode a comm stored in a task slot. */
export function readComm(i32: Int32Array, slot: number): string {
  const bytes = new Uint8Array(16);
  for (let w = 0; w < 4; w++) {
    const v = Atomics.load(i32, taskWord(slot, TASK_COMM + w));
    bytes[w * 4] = v & 0xff;
    bytes[w * 4 + 1] = (v >>> 8) & 0xff;
    bytes[w * 4 + 2] = (v >>> 16) & 0xff;
    bytes[w * 4 + 3] = (v >>> 24) & 0xff;
  }
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(bytes.subarray(0, end < 0 ? 16 : end));
}

export function writeComm(i32: Int32Array, slot: number, comm: string): void {
  const bytes = new Uint8Array(16);
  bytes.set(new TextEncoder().encode(comm).subarray(0, 15));
  for (let w = 0; w < 4; w++) {
    const v = (bytes[w * 4] ?? 0) | ((bytes[w * 4 + 1] ?? 0) << 8) | ((bytes[w * 4 + 2] ?? 0) << 16) | ((bytes[w * 4 + 3] ?? 0) << 24);
    Atomics.store(i32, taskWord(slot, TASK_COMM + w), v);
  }
}
