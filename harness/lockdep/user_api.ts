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
 * Reports go to `onReport` (default: the report text written to standard error at once, with
 * fs.writeSync: a worker's console.error is printed by the main thread's event loop, and a report
 * of a blocked program must not wait for a thread that may never run again). By default lockdep
 * switches itself off for every thread after the first report, as the kernel does; with
 * `continueAfterReport: true` it goes on and reports each distinct problem once.
 * Guarantees: a repeated lock sequence costs a hash lookup (no stack capture); stacks are captured
 * only for new dependencies and reports. Not provided: irq contexts (user threads are always
 * process context), lock_stat.
 *
 * Real blocking (wait_for.ts): the buffer also holds a wait-for table. `acquire()` puts the lock
 * on the thread's held list; `waiting(cls)` before the thread blocks and `woken()` after say that
 * it is blocked on it. A cycle of blocked threads is a `DEADLOCK:` report, a thread blocked past
 * `hungTaskTimeoutSecs` with no cycle an `INFO: task ... blocked for more than N seconds.` report,
 * found by whoever scans: `checkWaits()` (a waiter that wakes now and then, as torture/locks do)
 * or watchDeadlocks() in a thread that does not block (wait_watchdog.ts).
 */

import { writeSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { TortureError } from '../errors.js';
import { fnv1a } from '../lib/fnv1a.js';
import { LOCK_TYPE_PROPS, type LockClassKey, type LockdepMap, type LockRead, type LockType } from '../kapi.js';
import { DEFAULT_LIMITS, lockdepInit, regionWords } from './index.js';
import { SimEnv, SimTask } from './sim_env.js';
import { captureStack, siteOf } from './stack.js';
import { WaitScanner, type WaitReportKind } from './wait_check.js';
import { initWaitFor, UH_NEXT_LOCK_ID, WAIT_EVENT, WAIT_LOCK, WAIT_LOCK_ASYNC, WaitForTable, WF_REGION_WORDS } from './wait_for.js';
import type { Lockdep, LockdepBugKind, LockdepLimits } from './types.js';

export type { LockdepBugKind, LockdepLimits } from './types.js';
export type { WaitReportKind } from './wait_check.js';
export { watchDeadlocks, type WatchOptions, type Watchdog } from './wait_watchdog.js';

/** Lock kinds a user program can declare (they set the read semantics and the printed wait type). */
/** The kapi lock types a user program may declare (a subset of LOCK_TYPES, checked by the compiler). */
export type UserLockType = Extract<LockType, 'mutex' | 'spinlock' | 'rwlock' | 'rwsem'>;

export interface LockdepReport {
  /** A validator finding, or a real blocking one: `deadlock` (a wait-for cycle), `hung_task`. */
  readonly kind: LockdepBugKind | WaitReportKind;
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
  /** Where reports go. Default: the report text written to standard error (fs.writeSync(2)). */
  readonly onReport?: (report: LockdepReport) => void;
  /** Keep validating after a report and report each distinct problem once. Default false. */
  readonly continueAfterReport?: boolean;
  /** Banner release string. Default `user-program`. */
  readonly release?: string;
  /** Seconds a thread may stay blocked (waiting() .. woken()) before checkWaits() reports it as a hung task; 0: never. Default 10. */
  readonly hungTaskTimeoutSecs?: number;
}

/** Options of `waiting()`. */
export interface WaitOptions {
  /** The lock's instance, as given to acquire(). Default 0. */
  readonly instance?: number;
  /** An event (a condition variable, a semaphore): nobody holds it, only a wake-up ends the wait. Default false (a lock: its holders are the threads that acquired it). */
  readonly event?: boolean;
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
  const wfBase = BASE + regionWords(l);
  const buf = new SharedArrayBuffer((wfBase + WF_REGION_WORDS) * 4);
  // Initialise now (before any worker sees it) so limits apply and attaching is a pure read.
  const i32 = new Int32Array(buf);
  const env = new SimEnv(new SimTask(0, 'main'));
  lockdepInit(i32, BASE, env, { resetRegion: true, limits: l });
  initWaitFor(buf, wfBase);
  return buf;
}

/** One thread's handle on the shared validator. */
export class UserLockdep {
  readonly #ld: Lockdep;
  readonly #env: SimEnv;
  readonly #ordinals = new Map<string, number>();
  readonly #maps = new Map<LockClassKey, Map<number, LockdepMap>>();
  readonly #keys = new Map<LockClassKey, number>();
  #pending: string[] = [];
  readonly #deliver: (r: LockdepReport) => void;
  readonly #wf: WaitForTable;
  readonly #slot: number;
  readonly #scanner: WaitScanner;
  /** The current wait's generation, and whether its text is published (-1: not waiting). */
  #waitGen = -1;
  #waitText = false;
  #waitName = '';
  #waitInst = 0;

  constructor(buf: SharedArrayBuffer, opts: AttachOptions = {}) {
    if (!(buf instanceof SharedArrayBuffer)) {
      throw new TortureError('USAGE', `Cannot attach lockdep as 'buffer' must be a SharedArrayBuffer from createLockdepBuffer(): current value is ${typeof buf}`);
    }
    const name = opts.name ?? `worker-${threadId}`;
    this.#env = new SimEnv(new SimTask(opts.pid ?? threadId, name, threadId), opts.release ?? 'user-program');
    const deliver = opts.onReport ?? ((r: LockdepReport) => void writeSync(2, `${r.text}\n`));
    this.#deliver = deliver;
    const hung = opts.hungTaskTimeoutSecs ?? 10;
    if (!Number.isFinite(hung) || hung < 0) {
      throw new TortureError('USAGE', `Cannot attach lockdep as 'hungTaskTimeoutSecs' must be a number of seconds >= 0: current value is ${String(hung)}`);
    }
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
    this.#wf = new WaitForTable(buf);
    this.#slot = this.#wf.base > 0 ? this.#wf.attach(env.task.pid, env.task.comm) : -1;
    this.#scanner = new WaitScanner(this.#wf, { hungTaskTimeoutSecs: hung, release: opts.release ?? 'user-program' });
  }

  /** The wait-for table's key of a class: its printed name, hashed (instances tell locks of one class apart). */
  #key(cls: LockClassKey): number {
    let k = this.#keys.get(cls);
    if (k === undefined) {
      k = fnv1a(cls.ordinal > 0 ? `${cls.name}#${cls.ordinal + 1}` : cls.name) | 0;
      this.#keys.set(cls, k);
    }
    return k;
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
    if (this.#slot >= 0) this.#wf.pushHeld(this.#slot, this.#key(cls), opts.instance ?? 0);
  }

  /** Annotate: the lock of class `cls` (and `instance`) is released. */
  release(cls: LockClassKey, instance = 0): void {
    this.#ld.release(this.#map(cls, instance));
    if (this.#slot >= 0) this.#wf.popHeld(this.#slot, this.#key(cls), instance);
  }

  /**
   * Annotate: this thread is about to block on `cls` (after acquire() for a lock; alone for an
   * event). The wait and the thread's held locks are published at once (one stack capture), so a
   * watchdog can report the thread while it blocks. Pair with woken().
   */
  waiting(cls: LockClassKey, opts: WaitOptions = {}): void {
    this.waitStart(cls, opts.instance ?? 0, opts.event === true);
    this.#publishWait();
  }

  /** Annotate: the wait announced by waiting() is over (the lock is taken, the event came, or the wait timed out). */
  woken(): void {
    if (this.#waitGen < 0) return;
    this.#waitGen = -1;
    if (this.#slot >= 0) this.#wf.endWait(this.#slot);
  }

  /**
   * The cheap half of waiting() for a lock that blocks in slices (torture/locks): the wait is in
   * the table at once, its text (a stack capture) only when checkWaits() first runs, a slice later.
   * `async`: the thread waits with Atomics.waitAsync and runs on, so it is never on a deadlock
   * cycle (its other async code may be about to release what the others wait for), only hung.
   */
  waitStart(cls: LockClassKey, instance: number, event: boolean, async = false): void {
    if (this.#slot < 0) return;
    this.#waitGen = this.#wf.beginWait(this.#slot, event ? WAIT_EVENT : async ? WAIT_LOCK_ASYNC : WAIT_LOCK, this.#key(cls), instance);
    this.#waitText = false;
    this.#waitName = cls.ordinal > 0 ? `${cls.name}#${cls.ordinal + 1}` : cls.name;
    this.#waitInst = instance;
  }

  #publishWait(): void {
    if (this.#waitGen < 0 || this.#waitText || this.#slot < 0) return;
    const frames = captureStack();
    const addr = (0xffffffff80000000n + BigInt(Math.max(0, Math.trunc(this.#waitInst)))).toString(16).padStart(16, '0');
    const held = this.#ld.showHeldLocks();
    const t = this.#env.task;
    this.#wf.publishText(this.#slot, this.#waitGen, {
      lock: `${addr} (${this.#waitName})`,
      at: siteOf(frames),
      frames,
      held: held.length > 0 ? held : [`no locks held by ${t.comm}/${t.pid} (lockdep is off: its held-lock list with it).`],
    });
    this.#waitText = true;
  }

  /**
   * Called by a blocked thread between two slices of its wait: publishes the wait's text once and
   * scans the wait-for table for a cycle through this thread (confirmed on the next call) or a
   * hung wait; reports go to onReport. Returns how many reports this call delivered.
   */
  checkWaits(): number {
    if (this.#waitGen < 0) return 0;
    this.#publishWait();
    const reports = this.#scanner.scan(this.#slot);
    for (const r of reports) this.#deliver(r);
    return reports.length;
  }

  /** lockdep_assert_held(): report if this thread does not hold the lock. */
  assertHeld(cls: LockClassKey, instance = 0): void {
    this.#ld.assertHeld(this.#map(cls, instance));
  }

  /** A fresh instance number (a lock's printed address) from the buffer: torture/locks number their locks with it. */
  newInstance(): number {
    return Atomics.add(this.#wf.i32, UH_NEXT_LOCK_ID, 1) + 1;
  }

  /** The thread is done: reports locks still held. */
  exit(): void {
    this.#ld.taskExit(this.#env.task);
    if (this.#slot >= 0) this.#wf.detach(this.#slot);
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
