/*
 * Semaphore: a counting semaphore on two Int32 words: the count of free permits and a count of
 * sleeping waiters. acquire takes a permit by CAS while the count is positive and otherwise
 * sleeps while it is 0; release adds permits and wakes as many sleepers as it added.
 *
 * lockdep: a permit may be released by another thread than the one that took it, so a semaphore
 * is not in the dependency graph (the kernel's lockdep does not track `struct semaphore` either).
 * Its class names its waits: a thread blocked on it is in the wait-for table as waiting for an
 * event (nobody holds a semaphore), and one blocked past the hung-task timeout is reported.
 *
 * Words: [count, waiters, lockdep instance].
 */

import { deadlineOf, futexWait, futexWaitAsync } from './futex.js';
import { checkHandle, LockWords, newHandle, type LockHandle, type LockOptions } from './lock_word.js';

const WORDS = 3;
const COUNT = 0;
const WAITERS = 1;

export interface SemaphoreOptions extends LockOptions {
  /** Permits at the start. Default 1. */
  readonly permits?: number;
}

export class Semaphore {
  readonly #w: LockWords;
  readonly #i32: Int32Array;
  readonly #at: number;

  constructor(opts: SemaphoreOptions = {}, handle?: LockHandle) {
    const permits = opts.permits ?? 1;
    if (handle === undefined && (!Number.isInteger(permits) || permits < 0 || permits > 0x3fffffff)) {
      throw new RangeError(`Cannot create a semaphore as 'permits' must be an integer from 0 to 1073741823: current value is ${String(opts.permits)}`);
    }
    const h = handle ?? newHandle('semaphore', WORDS, opts);
    this.#w = new LockWords(h, WORDS, 'mutex');
    this.#i32 = this.#w.i32;
    this.#at = this.#w.at;
    if (handle === undefined) Atomics.store(this.#i32, this.#at + COUNT, permits);
  }

  static from(handle: LockHandle): Semaphore {
    return new Semaphore({}, checkHandle(handle, 'semaphore', WORDS));
  }

  get handle(): LockHandle {
    return this.#w.handle;
  }

  /** Permits free now. */
  get permits(): number {
    return Atomics.load(this.#i32, this.#at + COUNT);
  }

  tryAcquire(): boolean {
    // Partner of the CAS: release()'s Atomics.add.
    for (let c = Atomics.load(this.#i32, this.#at + COUNT); c > 0; c = Atomics.load(this.#i32, this.#at + COUNT)) {
      if (Atomics.compareExchange(this.#i32, this.#at + COUNT, c, c - 1) === c) return true;
    }
    return false;
  }

  /** Take a permit, waiting at most timeoutMs (default for ever); false on timeout. */
  acquire(timeoutMs?: number): boolean {
    if (this.tryAcquire()) return true;
    const ld = this.#w.ld;
    const deadline = deadlineOf(timeoutMs);
    ld?.waitStart(this.#w.cls, this.#w.inst, true);
    let ok = true;
    for (;;) {
      // Partner: release()'s load of WAITERS after its Atomics.add of the count.
      Atomics.add(this.#i32, this.#at + WAITERS, 1);
      const r = futexWait(this.#i32, this.#at + COUNT, 0, deadline, ld);
      Atomics.sub(this.#i32, this.#at + WAITERS, 1);
      if (this.tryAcquire()) break;
      if (r === 'timed-out') {
        ok = false;
        break;
      }
    }
    ld?.woken();
    return ok;
  }

  async acquireAsync(timeoutMs?: number): Promise<boolean> {
    if (this.tryAcquire()) return true;
    const ld = this.#w.ld;
    const deadline = deadlineOf(timeoutMs);
    ld?.waitStart(this.#w.cls, this.#w.inst, true);
    let ok = true;
    for (;;) {
      Atomics.add(this.#i32, this.#at + WAITERS, 1);
      const r = await futexWaitAsync(this.#i32, this.#at + COUNT, 0, deadline, ld);
      Atomics.sub(this.#i32, this.#at + WAITERS, 1);
      if (this.tryAcquire()) break;
      if (r === 'timed-out') {
        ok = false;
        break;
      }
    }
    ld?.woken();
    return ok;
  }

  release(permits = 1): void {
    if (!Number.isInteger(permits) || permits < 1) throw new RangeError(`Cannot release a semaphore as 'permits' must be an integer >= 1: current value is ${String(permits)}`);
    Atomics.add(this.#i32, this.#at + COUNT, permits);
    if (Atomics.load(this.#i32, this.#at + WAITERS) > 0) Atomics.notify(this.#i32, this.#at + COUNT, permits);
  }
}
