import { beforeAll, describe, expect, it } from 'vitest';
import { FAKE_HEAP_BASE, FAKE_SHM_WORDS, installFakeKapi } from './test_support/fake_kapi.js';
import { CTX_ACQUIRED, CTX_IS_WAIT_DIE, CTX_STAMP, CTX_WOUNDED, CTX_WORDS } from './ww_acquire.js';
import {
  EDEADLK,
  WW_CTX,
  WW_LIST,
  WW_NR_WAITERS,
  WW_OWNER,
  WW_WORDS,
  __mutex_add_waiter,
  __ww_mutex_add_waiter,
  __ww_mutex_check_kill,
  __ww_mutex_check_waiters,
  __ww_waiter_remove,
  type WakeQ,
} from './ww_mutex_waiters.js';

/*
 * The wound/wait rules over one lock's wait list, on plain shared memory (one thread, the fake
 * kapi): contexts by stamp, who queues where, who dies, who is wounded. Contexts are lines at
 * CTX_BASE + k * CTX_WORDS; pids are 100 + k.
 */

const i32 = new Int32Array(new SharedArrayBuffer(FAKE_SHM_WORDS * 4));
const LOCK = FAKE_HEAP_BASE;
const CTX_BASE = LOCK + WW_WORDS;

beforeAll(() => {
  installFakeKapi(i32, 0, 1);
});

function reset(): void {
  i32.fill(0, LOCK, CTX_BASE + 16 * CTX_WORDS);
  // Held by someone (owner bits set), as when anybody queues.
  Atomics.store(i32, LOCK + WW_OWNER, 1 << 29);
}

/** Context k with `stamp`, holding `acquired` locks, of a wait-die (default) or wound-wait class. */
function ctx(k: number, stamp: number, acquired: number, waitDie = true): number {
  const c = CTX_BASE + k * CTX_WORDS;
  Atomics.store(i32, c + CTX_STAMP, stamp);
  Atomics.store(i32, c + CTX_ACQUIRED, acquired);
  Atomics.store(i32, c + CTX_IS_WAIT_DIE, waitDie ? 1 : 0);
  Atomics.store(i32, c + CTX_WOUNDED, 0);
  return c;
}

/** The list as pids. */
function list(): number[] {
  const n = Atomics.load(i32, LOCK + WW_NR_WAITERS);
  return Array.from({ length: n }, (_, i) => Atomics.load(i32, LOCK + WW_LIST + 2 * i));
}

const refOf = (c: number): number => c + 1;

describe('ww_mutex wait list (kernel/locking/ww_mutex.h rules)', () => {
  it('queues context waiters by stamp, oldest first, and keeps context-less waiters where they came (FIFO)', () => {
    reset();
    const q: WakeQ = [];
    // Nobody holds other locks: nobody dies, whatever the order.
    expect(__ww_mutex_add_waiter(i32, LOCK, 105, ctx(5, 50, 0), q)).toBe(0);
    __mutex_add_waiter(i32, LOCK, 200);
    expect(__ww_mutex_add_waiter(i32, LOCK, 103, ctx(3, 30, 0), q)).toBe(0);
    expect(__ww_mutex_add_waiter(i32, LOCK, 107, ctx(7, 70, 0), q)).toBe(0);
    expect(__ww_mutex_add_waiter(i32, LOCK, 104, ctx(4, 40, 0), q)).toBe(0);
    expect(list()).toEqual([103, 104, 105, 200, 107]);
    expect(q).toEqual([]);
    expect(__ww_waiter_remove(i32, LOCK, 105)).toBe(4);
    expect(list()).toEqual([103, 104, 200, 107]);
  });

  it('wait-die: a younger context holding locks dies at once behind an older waiter; an older one wakes the younger lock holders it passes', () => {
    reset();
    const q: WakeQ = [];
    const old = ctx(1, 10, 1);
    const young = ctx(2, 20, 1);
    expect(__ww_mutex_add_waiter(i32, LOCK, 101, old, q)).toBe(0);
    expect(__ww_mutex_add_waiter(i32, LOCK, 102, young, q)).toBe(-EDEADLK);
    expect(list()).toEqual([101]);
    // A younger one holding nothing may wait (it can block nobody).
    expect(__ww_mutex_add_waiter(i32, LOCK, 103, ctx(3, 30, 0), q)).toBe(0);
    reset();
    const younger = ctx(4, 40, 2);
    const older = ctx(1, 10, 1);
    expect(__ww_mutex_add_waiter(i32, LOCK, 104, younger, q)).toBe(0);
    expect(__ww_mutex_add_waiter(i32, LOCK, 101, older, q)).toBe(0);
    expect(list()).toEqual([101, 104]);
    expect(q).toEqual([refOf(younger)]);
  });

  it('wait-die __ww_mutex_check_kill(): dies behind an older holder or an older waiter ahead, only while holding locks', () => {
    reset();
    const holder = ctx(1, 10, 1);
    Atomics.store(i32, LOCK + WW_CTX, refOf(holder));
    const q: WakeQ = [];
    const young = ctx(2, 20, 0);
    expect(__ww_mutex_add_waiter(i32, LOCK, 102, young, q)).toBe(0);
    expect(__ww_mutex_check_kill(i32, LOCK, 102, young)).toBe(0);
    Atomics.store(i32, young + CTX_ACQUIRED, 1);
    expect(__ww_mutex_check_kill(i32, LOCK, 102, young)).toBe(-EDEADLK);
    // Older than the holder: waits.
    const oldest = ctx(3, 5, 1);
    Atomics.store(i32, young + CTX_ACQUIRED, 0);
    expect(__ww_mutex_add_waiter(i32, LOCK, 103, oldest, q)).toBe(0);
    expect(list()).toEqual([103, 102]);
    expect(__ww_mutex_check_kill(i32, LOCK, 103, oldest)).toBe(0);
  });

  it('wound-wait: an older waiter holding locks wounds a younger holder (woken); the wounded dies at its next check only', () => {
    reset();
    const holder = ctx(1, 20, 1, false);
    Atomics.store(i32, LOCK + WW_CTX, refOf(holder));
    const q: WakeQ = [];
    const old = ctx(2, 10, 1, false);
    expect(__ww_mutex_add_waiter(i32, LOCK, 102, old, q)).toBe(0);
    expect(Atomics.load(i32, holder + CTX_WOUNDED)).toBe(1);
    expect(q).toEqual([refOf(holder)]);
    // The waiter itself is not wounded and waits; the holder backs off when it next waits.
    expect(__ww_mutex_check_kill(i32, LOCK, 102, old)).toBe(0);
    expect(__ww_mutex_check_kill(i32, LOCK, 101, holder)).toBe(-EDEADLK);
    // A younger waiter wounds nobody and waits behind the older one.
    const young = ctx(3, 30, 1, false);
    expect(__ww_mutex_add_waiter(i32, LOCK, 103, young, q)).toBe(0);
    expect(list()).toEqual([102, 103]);
    expect(Atomics.load(i32, young + CTX_WOUNDED)).toBe(0);
  });

  it('__ww_mutex_check_waiters(): a young context that took the lock past older waiters is wounded by the first (wound-wait) or wakes the younger ones to die (wait-die)', () => {
    reset();
    const q: WakeQ = [];
    const waiter = ctx(1, 10, 1, false);
    __ww_mutex_add_waiter(i32, LOCK, 101, waiter, q);
    const taker = ctx(2, 20, 1, false);
    __ww_mutex_check_waiters(i32, LOCK, taker, q);
    expect(Atomics.load(i32, taker + CTX_WOUNDED)).toBe(1);
    reset();
    q.length = 0;
    const youngWaiter = ctx(3, 30, 1);
    __ww_mutex_add_waiter(i32, LOCK, 103, youngWaiter, q);
    __ww_mutex_check_waiters(i32, LOCK, ctx(4, 25, 1), q);
    expect(q).toEqual([refOf(youngWaiter)]);
  });

  it('compares stamps modulo 2^32, as the kernel compares them modulo 2^64', () => {
    reset();
    const q: WakeQ = [];
    const beforeWrap = ctx(1, 0x7fffffff, 1);
    const afterWrap = ctx(2, -0x80000000, 1);
    expect(__ww_mutex_add_waiter(i32, LOCK, 101, beforeWrap, q)).toBe(0);
    // The stamp after the wrap is the younger: it dies.
    expect(__ww_mutex_add_waiter(i32, LOCK, 102, afterWrap, q)).toBe(-EDEADLK);
  });
});
