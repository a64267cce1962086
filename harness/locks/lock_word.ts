/*
 * What every lock of this folder is made of: Int32 words in a SharedArrayBuffer (its own, or a
 * slice of the caller's), a name (its lockdep class), and a handle that crosses to other threads
 * (postMessage / workerData copy plain objects; the SharedArrayBuffers in it are shared, not
 * copied). Word 0 of every lock is its futex word; the last word is its lockdep instance number
 * (0 until lockdep first sees it), so a lock keeps one printed address in every thread.
 */

import { classFor, lockdepBuffer, lockdepFor, type LockdepClass, type LocksLockdep } from './lockdep_hook.js';

export type LockKind = 'mutex' | 'rwlock' | 'semaphore' | 'condition';

/** A lock as it crosses threads: pass it in workerData or a message, rebuild it with `X.from(handle)`. */
export interface LockHandle {
  readonly kind: LockKind;
  readonly buffer: SharedArrayBuffer;
  /** Index of the lock's first Int32 word in `buffer`. */
  readonly index: number;
  readonly name: string;
  /** The lockdep buffer the lock is validated against; null: lockdep off for this lock. */
  readonly lockdep: SharedArrayBuffer | null;
}

/** Where a new lock lives and what it is called. */
export interface LockOptions {
  /** The lockdep class name; locks of one name share a class. Default the kind (`mutex`, ...). */
  readonly name?: string;
  /** Put the lock in this buffer at Int32 index `index` (its words must be zero) instead of a buffer of its own. */
  readonly buffer?: SharedArrayBuffer;
  readonly index?: number;
}

/** The lock's words and its lockdep (class and instance), as one thread sees them. */
export class LockWords {
  readonly handle: LockHandle;
  readonly i32: Int32Array;
  readonly at: number;
  readonly ld: LocksLockdep | null;
  readonly cls: LockdepClass;
  readonly inst: number;

  constructor(handle: LockHandle, words: number, type: 'mutex' | 'rwlock') {
    this.handle = handle;
    this.i32 = new Int32Array(handle.buffer);
    this.at = handle.index;
    this.ld = lockdepFor(handle.lockdep);
    if (this.ld === null) {
      this.cls = {};
      this.inst = 0;
      return;
    }
    this.cls = classFor(this.ld, handle.name, type);
    // The instance number: the first thread to see the lock with lockdep on takes one (CAS 0 ->
    // n); partner: this same CAS / load in every other thread.
    const w = this.at + words - 1;
    const fresh = this.ld.newInstance();
    const old = Atomics.compareExchange(this.i32, w, 0, fresh);
    this.inst = old === 0 ? fresh : old;
  }
}

/** A handle for a new lock of `words` Int32 words (checked options, zeroed memory). */
export function newHandle(kind: LockKind, words: number, opts: LockOptions = {}): LockHandle {
  const name = opts.name ?? kind;
  if (typeof name !== 'string' || name === '') throw new TypeError(`Cannot create a ${kind} as 'name' must be a non-empty string: current value is ${JSON.stringify(name)}`);
  let buffer = opts.buffer;
  let index = opts.index ?? 0;
  if (buffer === undefined) buffer = new SharedArrayBuffer(words * 4);
  else if (!(buffer instanceof SharedArrayBuffer)) throw new TypeError(`Cannot create a ${kind} as 'buffer' must be a SharedArrayBuffer: current value is ${typeof buffer}`);
  if (!Number.isInteger(index) || index < 0 || (index + words) * 4 > buffer.byteLength) {
    throw new RangeError(`Cannot create a ${kind} as 'index' must be an integer from 0 to ${buffer.byteLength / 4 - words} (the lock takes ${words} Int32 words of the buffer): current value is ${String(opts.index)}`);
  }
  index = Math.trunc(index);
  return { kind, buffer, index, name, lockdep: lockdepBuffer() };
}

/** Check a handle received from another thread. */
export function checkHandle(h: LockHandle, kind: LockKind, words: number): LockHandle {
  if (typeof h !== 'object' || h === null || h.kind !== kind || !(h.buffer instanceof SharedArrayBuffer) || !Number.isInteger(h.index) || (h.index + words) * 4 > h.buffer.byteLength) {
    throw new TypeError(`Cannot attach a ${kind} as 'handle' must be the \`handle\` of a ${kind} (kind, buffer, index, name, lockdep): current value is ${typeof h === 'object' && h !== null ? `a ${String((h as { kind?: unknown }).kind)} handle` : typeof h}`);
  }
  return h;
}
