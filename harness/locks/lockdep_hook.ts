/*
 * The one door from torture/locks to lockdep, and the switch. The locks themselves import
 * nothing outside this folder: they talk to lockdep through the `LocksLockdep` interface below,
 * which `torture/lockdep`'s UserLockdep implements. The lockdep code is loaded only when lockdep
 * is switched on, by dynamic import() (so a production program with lockdep off never loads the
 * harness), or injected by the caller with useLockdep() (no import at all).
 *
 * The switch, per thread:
 *  - `await enableLockdep(options)`: loads lockdep; locks created afterwards in this thread carry
 *    a lockdep buffer (a new one, or options.buffer) in their handle, and every thread that
 *    attaches such a lock (Mutex.from(handle)) validates it against that buffer;
 *  - the environment variable TORTURE_LOCKDEP=1: the same, at import time, in every thread
 *    (workers inherit the environment); loaded with require() (Node 20.19+ loads ES modules so),
 *    synchronously, because a top-level await would make this module one that CommonJS programs
 *    cannot require();
 *  - useLockdep(buffer, ld): an already attached UserLockdep, injected.
 * Off (the default), a lock holds `null` where its lockdep would be and its only cost is one
 * test of that field per operation (bench: harness/bench/user_locks.ts).
 */

import { createRequire } from 'node:module';
import { isMainThread, threadId } from 'node:worker_threads';

/** A lock class as lockdep hands it out (opaque here). */
export type LockdepClass = object;

/** What the locks need from lockdep: UserLockdep of torture/lockdep has exactly these. */
export interface LocksLockdep {
  lockClass(name: string, type: 'mutex' | 'rwlock'): LockdepClass;
  acquire(cls: LockdepClass, opts: { instance: number; read?: boolean | 'recursive'; trylock?: boolean }): void;
  release(cls: LockdepClass, instance: number): void;
  /**
   * The thread starts blocking on (cls, instance); `event`: nobody holds it (a condition, a
   * semaphore); `async`: an Atomics.waitAsync wait (the thread runs on, so it is never a member of
   * a deadlock cycle, only a hung task).
   */
  waitStart(cls: LockdepClass, instance: number, event: boolean, async?: boolean): void;
  /** Between two slices of a blocked wait: look for a wait-for cycle or a hung wait, and report. */
  checkWaits(): number;
  woken(): void;
  /** A fresh lock instance number (the lock's printed address) from the shared buffer. */
  newInstance(): number;
  /** The thread ends: report locks still held, leave the wait-for table. */
  exit(): void;
}

export interface EnableOptions {
  /** The lockdep buffer (createLockdepBuffer() of torture/lockdep) to use for locks created in this thread. Default: a new one, made when the first lock is created. */
  readonly buffer?: SharedArrayBuffer;
  /** This thread's name in reports (15 characters kept). Default `main` or `worker-<threadId>`. */
  readonly name?: string;
  /** Where this thread's reports go. Default: written to standard error at once (fs.writeSync(2)), even from a blocked thread. */
  readonly onReport?: (report: { kind: string; title: string; lines: readonly string[]; text: string }) => void;
  /** Seconds a thread may stay blocked before it is a hung task; 0: never. Default 10. */
  readonly hungTaskTimeoutSecs?: number;
  /** A blocked waiter wakes every this many ms to look for a deadlock. Default 100. */
  readonly waitSliceMs?: number;
}

interface UserApi {
  attachLockdep(buf: SharedArrayBuffer, opts: object): LocksLockdep;
  createLockdepBuffer(): SharedArrayBuffer;
}

/** This thread's state of the switch. */
let api: UserApi | null = null;
let options: EnableOptions = {};
let creationBuffer: SharedArrayBuffer | null = null;
const attached = new Map<SharedArrayBuffer, LocksLockdep>();
const classes = new Map<LocksLockdep, Map<string, LockdepClass>>();

/** The slice a blocked waiter sleeps before it scans for deadlocks (ms). */
export function waitSliceMs(): number {
  return options.waitSliceMs ?? 100;
}

/** Switch lockdep on for this thread (see the file comment); returns the buffer locks created here will carry. */
export async function enableLockdep(opts: EnableOptions = {}): Promise<SharedArrayBuffer> {
  const slice = opts.waitSliceMs ?? 100;
  if (!Number.isInteger(slice) || slice < 1) throw new RangeError(`Cannot enable lockdep as 'waitSliceMs' must be an integer >= 1: current value is ${String(opts.waitSliceMs)}`);
  if (opts.buffer !== undefined && !(opts.buffer instanceof SharedArrayBuffer)) {
    throw new TypeError(`Cannot enable lockdep as 'buffer' must be a SharedArrayBuffer from createLockdepBuffer(): current value is ${typeof opts.buffer}`);
  }
  api = (await import('../lockdep/user_api.js')) as unknown as UserApi;
  options = opts;
  creationBuffer = opts.buffer ?? creationBuffer;
  return lockdepBuffer() as SharedArrayBuffer;
}

/** Inject an attached lockdep for `buffer` (no import): locks carrying `buffer` use `ld` in this thread. */
export function useLockdep(buffer: SharedArrayBuffer, ld: LocksLockdep, opts: Pick<EnableOptions, 'waitSliceMs'> = {}): void {
  attached.set(buffer, ld);
  creationBuffer = buffer;
  options = { ...options, ...opts };
}

/** Switch lockdep off for locks created or attached from now on in this thread. */
export function disableLockdep(): void {
  api = null;
  creationBuffer = null;
  attached.clear();
  classes.clear();
}

/** The buffer a lock created now in this thread carries (null: lockdep off). */
export function lockdepBuffer(): SharedArrayBuffer | null {
  if (creationBuffer === null && api !== null) creationBuffer = api.createLockdepBuffer();
  return creationBuffer;
}

/** This thread's lockdep for a lock carrying `buf` (attached on first use); null when `buf` is null. */
export function lockdepFor(buf: SharedArrayBuffer | null): LocksLockdep | null {
  if (buf === null) return null;
  const have = attached.get(buf);
  if (have !== undefined) return have;
  if (api === null) {
    throw new Error('Cannot attach a lock that carries lockdep as this thread has not switched lockdep on: call `await enableLockdep()` here first, or set TORTURE_LOCKDEP=1');
  }
  const name = options.name ?? (isMainThread ? 'main' : `worker-${threadId}`);
  // continueAfterReport: a potential-deadlock report must not switch off the held-lock lists a
  // real deadlock report shows later (lockdep reports each distinct problem once).
  const ld = api.attachLockdep(buf, { name, continueAfterReport: true, onReport: options.onReport, hungTaskTimeoutSecs: options.hungTaskTimeoutSecs });
  attached.set(buf, ld);
  // A thread that ends holding a lock: lockdep's `still has locks held!`, and its slot leaves the
  // wait-for table, so a thread left waiting for that lock is reported as waiting for no thread.
  process.once('exit', () => ld.exit());
  return ld;
}

/** The class named `name` in `ld` (one per name and thread: locks of one name share a class, as one init site does in the kernel). */
export function classFor(ld: LocksLockdep, name: string, type: 'mutex' | 'rwlock'): LockdepClass {
  let byName = classes.get(ld);
  if (byName === undefined) {
    byName = new Map();
    classes.set(ld, byName);
  }
  let cls = byName.get(name);
  if (cls === undefined) {
    cls = ld.lockClass(name, type);
    byName.set(name, cls);
  }
  return cls;
}

if (process.env['TORTURE_LOCKDEP'] === '1') {
  api = createRequire(import.meta.url)('../lockdep/user_api.js') as UserApi;
}
