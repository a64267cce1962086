/*
 * RwLock: a reader-preferring readers-writer lock on two Int32 words: the state (n > 0: n
 * readers, -1: a writer, 0: free) and a count of sleeping waiters (so that an unlock with no
 * waiter never calls notify). Readers enter while no writer holds the lock, even when writers
 * wait (so a reader may take it again while holding it: recursive reads are safe, as for the
 * kernel's rwlock_t, and lockdep sees reads as recursive); a stream of readers can starve a
 * writer. Waiters sleep on the state word with the value they saw; the last reader out and every
 * writer out wake all sleepers, who re-check (a reader unlock that leaves readers changes the
 * state without a wake-up: a writer sleeping on the old count sleeps on until the last one).
 *
 * Words: [state, waiters, lockdep instance].
 */

import { deadlineOf, futexWait, futexWaitAsync } from './futex.js';
import { checkHandle, LockWords, newHandle, type LockHandle, type LockOptions } from './lock_word.js';
import type { LocksLockdep } from './lockdep_hook.js';

const WORDS = 3;
const STATE = 0;
const WAITERS = 1;
const WRITER = -1;

export class RwLock {
  readonly #w: LockWords;
  readonly #i32: Int32Array;
  readonly #at: number;
  /** The lock's lockdep in this thread (null: off), kept here so the fast paths test one field. */
  readonly #ld: LocksLockdep | null;

  constructor(opts: LockOptions = {}, handle?: LockHandle) {
    this.#w = new LockWords(handle ?? newHandle('rwlock', WORDS, opts), WORDS, 'rwlock');
    this.#i32 = this.#w.i32;
    this.#at = this.#w.at;
    this.#ld = this.#w.ld;
  }

  static from(handle: LockHandle): RwLock {
    return new RwLock({}, checkHandle(handle, 'rwlock', WORDS));
  }

  get handle(): LockHandle {
    return this.#w.handle;
  }

  /** Take it if it can be taken now; returns the state seen when it cannot, or null when taken. Partner of the CAS: the unlocks' Atomics.sub / store. */
  #try(read: boolean): number | null {
    for (;;) {
      const s = Atomics.load(this.#i32, this.#at + STATE);
      if (!(read ? s >= 0 : s === 0)) return s;
      if (Atomics.compareExchange(this.#i32, this.#at + STATE, s, read ? s + 1 : WRITER) === s) return null;
    }
  }

  #annotate(read: boolean, trylock = false): void {
    this.#ld?.acquire(this.#w.cls, { instance: this.#w.inst, read: read ? 'recursive' : false, trylock });
  }

  #sync(read: boolean, timeoutMs: number | undefined): boolean {
    const ld = this.#w.ld;
    this.#annotate(read);
    let s = this.#try(read);
    if (s === null) return true;
    const deadline = deadlineOf(timeoutMs);
    ld?.waitStart(this.#w.cls, this.#w.inst, false);
    let ok = true;
    while (s !== null) {
      // Count ourselves before sleeping; partner: the unlocks' load of WAITERS after their state change.
      Atomics.add(this.#i32, this.#at + WAITERS, 1);
      const r = futexWait(this.#i32, this.#at + STATE, s, deadline, ld);
      Atomics.sub(this.#i32, this.#at + WAITERS, 1);
      s = this.#try(read);
      if (s !== null && r === 'timed-out') {
        ok = false;
        break;
      }
    }
    ld?.woken();
    if (!ok) ld?.release(this.#w.cls, this.#w.inst);
    return ok;
  }

  async #async(read: boolean, timeoutMs: number | undefined): Promise<boolean> {
    // Bad input is refused before lockdep records the acquisition (a rejection after it would leak it).
    const deadline = deadlineOf(timeoutMs);
    const ld = this.#w.ld;
    this.#annotate(read);
    let s = this.#try(read);
    if (s === null) return true;
    ld?.waitStart(this.#w.cls, this.#w.inst, false, true);
    let ok = true;
    while (s !== null) {
      Atomics.add(this.#i32, this.#at + WAITERS, 1);
      const r = await futexWaitAsync(this.#i32, this.#at + STATE, s, deadline, ld);
      Atomics.sub(this.#i32, this.#at + WAITERS, 1);
      s = this.#try(read);
      if (s !== null && r === 'timed-out') {
        ok = false;
        break;
      }
    }
    ld?.woken();
    if (!ok) ld?.release(this.#w.cls, this.#w.inst);
    return ok;
  }

  readLock(timeoutMs?: number): boolean {
    if (timeoutMs !== undefined) deadlineOf(timeoutMs); // bad input is refused even when the lock is free
    // Fast path with lockdep off: one load and one CAS (partner: the unlocks' Atomics.sub / store).
    if (this.#ld === null) {
      const s = Atomics.load(this.#i32, this.#at + STATE);
      if (s >= 0 && Atomics.compareExchange(this.#i32, this.#at + STATE, s, s + 1) === s) return true;
    }
    return this.#sync(true, timeoutMs);
  }

  writeLock(timeoutMs?: number): boolean {
    if (timeoutMs !== undefined) deadlineOf(timeoutMs);
    if (this.#ld === null && Atomics.compareExchange(this.#i32, this.#at + STATE, 0, WRITER) === 0) return true;
    return this.#sync(false, timeoutMs);
  }

  readLockAsync(timeoutMs?: number): Promise<boolean> {
    return this.#async(true, timeoutMs);
  }

  writeLockAsync(timeoutMs?: number): Promise<boolean> {
    return this.#async(false, timeoutMs);
  }

  tryReadLock(): boolean {
    if (this.#try(true) !== null) return false;
    this.#annotate(true, true);
    return true;
  }

  tryWriteLock(): boolean {
    if (this.#try(false) !== null) return false;
    this.#annotate(false, true);
    return true;
  }

  #wake(): void {
    // Partner: the waiters' Atomics.add of WAITERS before they sleep on the state.
    if (Atomics.load(this.#i32, this.#at + WAITERS) > 0) Atomics.notify(this.#i32, this.#at + STATE);
  }

  readUnlock(): void {
    this.#ld?.release(this.#w.cls, this.#w.inst);
    if (Atomics.sub(this.#i32, this.#at + STATE, 1) === 1) this.#wake();
  }

  writeUnlock(): void {
    this.#ld?.release(this.#w.cls, this.#w.inst);
    Atomics.store(this.#i32, this.#at + STATE, 0);
    this.#wake();
  }
}
