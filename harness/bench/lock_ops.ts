/*
 * Turns a bench case's (lock, op) into a lock/unlock pair of plain functions: the kernel's own
 * functions from kernels/ (loaded with import() so that a lock that has not landed or does not
 * load becomes a "skipped: <reason>" row instead of breaking the build or the run), the user lock
 * of --ops, or a baseline written here.
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
import type { BenchLock, BenchOp } from '../../configs/bench/cases.js';
import { kapi, type LockdepMap, LD_WAIT } from '../kapi.js';
import { loadUserOps } from './user_lock.js';

export type LockPair =
  | { readonly kind: 'sync'; lock(): void; unlock(): void }
  | { readonly kind: 'async'; lock(): Promise<unknown>; unlock(): void }
  | { readonly kind: 'maybe'; lock(): PromiseLike<unknown> | undefined; unlock(): PromiseLike<unknown> | undefined };

export type ResolvedPair = { readonly ok: true; readonly pair: LockPair } | { readonly ok: false; readonly reason: string };

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

/** The lockdep hooks alone, as a kernel lock calls them (a lock that does nothing else). */
function hooksPair(): ResolvedPair {
  const key = kapi.lockClass('bench_lockdep_hooks', 'mutex', LD_WAIT.SLEEP);
  const map: LockdepMap = { key, addr: kapi.shmAlloc('bench_lockdep_hooks', 16).base * 4, name: key.name };
  return syncPair(
    () => kapi.lockdep.acquire(map, 0, false, 0, null),
    () => kapi.lockdep.release(map),
  );
}

type Fn = (...args: unknown[]) => unknown;
type Mod = Record<string, unknown>;

async function importKernel(rel: string): Promise<{ ok: true; mod: Mod } | { ok: false; reason: string }> {
  // From dist/harness/bench/ to dist/<rel>.js; a computed specifier keeps tsc from requiring the
  // module to exist at build time (it may land later, written by another helper).
  const url = new URL(`../../${rel}.js`, import.meta.url).href;
  try {
    return { ok: true, mod: (await import(url)) as Mod };
  } catch (e) {
    const msg = e instanceof Error ? e.message.split('\n')[0] ?? e.message : String(e);
    const code = e instanceof Error && 'code' in e ? String((e as { code: unknown }).code) : '';
    if (code === 'ERR_MODULE_NOT_FOUND' && msg.includes(`${rel}.js`)) return { ok: false, reason: `${rel}.ts not built/present` };
    return { ok: false, reason: `${rel}.ts does not load: ${msg}` };
  }
}

/** Look up exported functions by name; the first missing one becomes the skip reason. */
function fns<const K extends string>(mod: Mod, rel: string, names: readonly K[]): { ok: true; f: Record<K, Fn> } | { ok: false; reason: string } {
  const f = {} as Record<K, Fn>;
  for (const n of names) {
    const v = mod[n];
    if (typeof v !== 'function') return { ok: false, reason: `${rel}.ts exports no function ${n}` };
    f[n] = v as Fn;
  }
  return { ok: true, f };
}

function syncPair(lock: () => void, unlock: () => void): ResolvedPair {
  return { ok: true, pair: { kind: 'sync', lock, unlock } };
}

function asyncPair(lock: () => Promise<unknown>, unlock: () => void): ResolvedPair {
  return { ok: true, pair: { kind: 'async', lock, unlock } };
}

function trylockOrDie(name: string, f: Fn, l: unknown): () => void {
  return () => {
    // Uncontended by construction: a failed trylock means the benchmark itself is broken.
    if (!f(l)) throw new Error(`${name} failed on an uncontended lock`);
  };
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

const LOCKING = 'kernels/locking';

async function kernelPair(lock: BenchLock, op: BenchOp, cpu: number): Promise<ResolvedPair> {
  switch (lock) {
    case 'kapi_lockdep_hooks':
      return hooksPair();
    case 'spinlock': {
      const rel = `${LOCKING}/spinlock`;
      const m = await importKernel(rel);
      if (!m.ok) return m;
      const r = fns(m.mod, rel, ['DEFINE_SPINLOCK', 'spin_lock', 'spin_unlock']);
      if (!r.ok) return r;
      const l = r.f.DEFINE_SPINLOCK('bench_spinlock');
      const { spin_lock, spin_unlock } = r.f;
      return syncPair(
        () => void spin_lock(l),
        () => void spin_unlock(l),
      );
    }
    case 'rwlock': {
      const rel = `${LOCKING}/rwlock`;
      const m = await importKernel(rel);
      if (!m.ok) return m;
      const r = fns(m.mod, rel, ['DEFINE_RWLOCK', 'read_lock', 'read_unlock', 'write_lock', 'write_unlock']);
      if (!r.ok) return r;
      const l = r.f.DEFINE_RWLOCK('bench_rwlock');
      const { read_lock, read_unlock, write_lock, write_unlock } = r.f;
      if (op === 'read') return syncPair(() => void read_lock(l), () => void read_unlock(l));
      return syncPair(() => void write_lock(l), () => void write_unlock(l));
    }
    case 'mutex': {
      const rel = `${LOCKING}/mutex`;
      const m = await importKernel(rel);
      if (!m.ok) return m;
      const r = fns(m.mod, rel, ['DEFINE_MUTEX', 'mutex_lock', 'mutex_unlock']);
      if (!r.ok) return r;
      const l = r.f.DEFINE_MUTEX('bench_mutex');
      const { mutex_lock, mutex_unlock } = r.f;
      if (op === 'trylock') {
        const t = fns(m.mod, rel, ['mutex_trylock']);
        if (!t.ok) return t;
        return syncPair(trylockOrDie('mutex_trylock', t.f.mutex_trylock, l), () => void mutex_unlock(l));
      }
      return asyncPair(() => mutex_lock(l) as Promise<unknown>, () => void mutex_unlock(l));
    }
    case 'rwsem': {
      const rel = `${LOCKING}/rwsem`;
      const m = await importKernel(rel);
      if (!m.ok) return m;
      const r = fns(m.mod, rel, ['DECLARE_RWSEM', 'down_read', 'up_read', 'down_write', 'up_write']);
      if (!r.ok) return r;
      const l = r.f.DECLARE_RWSEM('bench_rwsem');
      const { down_read, up_read, down_write, up_write } = r.f;
      switch (op) {
        case 'read':
          return asyncPair(() => down_read(l) as Promise<unknown>, () => void up_read(l));
        case 'write':
          return asyncPair(() => down_write(l) as Promise<unknown>, () => void up_write(l));
        case 'read_trylock': {
          const t = fns(m.mod, rel, ['down_read_trylock']);
          if (!t.ok) return t;
          return syncPair(trylockOrDie('down_read_trylock', t.f.down_read_trylock, l), () => void up_read(l));
        }
        case 'write_trylock': {
          const t = fns(m.mod, rel, ['down_write_trylock']);
          if (!t.ok) return t;
          return syncPair(trylockOrDie('down_write_trylock', t.f.down_write_trylock, l), () => void up_write(l));
        }
        default:
          return { ok: false, reason: `no op ${op} for rwsem` };
      }
    }
    case 'percpu_rwsem': {
      const rel = `${LOCKING}/percpu_rwsem`;
      const m = await importKernel(rel);
      if (!m.ok) return m;
      const r = fns(m.mod, rel, ['DEFINE_STATIC_PERCPU_RWSEM', 'percpu_down_read', 'percpu_up_read', 'percpu_down_write', 'percpu_up_write']);
      if (!r.ok) return r;
      const l = r.f.DEFINE_STATIC_PERCPU_RWSEM('bench_percpu_rwsem');
      const { percpu_down_read, percpu_up_read, percpu_down_write, percpu_up_write } = r.f;
      switch (op) {
        case 'read':
          return asyncPair(() => percpu_down_read(l) as Promise<unknown>, () => void percpu_up_read(l));
        case 'write':
          return asyncPair(() => percpu_down_write(l) as Promise<unknown>, () => void percpu_up_write(l));
        case 'read_trylock': {
          const t = fns(m.mod, rel, ['percpu_down_read_trylock']);
          if (!t.ok) return t;
          return syncPair(trylockOrDie('percpu_down_read_trylock', t.f.percpu_down_read_trylock, l), () => void percpu_up_read(l));
        }
        default:
          return { ok: false, reason: `no op ${op} for percpu_rwsem` };
      }
    }
    case 'cpus_read_lock': {
      const rel = 'kernels/cpu/hotplug';
      const m = await importKernel(rel);
      if (!m.ok) return m;
      const r = fns(m.mod, rel, ['cpus_read_lock', 'cpus_read_unlock']);
      if (!r.ok) return r;
      const { cpus_read_lock, cpus_read_unlock } = r.f;
      return asyncPair(() => cpus_read_lock() as Promise<unknown>, () => void cpus_read_unlock());
    }
    case 'rcu':
    case 'rcu_preempt': {
      // Tree RCU must be initialised on this CPU first (rcu_init from boot() in a guest); with
      // one CPU it also starts the GP kthread, which never runs during a sync measurement.
      const rel = 'kernels/rcu/tree';
      const m = await importKernel(rel);
      if (!m.ok) return m;
      const r = fns(m.mod, rel, ['rcu_init', 'rcu_read_lock', 'rcu_read_unlock']);
      if (!r.ok) return r;
      r.f.rcu_init(cpu);
      const { rcu_read_lock, rcu_read_unlock } = r.f;
      return syncPair(() => void rcu_read_lock(), () => void rcu_read_unlock());
    }
    default:
      return { ok: false, reason: `no kernel lock ${lock}` };
  }
}

export async function resolveLockPair(lock: BenchLock, op: BenchOp, ctx: ResolveContext): Promise<ResolvedPair> {
  const b = baselinePair(lock, ctx);
  if (b !== null) return b;
  if (lock === 'user') {
    if (ctx.opsModule === undefined) return { ok: false, reason: 'no --ops module given' };
    return loadUserOps(ctx.opsModule, ctx.userShared, ctx.cpu);
  }
  try {
    return await kernelPair(lock, op, ctx.cpu);
  } catch (e) {
    return { ok: false, reason: `setting up ${lock} threw: ${e instanceof Error ? e.message : String(e)}` };
  }
}
