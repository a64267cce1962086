/*
 * `torture/lockdep`: lockdep for your own worker-thread program.
 *
 * The dependency graph lives in a SharedArrayBuffer you create once with createLockdepBuffer() and
 * hand to every worker (workerData or postMessage). Each thread attaches with attachLockdep(),
 * declares its lock classes (the same names in the same order on every thread) and annotates its
 * own locks: `acquire()` just before taking a lock, `release()` when dropping it. An order seen on
 * one thread and the reverse order seen later on another are reported as a possible circular
 * deadlock, even if the two never ran at the same time.
 *
 *   import { createLockdepBuffer, attachLockdep } from 'torture/lockdep';
 *   const buf = createLockdepBuffer();                 // main thread, pass to workers
 *   const ld = attachLockdep(buf, { name: 'worker-1' }); // in each worker
 *   const A = ld.lockClass('queue_lock', 'mutex');
 *   ld.acquire(A); myMutexLock(...); ... ld.release(A); myMutexUnlock(...);
 *
 * Reports go to `onReport` (default: console.error of the report text). By default lockdep
 * switches itself off for every thread after the first report, as the kernel does; with
 * `continueAfterReport: true` it goes on and reports each distinct problem once.
 * Guarantees: a repeated lock sequence costs a hash lookup (no stack capture); stacks are captured
 * only for new dependencies and reports. Not provided: irq contexts (user threads are always
 * process context), lock_stat.
 */

import { threadId } from 'node:worker_threads';
import { TortureError } from '../errors.js';
import { LOCK_TYPE_PROPS, type LockClassKey, type LockdepMap, type LockRead, type LockType } from '../kapi.js';
import { DEFAULT_LIMITS, lockdepInit, regionWords } from './index.js';
import { SimEnv, SimTask } from './sim_env.js';
import type { Lockdep, LockdepBugKind, LockdepLimits } from './types.js';

export type { LockdepBugKind, LockdepLimits } from './types.js';

/** Lock kinds a user program can declare (they set the read semantics and the printed wait type). */
/** The kapi lock types a user program may declare (a subset of LOCK_TYPES, checked by the compiler). */
export type UserLockType = Extract<LockType, 'mutex' | 'spinlock' | 'rwlock' | 'rwsem'>;

export interface LockdepReport {
  readonly kind: LockdepBugKind;
  /** The WARNING line, e.g. `WARNING: possible circular locking dependency detected`. */
  readonly title: string;
  /** The whole report, one string per line. */
  readonly lines: readonly string[];
  /** lines joined with newlines. */
  readonly text: string;
}

export interface AttachOptions {
  /** Name printed as the task's comm (15 characters kept). Default `worker-<threadId>`. */
  readonly name?: string;
  /** pid printed in reports. Default the Node threadId. */
  readonly pid?: number;
  /** Where reports go. Default: console.error(report.text). */
  readonly onReport?: (report: LockdepReport) => void;
  /** Keep validating after a report and report each distinct problem once. Default false. */
  readonly continueAfterReport?: boolean;
  /** Banner release string. Default `user-program`. */
  readonly release?: string;
}

export interface AcquireOptions {
  /** Which instance (e.g. the Int32 index of your lock word); printed as the lock's address. Default 0. */
  readonly instance?: number;
  /** Read acquisition: true = non-recursive reader (rwsem-like), 'recursive' = recursive reader. */
  readonly read?: boolean | 'recursive';
  /** A successful trylock: adds no dependency on the locks already held. */
  readonly trylock?: boolean;
  /** Nesting subclass 0..7 (mutex_lock_nested): an independent class printed `name/N`. */
  readonly subclass?: number;
}

/** Words the user buffer holds: a small header word plus the validator region. */
const BASE = 16;

/** The SharedArrayBuffer holding the lock graph; create once and pass to every worker. */
export function createLockdepBuffer(limits: Partial<LockdepLimits> = {}): SharedArrayBuffer {
  const l: LockdepLimits = { ...DEFAULT_LIMITS, ...limits };
  const buf = new SharedArrayBuffer((BASE + regionWords(l)) * 4);
  // Initialise now (before any worker sees it) so limits apply and attaching is a pure read.
  const i32 = new Int32Array(buf);
  const env = new SimEnv(new SimTask(0, 'main'));
  lockdepInit(i32, BASE, env, { resetRegion: true, limits: l });
  return buf;
}

/** One thread's handle on the shared validator. */
export class UserLockdep {
  readonly #ld: Lockdep;
  readonly #env: SimEnv;
  readonly #ordinals = new Map<string, number>();
  readonly #maps = new Map<LockClassKey, Map<number, LockdepMap>>();
  #pending: string[] = [];

  constructor(buf: SharedArrayBuffer, opts: AttachOptions = {}) {
    if (!(buf instanceof SharedArrayBuffer)) {
      throw new TortureError('USAGE', `Cannot attach lockdep as 'buffer' must be a SharedArrayBuffer from createLockdepBuffer(): current value is ${typeof buf}`);
    }
    const name = opts.name ?? `worker-${threadId}`;
    this.#env = new SimEnv(new SimTask(opts.pid ?? threadId, name, threadId), opts.release ?? 'user-program');
    const deliver = opts.onReport ?? ((r: LockdepReport) => console.error(r.text));
    this.#env.printer = (lines) => {
      this.#pending.push(...lines);
    };
    const env = this.#env;
    const onReport = env.onReport.bind(env);
    env.onReport = (kind: LockdepBugKind, title: string): void => {
      onReport(kind, title);
      const lines = this.#pending;
      this.#pending = [];
      deliver({ kind, title, lines, text: lines.join('\n') });
    };
    this.#ld = lockdepInit(new Int32Array(buf), BASE, env, { continueAfterReport: opts.continueAfterReport === true });
  }

  /** Declare a lock class. Declare the same names in the same order on every thread. */
  lockClass(name: string, type: UserLockType = 'mutex'): LockClassKey {
    if (typeof name !== 'string' || name === '') {
      throw new TortureError('USAGE', `Cannot declare a lock class as 'name' must be a non-empty string: current value is ${JSON.stringify(name)}`);
    }
    const ordinal = this.#ordinals.get(name) ?? 0;
    this.#ordinals.set(name, ordinal + 1);
    const t: LockType = type;
    return { name, ordinal, type: t, waitType: LOCK_TYPE_PROPS[type].waitType };
  }

  #map(cls: LockClassKey, instance: number): LockdepMap {
    let byInst = this.#maps.get(cls);
    if (byInst === undefined) {
      byInst = new Map();
      this.#maps.set(cls, byInst);
    }
    let m = byInst.get(instance);
    if (m === undefined) {
      m = { key: cls, addr: instance, name: cls.name };
      byInst.set(instance, m);
    }
    return m;
  }

  /** Annotate: about to take a lock of class `cls` (call before blocking on it). */
  acquire(cls: LockClassKey, opts: AcquireOptions = {}): void {
    const read: LockRead = opts.read === 'recursive' ? 2 : opts.read === true ? 1 : 0;
    this.#ld.acquire(this.#map(cls, opts.instance ?? 0), opts.subclass ?? 0, opts.trylock === true, read, null);
  }

  /** Annotate: the lock of class `cls` (and `instance`) is released. */
  release(cls: LockClassKey, instance = 0): void {
    this.#ld.release(this.#map(cls, instance));
  }

  /** lockdep_assert_held(): report if this thread does not hold the lock. */
  assertHeld(cls: LockClassKey, instance = 0): void {
    this.#ld.assertHeld(this.#map(cls, instance));
  }

  /** The thread is done: reports locks still held. */
  exit(): void {
    this.#ld.taskExit(this.#env.task);
  }

  /** /proc/lockdep_stats text for the shared graph. */
  stats(): string {
    return this.#ld.procStats();
  }

  /** False once lockdep switched itself off (after a report without continueAfterReport). */
  get enabled(): boolean {
    return this.#ld.enabled;
  }

  /** Reports delivered by this thread. */
  get reports(): number {
    return this.#ld.reports;
  }
}

/** Attach this thread to the graph in `buf`. */
export function attachLockdep(buf: SharedArrayBuffer, opts: AttachOptions = {}): UserLockdep {
  return new UserLockdep(buf, opts);
}
