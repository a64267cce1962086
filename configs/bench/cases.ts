/*
 * The benchmark cases of `torture bench`: data only, one entry per table row. The runner
 * (harness/bench/) turns each (lock, op) pair into code through harness/bench/lock_ops.ts and
 * decides on which threads it runs; this file only says what is measured.
 *
 * Names follow `<lock>.<op>.<contention>` (one dot-separated axis per word, so filters and --compare can match by prefix); a trailing `.lockdep` marks
 * the only cases that run with the lockdep validator installed (lockdep is off unless a case asks
 * for it by name). Uncontended cases measure one lock+unlock pair in ns/op, batched per sample;
 * contended cases measure total ops/s of T threads on one lock for a fixed wall time.
 *
 * What it deliberately does not do: hold thresholds. The speed goals live in
 * harness/bench/goals.ts and are reported, never asserted.
 */

import { LOCK_TYPES } from '../../harness/kapi.js';

/** Reference locks written in the bench itself (harness/bench/lock_ops.ts), no kernel code. */
export const BENCH_BASELINES = [
  'baseline_counter',
  'baseline_atomics_add',
  'baseline_cas',
  'baseline_async_mutex',
  'baseline_async_cas',
  'baseline_spin_wait',
] as const;

/**
 * Locks the runner knows how to drive: the baselines, the lockdep hooks alone, every lock type of
 * the kernel API (kapi's LOCK_TYPES: the primitives under kernels/locking/, RCU, and `user` for
 * --ops), two composites of those (cpus_read_lock, RCU under CONFIG_PREEMPT), and rt_mutex (a
 * mutex to lockdep, so no lock type of its own). A lock type added
 * to kapi is a bench lock at once; harness/bench/lock_ops.ts does not compile until it can drive it.
 */
export const BENCH_LOCKS = [...BENCH_BASELINES, 'kapi_lockdep_hooks', ...LOCK_TYPES, 'cpus_read_lock', 'rcu_preempt', 'spinlock_cov', 'rtmutex'] as const;
export type BenchLock = (typeof BENCH_LOCKS)[number];

/**
 * The operation measured: `lock_unlock` for an exclusive lock, `read`/`write` for the sides of a
 * reader-writer lock, `*_trylock` for the synchronous fast path of a sleeping lock (no await).
 */
export const BENCH_OPS = ['lock_unlock', 'read', 'write', 'trylock', 'read_trylock', 'write_trylock', 'read_lock_unlock', 'read_lock_deref_unlock'] as const;
export type BenchOp = (typeof BENCH_OPS)[number];

export interface UncontendedCase {
  readonly kind: 'uncontended';
  readonly name: string;
  readonly lock: BenchLock;
  readonly op: BenchOp;
  readonly lockdep: boolean;
  /** CONFIG_LOCK_STAT=y: the machine keeps lock_stat (harness/cpu/lock_stat.ts). */
  readonly lockStat?: boolean;
  /** One line for the report: what the row is. */
  readonly what: string;
}

export interface ContendedCase {
  readonly kind: 'contended';
  readonly name: string;
  readonly lock: BenchLock;
  readonly op: BenchOp;
  readonly threads: number;
  /** Readers share the lock: no mutual-exclusion check on the critical section. */
  readonly shared: boolean;
  readonly what: string;
}

export interface RcuUpdateCase {
  readonly kind: 'rcu_update';
  readonly name: string;
  /** CPUs of the guest; every CPU runs one synchronize_rcu() writer (rcuscale nwriters = ncpus). */
  readonly nrCpus: number;
  readonly what: string;
}

export interface LockdepTraceCase {
  readonly kind: 'lockdep_trace';
  readonly name: string;
  /** The generated trace (harness/lockdep/trace/trace_gen.ts): events, lock classes, tasks. */
  readonly events: number;
  readonly classes: number;
  readonly tasks: number;
  readonly what: string;
}

/**
 * torture/locks (harness/locks/) against the same algorithm written out bare, lockdep off and on
 * (harness/bench/user_locks.ts). A group's first row is its baseline.
 */
export interface UserLocksCase {
  readonly kind: 'user_locks';
  readonly name: string;
  readonly group: 'mutex' | 'rwlock' | 'async_mutex';
  readonly lock: 'bare_mutex' | 'mutex' | 'bare_rwlock_read' | 'rwlock_read' | 'async_mutex' | 'async_mutex_adapter';
  /** enableLockdep() in the row's thread (user-program lockdep, not the kernel validator of the `.lockdep` kernel rows). */
  readonly lockdep: boolean;
  readonly what: string;
}

export const USER_LOCKS_ROWS: readonly UserLocksCase[] = [
  { kind: 'user_locks', group: 'mutex', name: 'locks.bare_mutex.lock_unlock', lock: 'bare_mutex', lockdep: false, what: "Drepper's three-state futex mutex written out bare" },
  { kind: 'user_locks', group: 'mutex', name: 'locks.mutex.lock_unlock', lock: 'mutex', lockdep: false, what: 'torture/locks Mutex lock() + unlock(), lockdep off' },
  { kind: 'user_locks', group: 'mutex', name: 'locks.mutex.lock_unlock.lockdep', lock: 'mutex', lockdep: true, what: 'the same with lockdep on (enableLockdep())' },
  { kind: 'user_locks', group: 'rwlock', name: 'locks.bare_rwlock.read_lock_unlock', lock: 'bare_rwlock_read', lockdep: false, what: 'the reader-preferring rwlock read side written out bare' },
  { kind: 'user_locks', group: 'rwlock', name: 'locks.rwlock.read_lock_unlock', lock: 'rwlock_read', lockdep: false, what: 'torture/locks RwLock readLock() + readUnlock(), lockdep off' },
  { kind: 'user_locks', group: 'rwlock', name: 'locks.rwlock.read_lock_unlock.lockdep', lock: 'rwlock_read', lockdep: true, what: 'the same with lockdep on' },
  { kind: 'user_locks', group: 'async_mutex', name: 'locks.async_mutex.acquire_release', lock: 'async_mutex', lockdep: false, what: 'async-mutex 0.5.0 await acquire() + release()' },
  {
    kind: 'user_locks',
    group: 'async_mutex',
    name: 'locks.async_mutex_adapter.acquire_release.lockdep',
    lock: 'async_mutex_adapter',
    lockdep: true,
    what: 'withLockdep(async-mutex), lockdep on (off, withLockdep returns the mutex itself)',
  },
];

export interface LinearizabilityCase {
  readonly kind: 'linearizability';
  readonly name: string;
  /** The generated queue history (harness/linearizability/queue_history.ts): calls and threads. */
  readonly ops: number;
  readonly threads: number;
  readonly what: string;
}

export type BenchCase = UncontendedCase | ContendedCase | RcuUpdateCase | LockdepTraceCase | UserLocksCase | LinearizabilityCase;

/** `torture bench lockdep-trace`: the same generated trace shape at three sizes (time must grow linearly). */
const LOCKDEP_TRACE_SIZES: ReadonlyArray<{ label: string; events: number }> = [
  { label: '10k', events: 10_000 },
  { label: '100k', events: 100_000 },
  { label: '1m', events: 1_000_000 },
];

/** Default maximum thread count of the contended rows (this box has 2 cores; 4 oversubscribes). */
export const DEFAULT_MAX_THREADS = 4;

/** The CAS floor row: every uncontended row's ratio is against its p50. */
export const CAS_FLOOR_CASE = 'baseline.cas_store.uncontended';

interface LockRowSpec {
  readonly lock: BenchLock;
  readonly op: BenchOp;
  readonly label: string;
  readonly what: string;
  /** Also measure with lockdep on. */
  readonly lockdep: boolean;
  /** Also measure with lock_stat on (CONFIG_LOCK_STAT=y, lockdep off): its cost, against the row without. */
  readonly lockStat?: boolean;
}

const UNCONTENDED_BASELINES: readonly UncontendedCase[] = [
  { kind: 'uncontended', name: 'baseline.counter_inc.uncontended', lock: 'baseline_counter', op: 'lock_unlock', lockdep: false, what: 'plain counter++ (no lock at all)' },
  { kind: 'uncontended', name: 'baseline.atomics_add.uncontended', lock: 'baseline_atomics_add', op: 'lock_unlock', lockdep: false, what: 'Atomics.add on a shared word' },
  { kind: 'uncontended', name: CAS_FLOOR_CASE, lock: 'baseline_cas', op: 'lock_unlock', lockdep: false, what: 'bare compareExchange 0->1 + store 0: the floor for any lock' },
  { kind: 'uncontended', name: 'baseline.async_cas.uncontended', lock: 'baseline_async_cas', op: 'lock_unlock', lockdep: false, what: 'the CAS floor inside an async function, awaited: the floor for any lock taken with await' },
  { kind: 'uncontended', name: 'baseline.spin_wait.uncontended', lock: 'baseline_spin_wait', op: 'lock_unlock', lockdep: false, what: 'spin-then-Atomics.wait futex lock (the contended reference), fast path' },
  { kind: 'uncontended', name: 'baseline.async_mutex.uncontended', lock: 'baseline_async_mutex', op: 'lock_unlock', lockdep: false, what: 'async-mutex 0.5.0 await acquire() + release() (in-thread only)' },
];

const LOCK_ROWS: readonly LockRowSpec[] = [
  {
    lock: 'kapi_lockdep_hooks',
    op: 'lock_unlock',
    label: 'kapi.lockdep_acquire_release',
    what: 'kapi.lockdep.acquire + release alone: the held-lock tracking (and, on, the validator) every kernel lock pays',
    lockdep: true,
  },
  { lock: 'spinlock', op: 'lock_unlock', label: 'spin_lock.lock_unlock', what: 'spin_lock + spin_unlock (sync)', lockdep: true, lockStat: true },
  { lock: 'spinlock_cov', op: 'lock_unlock', label: 'spin_lock_cov.lock_unlock', what: 'spin_lock + one coverage point + spin_unlock (harness/bench/coverage_cost.ts)', lockdep: false },
  { lock: 'rwlock', op: 'read', label: 'rwlock.read_lock_unlock', what: 'read_lock + read_unlock (sync)', lockdep: true },
  { lock: 'rwlock', op: 'write', label: 'rwlock.write_lock_unlock', what: 'write_lock + write_unlock (sync)', lockdep: true },
  { lock: 'mutex', op: 'lock_unlock', label: 'mutex.await_lock_unlock', what: 'await mutex_lock + mutex_unlock, as kernel code calls it', lockdep: true, lockStat: true },
  { lock: 'mutex', op: 'trylock', label: 'mutex.trylock_unlock', what: 'mutex_trylock + mutex_unlock: the sync fast path, no await', lockdep: true },
  { lock: 'rtmutex', op: 'lock_unlock', label: 'rt_mutex.await_lock_unlock', what: 'await rt_mutex_lock + rt_mutex_unlock (kernels/locking/rtmutex.ts)', lockdep: true },
  { lock: 'rwsem', op: 'read', label: 'rwsem.await_down_up_read', what: 'await down_read + up_read', lockdep: true },
  { lock: 'rwsem', op: 'read_trylock', label: 'rwsem.down_read_trylock_up_read', what: 'down_read_trylock + up_read: sync fast path', lockdep: true },
  { lock: 'rwsem', op: 'write', label: 'rwsem.await_down_up_write', what: 'await down_write + up_write', lockdep: true },
  { lock: 'rwsem', op: 'write_trylock', label: 'rwsem.down_write_trylock_up_write', what: 'down_write_trylock + up_write: sync fast path', lockdep: true },
  { lock: 'percpu_rwsem', op: 'read', label: 'percpu_rwsem.await_down_up_read', what: 'await percpu_down_read + percpu_up_read (the cpus_read_lock fast path)', lockdep: true },
  { lock: 'percpu_rwsem', op: 'read_trylock', label: 'percpu_rwsem.down_read_trylock_up_read', what: 'percpu_down_read_trylock + percpu_up_read: sync fast path', lockdep: true },
  { lock: 'percpu_rwsem', op: 'write', label: 'percpu_rwsem.await_down_up_write', what: 'await percpu_down_write + percpu_up_write (waits for a grace of readers)', lockdep: true },
  { lock: 'cpus_read_lock', op: 'read', label: 'cpus_read_lock.await_lock_unlock', what: 'await cpus_read_lock + cpus_read_unlock (kernels/cpu/hotplug.ts)', lockdep: true },
  { lock: 'user', op: 'write', label: 'user.write_lock_unlock', what: 'user lock from --ops: writeLock + writeUnlock', lockdep: false },
  { lock: 'rcu', op: 'read_lock_unlock', label: 'rcu.read_lock_unlock', what: 'rcu_read_lock + rcu_read_unlock (rcu_sched, PREEMPT_NONE)', lockdep: true },
  { lock: 'rcu_preempt', op: 'read_lock_unlock', label: 'rcu_preempt.read_lock_unlock', what: 'rcu_read_lock + rcu_read_unlock (rcu_preempt, CONFIG_PREEMPT=y)', lockdep: false },
  {
    lock: 'rcu',
    op: 'read_lock_deref_unlock',
    label: 'rcu.read_lock_deref_unlock',
    what: 'rcu_read_lock + rcu_dereference(Atomics.load) + rcu_read_unlock: against rcu.read_lock_unlock, what a dereference costs (PROVE_RCU off: nothing; .lockdep: its check)',
    lockdep: true,
  },
];

const CONTENDED_ROWS: ReadonlyArray<{ lock: BenchLock; op: BenchOp; label: string; shared: boolean; what: string }> = [
  { lock: 'baseline_spin_wait', op: 'lock_unlock', label: 'baseline.spin_wait', shared: false, what: 'spin-then-Atomics.wait reference lock' },
  { lock: 'spinlock', op: 'lock_unlock', label: 'spin_lock.lock_unlock', shared: false, what: 'spin_lock/spin_unlock' },
  { lock: 'rwlock', op: 'write', label: 'rwlock.write_lock_unlock', shared: false, what: 'write_lock/write_unlock' },
  { lock: 'rwlock', op: 'read', label: 'rwlock.read_lock_unlock', shared: true, what: 'read_lock/read_unlock (readers only)' },
  { lock: 'mutex', op: 'lock_unlock', label: 'mutex.await_lock_unlock', shared: false, what: 'await mutex_lock/mutex_unlock' },
  { lock: 'rtmutex', op: 'lock_unlock', label: 'rt_mutex.await_lock_unlock', shared: false, what: 'await rt_mutex_lock/rt_mutex_unlock (waiters through the PI lock)' },
  { lock: 'rwsem', op: 'write', label: 'rwsem.await_down_up_write', shared: false, what: 'await down_write/up_write' },
  { lock: 'rwsem', op: 'read', label: 'rwsem.await_down_up_read', shared: true, what: 'await down_read/up_read (readers only)' },
  { lock: 'percpu_rwsem', op: 'read', label: 'percpu_rwsem.await_down_up_read', shared: true, what: 'await percpu_down_read/percpu_up_read (readers only)' },
  { lock: 'percpu_rwsem', op: 'write', label: 'percpu_rwsem.await_down_up_write', shared: false, what: 'await percpu_down_write/percpu_up_write' },
  { lock: 'user', op: 'write', label: 'user.write_lock_unlock', shared: false, what: 'user lock from --ops' },
];

/** Every case, in report order, for contended rows of 2..maxThreads threads. */
export function benchCases(maxThreads: number = DEFAULT_MAX_THREADS): BenchCase[] {
  const out: BenchCase[] = [...UNCONTENDED_BASELINES];
  for (const r of LOCK_ROWS) {
    out.push({ kind: 'uncontended', name: `${r.label}.uncontended`, lock: r.lock, op: r.op, lockdep: false, what: r.what });
    if (r.lockdep) {
      out.push({ kind: 'uncontended', name: `${r.label}.uncontended.lockdep`, lock: r.lock, op: r.op, lockdep: true, what: `${r.what}, lockdep on (chain-cache hit)` });
    }
    if (r.lockStat === true) {
      out.push({ kind: 'uncontended', name: `${r.label}.uncontended.lock_stat`, lock: r.lock, op: r.op, lockdep: false, lockStat: true, what: `${r.what}, lock_stat on (CONFIG_LOCK_STAT=y)` });
    }
  }
  for (const r of CONTENDED_ROWS) {
    for (let t = 2; t <= maxThreads; t++) {
      out.push({ kind: 'contended', name: `${r.label}.contended_${t}t`, lock: r.lock, op: r.op, threads: t, shared: r.shared, what: `${r.what}, ${t} threads` });
    }
  }
  out.push({ kind: 'rcu_update', name: 'rcu.synchronize_rcu.8cpus', nrCpus: 8, what: 'rcuscale-style: every CPU loops synchronize_rcu()' });
  for (const t of LOCKDEP_TRACE_SIZES) {
    out.push({ kind: 'lockdep_trace', name: `lockdep-trace.${t.label}`, events: t.events, classes: 1000, tasks: 64, what: `torture lockdep on a generated ${t.label}-event, 1,000-class, 64-task clean trace` });
  }
  out.push(...USER_LOCKS_ROWS);
  out.push({ kind: 'linearizability', name: 'linearizability.queue.10k_8t', ops: 10_000, threads: 8, what: "objecttorture's check of a recorded 10,000-call, 8-task history of the correct queue" });
  return out;
}
