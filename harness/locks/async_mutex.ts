/*
 * lockdep for async-mutex: `withLockdep(new Mutex(), { name })` returns an async-mutex
 * MutexInterface that annotates every acquire and release with a lockdep class, so an AB-BA
 * order between two async-mutexes (or between one and a Mutex of this folder) is reported as
 * lockdep reports it. async-mutex is imported for its types only (erased): the adapter works on
 * any object with its interface, and a program that does not use it does not load it.
 *
 * An async-mutex lives in one thread; its lockdep task is that thread: async functions that
 * interleave in one thread share its held-lock list (as every lock taken with await here does), so
 * hold async-mutexes across awaits only in one async flow at a time when lockdep is on, or the
 * orders it records mix the flows. With lockdep off, the wrapped mutex is returned unchanged.
 */

import type { MutexInterface } from 'async-mutex';
import { classFor, lockdepBuffer, lockdepFor, type LockdepClass, type LocksLockdep } from './lockdep_hook.js';

export interface AsyncMutexLockdepOptions {
  /** The lockdep class name. Default `async_mutex`. */
  readonly name?: string;
}

class LockdepAsyncMutex implements MutexInterface {
  readonly #inner: MutexInterface;
  readonly #ld: LocksLockdep;
  readonly #cls: LockdepClass;
  readonly #inst: number;

  constructor(inner: MutexInterface, ld: LocksLockdep, name: string) {
    this.#inner = inner;
    this.#ld = ld;
    this.#cls = classFor(ld, name, 'mutex');
    this.#inst = ld.newInstance();
  }

  async acquire(priority?: number): Promise<MutexInterface.Releaser> {
    this.#ld.acquire(this.#cls, { instance: this.#inst });
    let release: MutexInterface.Releaser;
    try {
      release = await this.#inner.acquire(priority);
    } catch (e) {
      this.#ld.release(this.#cls, this.#inst); // cancelled (E_CANCELED) or timed out: never held
      throw e;
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      this.#ld.release(this.#cls, this.#inst);
      release();
    };
  }

  async runExclusive<T>(callback: MutexInterface.Worker<T>, priority?: number): Promise<T> {
    const release = await this.acquire(priority);
    try {
      return await callback();
    } finally {
      release();
    }
  }

  waitForUnlock(priority?: number): Promise<void> {
    return this.#inner.waitForUnlock(priority);
  }

  isLocked(): boolean {
    return this.#inner.isLocked();
  }

  release(): void {
    if (this.#inner.isLocked()) this.#ld.release(this.#cls, this.#inst);
    this.#inner.release();
  }

  cancel(): void {
    this.#inner.cancel();
  }
}

/** `mutex` with a lockdep class when lockdep is on in this thread; `mutex` itself when it is off. */
export function withLockdep(mutex: MutexInterface, opts: AsyncMutexLockdepOptions = {}): MutexInterface {
  const name = opts.name ?? 'async_mutex';
  if (typeof name !== 'string' || name === '') throw new TypeError(`Cannot give an async-mutex a lockdep class as 'name' must be a non-empty string: current value is ${JSON.stringify(name)}`);
  const ld = lockdepFor(lockdepBuffer());
  return ld === null ? mutex : new LockdepAsyncMutex(mutex, ld, name);
}
