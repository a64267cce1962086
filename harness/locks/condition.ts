/*
 * Condition: a condition variable on a sequence word, used with a Mutex. wait(mutex) reads the
 * sequence, unlocks the mutex, sleeps while the sequence is unchanged, and locks the mutex again;
 * notify/notifyAll bump the sequence and wake one / every sleeper. No lost wake-up: the sequence
 * is read while the mutex is held, so a notify between the unlock and the sleep changes it and
 * Atomics.wait returns at once ('not-equal'). Wake-ups may be spurious (a bump meant for another
 * waiter, a wrap of the sequence after 2^32 notifies): wait in a loop on your predicate, as with
 * every condition variable.
 *
 * lockdep: waiting on a condition is waiting for an event (nobody holds it), so a lost wake-up
 * (a notify that never comes) is a hung task in the wait-for table, with the mutex re-taken
 * after it counted as usual. Words: [sequence, lockdep instance].
 */

import { deadlineOf, futexWait, futexWaitAsync } from './futex.js';
import { checkHandle, LockWords, newHandle, type LockHandle, type LockOptions } from './lock_word.js';
import type { Mutex } from './mutex.js';

const WORDS = 2;

export class Condition {
  readonly #w: LockWords;
  readonly #i32: Int32Array;
  readonly #at: number;

  constructor(opts: LockOptions = {}, handle?: LockHandle) {
    this.#w = new LockWords(handle ?? newHandle('condition', WORDS, opts), WORDS, 'mutex');
    this.#i32 = this.#w.i32;
    this.#at = this.#w.at;
  }

  static from(handle: LockHandle): Condition {
    return new Condition({}, checkHandle(handle, 'condition', WORDS));
  }

  get handle(): LockHandle {
    return this.#w.handle;
  }

  /** Wait for a notify, holding `mutex` before and after; false when timeoutMs passed first (the mutex is held again either way). */
  wait(mutex: Mutex, timeoutMs?: number): boolean {
    const deadline = deadlineOf(timeoutMs);
    // Read under the mutex; partner: notify()'s Atomics.add (a notify after this read changes the word).
    const seq = Atomics.load(this.#i32, this.#at);
    mutex.unlock();
    const ld = this.#w.ld;
    ld?.waitStart(this.#w.cls, this.#w.inst, true);
    const r = futexWait(this.#i32, this.#at, seq, deadline, ld);
    ld?.woken();
    mutex.lock();
    return r !== 'timed-out';
  }

  /** wait() with Atomics.waitAsync and the mutex's lockAsync(). */
  async waitAsync(mutex: Mutex, timeoutMs?: number): Promise<boolean> {
    const deadline = deadlineOf(timeoutMs);
    const seq = Atomics.load(this.#i32, this.#at);
    mutex.unlock();
    const ld = this.#w.ld;
    ld?.waitStart(this.#w.cls, this.#w.inst, true);
    const r = await futexWaitAsync(this.#i32, this.#at, seq, deadline, ld);
    ld?.woken();
    await mutex.lockAsync();
    return r !== 'timed-out';
  }

  notify(count = 1): void {
    Atomics.add(this.#i32, this.#at, 1);
    Atomics.notify(this.#i32, this.#at, count);
  }

  notifyAll(): void {
    Atomics.add(this.#i32, this.#at, 1);
    Atomics.notify(this.#i32, this.#at);
  }
}
