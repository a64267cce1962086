/*
 * Turns a bench case's (lock, op) into a lock/unlock pair of plain functions: the kernel's own
 * functions from kernels/ (static imports; KERNEL_PAIRS has one entry per kernel bench lock, so a
 * lock type added to kapi's LOCK_TYPES does not compile until it has one), the user lock of --ops,
 * or a baseline written here. An op a lock does not have becomes a "skipped: <reason>" row.
 *
 * Guarantees: `lock` is the kernel function itself or a one-line arrow around it, so an async
 * lock's promise is the kernel's own promise (awaited directly by the caller, as kernel code
 * does). A `sync` pair never returns a promise; an `async` pair always does; a `maybe` pair (a
 * user lock: writeLock() returns a thenable only when it must sleep) is awaited only when it
 * returns something.
 *
 * Does not: time anything, or decide threads. Kernel locks need kapi installed on the calling
 * thread before resolve (harness/cpu/standalone.ts attachCpu), because DEFINE_* allocates the lock
 * word with kapi.shmAlloc; the same name on every thread of one machine is the same lock.
 */

import { Mutex as AsyncMutex } from 'async-mutex';
import type { BENCH_BASELINES, BenchLock, BenchOp } from '../../configs/bench/cases.js';
import { kapi, type LockdepMap, LD_WAIT } from '../kapi.js';
import { cpus_read_lock, cpus_read_unlock } from '../../kernels/cpu/hotplug.js';
import { DEFINE_MUTEX, mutex_lock, mutex_trylock, mutex_unlock } from '../../kernels/locking/mutex.js';
import { DEFINE_RT_MUTEX, rt_mutex_lock, rt_mutex_unlock } from '../../kernels/locking/rtmutex.js';
import {
  DEFINE_STATIC_PERCPU_RWSEM,
  percpu_down_read,
  percpu_down_read_trylock,
  percpu_down_write,
  percpu_up_read,
  percpu_up_write,
} from '../../kernels/locking/percpu_rwsem.js';
import { DEFINE_RWLOCK, read_lock, read_unlock, write_lock, write_unlock } from '../../kernels/locking/rwlock.js';
import { DECLARE_RWSEM, down_read, down_read_trylock, down_write, down_write_trylock, up_read, up_write } from '../../kernels/locking/rwsem.js';
import { DEFINE_SPINLOCK, spin_lock, spin_unlock } from '../../kernels/locking/spinlock.js';
import { rcu_init, rcu_read_lock, rcu_read_unlock } from '../../kernels/rcu/rcu.js';
import { rcu_dereference } from '../../kernels/rcu/rcupdate_lockdep.js';
import type { ResolvedPair } from './lock_pair.js';
import { loadUserOps } from './user_lock.js';
import { spinlockCovPair } from './coverage_cost.js';


export interface ResolveContext {
  /** Shared words for baseline locks (index BASELINE_LOCK_WORD is the lock word). */
  readonly shared: Int32Array;
  /** --ops module path or URL, if given. */
  readonly opsModule: string | undefined;
  /** The user lock's shared memory (one buffer for all threads of a contended row), or null. */
  readonly userShared: SharedArrayBuffer | null;
  /** This thread's CPU number (passed to the user lock's init). */
  readonly cpu: number;
}

/** Word of ResolveContext.shared used by the baseline locks. */
export const BASELINE_LOCK_WORD = 0;
/** Spins before the spin-then-wait reference lock goes to Atomics.wait. */
const SPIN_WAIT_SPINS = 100;
/** Upper bound of one Atomics.wait in the reference lock (a lost notify costs at most this). */
const SPIN_WAIT_SLICE_MS = 50;

/** Whether a case needs kapi (a CPU attached to a machine) on its thread. */
export function needsKapi(lock: BenchLock): boolean {
  return !lock.startsWith('baseline_') && lock !== 'user';
}

/**
 * Whether an uncontended row is timed inside a task on a bench CPU: every kernel lock, and the
 * awaited CAS, so that the mutex goal's two rows (goals.ts) run their `await` in the same
 * context (a task of a CpuRuntime), not one of them on a bare thread.
 */
export function runsInTask(lock: BenchLock): boolean {
  return needsKapi(lock) || lock === 'baseline_async_cas';
}

/** The lockdep hooks alone, as a kernel lock calls them (a lock that does nothing else). */
function hooksPair(): ResolvedPair {
  const key = kapi.lockClass('bench_lockdep_hooks', 'mutex', LD_WAIT.SLEEP);
  const map: LockdepMap = { key, addr: kapi.shmAlloc('bench_lockdep_hooks', 16).base * 4, name: key.name };
  return syncPair(
    () => kapi.lockdep.acquire(map, 0, false, 0, null),
    () => kapi.lockdep.release(map),
  );
}

function syncPair(lock: () => void, unlock: () => void): ResolvedPair {
  return { ok: true, pair: { kind: 'sync', lock, unlock } };
}

function asyncPair(lock: () => Promise<unknown>, unlock: () => void): ResolvedPair {
  return { ok: true, pair: { kind: 'async', lock, unlock } };
}

function trylockOrDie(name: string, trylock: () => boolean): () => void {
  return () => {
    // Uncontended by construction: a failed trylock means the benchmark itself is broken.
    if (!trylock()) throw new Error(`${name} failed on an uncontended lock`);
  };
}

function noOp(lock: string, op: BenchOp): ResolvedPair {
  return { ok: false, reason: `no op ${op} for ${lock}` };
}

/** Baselines written in the bench: no kapi, no kernel code. */
function baselinePair(lock: BenchLock, ctx: ResolveContext): ResolvedPair | null {
  const ia = ctx.shared;
  const w = BASELINE_LOCK_WORD;
  switch (lock) {
    case 'baseline_counter': {
      let counter = 0;
      return syncPair(
        () => {
          counter++;
        },
        () => {
          if (counter < 0) throw new Error('unreachable: keeps counter observable');
        },
      );
    }
    case 'baseline_atomics_add':
      return syncPair(
        () => {
          Atomics.add(ia, w, 1);
        },
        () => {},
      );
    case 'baseline_cas':
      // The floor for any lock: one successful CAS to take it, one store to drop it.
      return syncPair(
        () => {
          while (Atomics.compareExchange(ia, w, 0, 1) !== 0);
        },
        () => {
          Atomics.store(ia, w, 0);
        },
      );
    case 'baseline_async_cas':
      // Same CAS + store, but taken as kernel code takes a sleeping lock: `await lock()` of an
      // async function. The difference to the CAS floor is the price of the await itself.
      return asyncPair(
        async () => {
          while (Atomics.compareExchange(ia, w, 0, 1) !== 0);
        },
        () => {
          Atomics.store(ia, w, 0);
        },
      );
    case 'baseline_spin_wait':
      return syncPair(spin_wait_lock.bind(null, ia, w), spin_wait_unlock.bind(null, ia, w));
    case 'baseline_async_mutex': {
      const m = new AsyncMutex();
      return asyncPair(
        () => m.acquire(),
        () => m.release(),
      );
    }
    default:
      return null;
  }
}

/*
 * The contended reference: a futex-style 0 free / 1 locked / 2 locked with waiters lock that
 * spins SPIN_WAIT_SPINS times before it sleeps in Atomics.wait, and skips notify when nobody
 * waits. This is the "plain" JS lock any SAB user would write; the kernel mutex must beat it.
 */
function spin_wait_lock(ia: Int32Array, w: number): void {
  if (Atomics.compareExchange(ia, w, 0, 1) === 0) return;
  for (let i = 0; i < SPIN_WAIT_SPINS; i++) {
    if (Atomics.load(ia, w) === 0 && Atomics.compareExchange(ia, w, 0, 1) === 0) return;
  }
  // Announce a waiter (2), then sleep while it stays 2; pairs with the exchange + notify in
  // spin_wait_unlock().
  while (Atomics.exchange(ia, w, 2) !== 0) Atomics.wait(ia, w, 2, SPIN_WAIT_SLICE_MS);
}

function spin_wait_unlock(ia: Int32Array, w: number): void {
  if (Atomics.exchange(ia, w, 0) === 2) Atomics.notify(ia, w, 1); // pairs with Atomics.wait in spin_wait_lock()
}

/** Bench locks driven by kernel code (everything but the baselines and the --ops lock). */
type KernelBenchLock = Exclude<BenchLock, (typeof BENCH_BASELINES)[number] | 'user'>;

/** One entry per kernel bench lock: its (op) -> pair, built on the calling CPU. */
const KERNEL_PAIRS = {
  kapi_lockdep_hooks: () => hooksPair(),
  spinlock: () => {
    const l = DEFINE_SPINLOCK('bench_spinlock');
    return syncPair(() => spin_lock(l), () => spin_unlock(l));
  },
  rwlock: (op) => {
    const l = DEFINE_RWLOCK('bench_rwlock');
    if (op === 'read') return syncPair(() => read_lock(l), () => read_unlock(l));
    return syncPair(() => write_lock(l), () => write_unlock(l));
  },
  mutex: (op) => {
    const l = DEFINE_MUTEX('bench_mutex');
    if (op === 'trylock') return syncPair(trylockOrDie('mutex_trylock', () => mutex_trylock(l)), () => mutex_unlock(l));
    return asyncPair(() => mutex_lock(l), () => mutex_unlock(l));
  },
  rwsem: (op) => {
    const l = DECLARE_RWSEM('bench_rwsem');
    switch (op) {
      case 'read':
        return asyncPair(() => down_read(l), () => up_read(l));
      case 'write':
        return asyncPair(() => down_write(l), () => up_write(l));
      case 'read_trylock':
        return syncPair(trylockOrDie('down_read_trylock', () => down_read_trylock(l)), () => up_read(l));
      case 'write_trylock':
        return syncPair(trylockOrDie('down_write_trylock', () => down_write_trylock(l)), () => up_write(l));
      default:
        return noOp('rwsem', op);
    }
  },
  percpu_rwsem: (op) => {
    const l = DEFINE_STATIC_PERCPU_RWSEM('bench_percpu_rwsem');
    switch (op) {
      case 'read':
        return asyncPair(() => percpu_down_read(l), () => percpu_up_read(l));
      case 'write':
        return asyncPair(() => percpu_down_write(l), () => percpu_up_write(l));
      case 'read_trylock':
        return syncPair(trylockOrDie('percpu_down_read_trylock', () => percpu_down_read_trylock(l)), () => percpu_up_read(l));
      default:
        return noOp('percpu_rwsem', op);
    }
  },
  cpus_read_lock: () => asyncPair(() => cpus_read_lock(), () => cpus_read_unlock()),
  rtmutex: () => {
    const l = DEFINE_RT_MUTEX('bench_rtmutex');
    return asyncPair(() => rt_mutex_lock(l), () => rt_mutex_unlock(l));
  },
  rcu: (op, cpu) => rcuPair(cpu, op),
  rcu_preempt: (_op, cpu) => rcuPair(cpu),
  spinlock_cov: () => spinlockCovPair(),
} satisfies Record<KernelBenchLock, (op: BenchOp, cpu: number) => ResolvedPair>;

/**
 * The kernel's RCU (kernels/rcu/rcu.ts: Tree RCU here, as these CPUs are SMP) must be initialised on
 * this CPU first (rcu_init from boot() in a guest); with one CPU it
 * also starts the GP kthread, which never runs during a sync measurement.
 */
function rcuPair(cpu: number, op: BenchOp = 'read_lock_unlock'): ResolvedPair {
  rcu_init(cpu);
  if (op === 'read_lock_deref_unlock') {
    const p = kapi.shmAlloc('bench_rcu_ptr', 1);
    return syncPair(
      () => {
        rcu_read_lock();
        rcu_dereference(Atomics.load(p.i32, p.base));
      },
      () => rcu_read_unlock(),
    );
  }
  return syncPair(() => rcu_read_lock(), () => rcu_read_unlock());
}

function isKernelBenchLock(lock: BenchLock): lock is KernelBenchLock {
  return Object.hasOwn(KERNEL_PAIRS, lock);
}

export async function resolveLockPair(lock: BenchLock, op: BenchOp, ctx: ResolveContext): Promise<ResolvedPair> {
  const b = baselinePair(lock, ctx);
  if (b !== null) return b;
  if (lock === 'user') {
    if (ctx.opsModule === undefined) return { ok: false, reason: 'no --ops module given' };
    return loadUserOps(ctx.opsModule, ctx.userShared, ctx.cpu);
  }
  if (!isKernelBenchLock(lock)) return { ok: false, reason: `no kernel lock ${lock}` };
  try {
    return KERNEL_PAIRS[lock](op, ctx.cpu);
  } catch (e) {
    return { ok: false, reason: `setting up ${lock} threw: ${e instanceof Error ? e.message : String(e)}` };
  }
}
