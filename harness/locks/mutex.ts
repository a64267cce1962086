/*
 * Mutex: Ulrich Drepper's futex mutex ("Futexes Are Tricky", 2011, mutex #3), on one Int32 word:
 *   0 unlocked, 1 locked with no waiter, 2 locked and maybe waiters.
 * lock: CAS 0 -> 1; on failure, swap in 2 (announcing a waiter) and sleep while the word is 2,
 * swapping 2 in again after each wake-up, until a swap returns 0 (the lock was free: now ours, in
 * state 2, which may wake a waiter needlessly but never loses one). unlock: subtract 1; if the
 * word was 2, store 0 and wake one waiter. An uncontended lock+unlock is one CAS and one
 * subtraction, and never calls notify.
 *
 * Words: [futex word, lockdep instance]. A timed-out lock leaves the word at 2 (a spare wake-up
 * later, never a lost one). Not recursive; unlock by a thread that does not hold it is not
 * detected (the word has no owner).
 */

import { deadlineOf, futexWait, futexWaitAsync } from './futex.js';
import { checkHandle, LockWords, newHandle, type LockHandle, type LockOptions } from './lock_word.js';
import type { LocksLockdep } from './lockdep_hook.js';

const WORDS = 2;

export class Mutex {
  readonly #w: LockWords;
  readonly #i32: Int32Array;
  readonly #at: number;
  /** The lock's lockdep in this thread (null: off), kept here so the fast paths test one field. */
  readonly #ld: LocksLockdep | null;

  constructor(opts: LockOptions = {}, handle?: LockHandle) {
    this.#w = new LockWords(handle ?? newHandle('mutex', WORDS, opts), WORDS, 'mutex');
    this.#i32 = this.#w.i32;
    this.#at = this.#w.at;
    this.#ld = this.#w.ld;
  }

  /** This mutex in another thread: `Mutex.from(handle)` with the handle posted from here. */
  static from(handle: LockHandle): Mutex {
    return new Mutex({}, checkHandle(handle, 'mutex', WORDS));
  }

  get handle(): LockHandle {
    return this.#w.handle;
  }

  /** Take the lock, waiting at most timeoutMs (default for ever) in Atomics.wait; false on timeout. */
  lock(timeoutMs?: number): boolean {
    if (timeoutMs !== undefined) deadlineOf(timeoutMs); // bad input is refused even when the lock is free
    const ld = this.#ld;
    // Partner of the CAS: unlock()'s Atomics.sub (the release that hands over the critical section).
    if (ld === null) return Atomics.compareExchange(this.#i32, this.#at, 0, 1) === 0 || this.#lockSlow(deadlineOf(timeoutMs));
    ld.acquire(this.#w.cls, { instance: this.#w.inst });
    if (Atomics.compareExchange(this.#i32, this.#at, 0, 1) === 0) return true;
    ld.waitStart(this.#w.cls, this.#w.inst, false);
    const ok = this.#lockSlow(deadlineOf(timeoutMs));
    ld.woken();
    if (!ok) ld.release(this.#w.cls, this.#w.inst);
    return ok;
  }

  #lockSlow(deadline: number): boolean {
    const i32 = this.#i32;
    const at = this.#at;
    // Swap in 2 (a waiter); partner: unlock()'s Atomics.sub, which sees 2 and wakes us.
    let c = Atomics.exchange(i32, at, 2);
    while (c !== 0) {
      if (futexWait(i32, at, 2, deadline, this.#ld) === 'timed-out') return false;
      c = Atomics.exchange(i32, at, 2);
    }
    return true;
  }

  /** lock() for an async function: waits with Atomics.waitAsync, the thread's event loop keeps running. */
  async lockAsync(timeoutMs?: number): Promise<boolean> {
    // Bad input is refused before lockdep records the acquisition (a throw after it would leak it).
    const deadline = deadlineOf(timeoutMs);
    const ld = this.#ld;
    ld?.acquire(this.#w.cls, { instance: this.#w.inst });
    if (Atomics.compareExchange(this.#i32, this.#at, 0, 1) === 0) return true;
    ld?.waitStart(this.#w.cls, this.#w.inst, false, true);
    let c = Atomics.exchange(this.#i32, this.#at, 2);
    let ok = true;
    while (c !== 0) {
      if ((await futexWaitAsync(this.#i32, this.#at, 2, deadline, ld)) === 'timed-out') {
        ok = false;
        break;
      }
      c = Atomics.exchange(this.#i32, this.#at, 2);
    }
    ld?.woken();
    if (!ok) ld?.release(this.#w.cls, this.#w.inst);
    return ok;
  }

  /** Take the lock if it is free; never waits. */
  tryLock(): boolean {
    if (Atomics.compareExchange(this.#i32, this.#at, 0, 1) !== 0) return false;
    this.#ld?.acquire(this.#w.cls, { instance: this.#w.inst, trylock: true });
    return true;
  }

  unlock(): void {
    this.#ld?.release(this.#w.cls, this.#w.inst);
    // Partner: the CAS / exchange of lock(); a 2 means a waiter may sleep: hand the word back as 0 and wake one.
    if (Atomics.sub(this.#i32, this.#at, 1) !== 1) {
      Atomics.store(this.#i32, this.#at, 0);
      Atomics.notify(this.#i32, this.#at, 1);
    }
  }

  /** Run `fn` holding the lock (released on throw too). */
  withLock<T>(fn: () => T): T {
    this.lock();
    try {
      return fn();
    } finally {
      this.unlock();
    }
  }
}
