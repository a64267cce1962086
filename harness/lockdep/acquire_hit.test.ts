import { describe, expect, it } from 'vitest';
import { LOCK_TYPE_PROPS, type LockClassKey, type LockdepMap, type LockType } from '../kapi.js';
import { lockdepInit, regionWords } from './index.js';
import { SimEnv, SimTask } from './sim_env.js';
import type { LockdepLimits } from './types.js';

/*
 * The fast path (acquire_hit.ts) skips validation on a repeat: these tests take each lock many
 * times first, so that the repeat memo and the chain-cache probe are what sees the acquisition
 * that matters, and check that what changed (the chain below, the irq state, the depth) still
 * gets validated and reported.
 */

const LIMITS: LockdepLimits = { MAX_LOCKDEP_KEYS: 64, MAX_LOCKDEP_ENTRIES: 256, MAX_LOCKDEP_CHAINS: 256, MAX_STACK_TRACE_ENTRIES: 8192, ARENA_WORDS: 1 << 16 };
const REPEATS = 50;

function setup() {
  const i32 = new Int32Array(new SharedArrayBuffer(regionWords(LIMITS) * 4 + 256));
  const env = new SimEnv(new SimTask(100, 'task-a'));
  // Stack captures (no tokens): the strategy guests use, the one with the fast path.
  env.captureStack = () => ['t (acquire_hit.test.ts:1)'];
  const ld = lockdepInit(i32, 16, env, { resetRegion: true, limits: LIMITS, waitContext: true });
  let addr = 0;
  const lock = (name: string, type: LockType = 'mutex'): LockdepMap => {
    const key: LockClassKey = { name, ordinal: 0, type, waitType: LOCK_TYPE_PROPS[type].waitType };
    addr += 64;
    return { key, addr, name };
  };
  const nested = (outer: LockdepMap, inner: LockdepMap): void => {
    ld.acquire(outer, 0, false, 0, null);
    ld.acquire(inner, 0, false, 0, null);
    ld.release(inner);
    ld.release(outer);
  };
  return { env, ld, lock, nested };
}

describe('lockdep fast path (repeat memo and chain-cache probe)', () => {
  it('validates a repeated lock again when the chain below it changed, and finds the cycle', () => {
    const { env, ld, lock, nested } = setup();
    const A = lock('lock_a');
    const B = lock('lock_b');
    const C = lock('lock_c');
    for (let i = 0; i < REPEATS; i++) nested(A, B);
    const before = ld.validations;
    for (let i = 0; i < REPEATS; i++) nested(A, B);
    // Every repeat was a hit: no validation, no report.
    expect(ld.validations).toBe(before);
    expect(env.bugs).toEqual([]);
    // B in slot 1 again, under C this time: a new chain, so C -> B is recorded...
    nested(C, B);
    expect(ld.validations).toBeGreaterThan(before);
    // ...and B -> C closes the cycle.
    nested(B, C);
    expect(env.bugs.map((b) => b.kind)).toEqual(['circular']);
    expect(env.lines.join('\n')).toContain('WARNING: possible circular locking dependency detected');
  });

  it('marks a new usage bit for a repeated lock taken in a new irq state, and reports the inversion', () => {
    const { env, ld, lock } = setup();
    const L = lock('lock_l', 'spinlock');
    for (let i = 0; i < REPEATS; i++) {
      ld.acquire(L, 0, false, 0, null);
      ld.release(L);
    }
    expect(env.bugs).toEqual([]);
    // The same lock, same slot, same (empty) chain below: only the irq state differs.
    env.irq.hardirq = true;
    env.irq.irqsDisabled = true;
    ld.acquire(L, 0, false, 0, null);
    ld.release(L);
    expect(env.bugs.map((b) => b.kind)).toEqual(['inconsistent']);
    expect(env.lines.join('\n')).toContain('WARNING: inconsistent lock state');
  });

  it('checks the wait context of a repeated lock taken in a new irq context', () => {
    const { env, ld, lock } = setup();
    const M = lock('mutex_m', 'mutex');
    for (let i = 0; i < REPEATS; i++) {
      ld.acquire(M, 0, false, 0, null);
      ld.release(M);
    }
    env.irq.softirq = true;
    ld.acquire(M, 0, false, 0, null);
    expect(env.bugs.map((b) => b.kind)).toEqual(['invalid_wait_context']);
  });

  it('keeps each task its own: a repeat by one task is validated for another', () => {
    const { env, lock, nested } = setup();
    const A = lock('lock_a');
    const B = lock('lock_b');
    for (let i = 0; i < REPEATS; i++) nested(A, B);
    env.task = new SimTask(101, 'task-b');
    for (let i = 0; i < REPEATS; i++) nested(A, B);
    // task-b's held locks are its own (the memo is per task): releasing in order stays clean.
    expect(env.bugs).toEqual([]);
    nested(B, A);
    expect(env.bugs.map((b) => b.kind)).toEqual(['circular']);
    expect(env.lines.join('\n')).toContain('task-b/101 is trying to acquire lock:');
  });

  it('a lock taken again while held, after many clean repeats, is recursive locking', () => {
    const { env, ld, lock, nested } = setup();
    const A = lock('lock_a');
    const B = lock('lock_b');
    for (let i = 0; i < REPEATS; i++) nested(A, B);
    ld.acquire(A, 0, false, 0, null);
    ld.acquire(A, 0, false, 0, null);
    expect(env.bugs.map((b) => b.kind)).toEqual(['recursive']);
    expect(env.lines.join('\n')).toContain('WARNING: possible recursive locking detected');
  });

  it('a repeated acquisition is held as any other: freeing its memory is the held-lock-freed report', () => {
    const { env, ld, lock, nested } = setup();
    const A = lock('lock_a');
    const B = lock('lock_b');
    for (let i = 0; i < REPEATS; i++) nested(A, B);
    const before = ld.validations;
    ld.acquire(A, 0, false, 0, null);
    ld.acquire(B, 0, false, 0, null);
    expect(ld.validations).toBe(before); // both were hits
    ld.checkNoLocksFreed(B.addr, 64);
    expect(env.bugs.map((b) => b.kind)).toEqual(['held_lock_freed']);
  });

  it('a slot emptied by an out-of-order release is filled again before its memo is trusted', () => {
    const { env, ld, lock, nested } = setup();
    const A = lock('lock_a');
    const B = lock('lock_b');
    for (let i = 0; i < REPEATS; i++) nested(A, B);
    // A released under B: reacquire_held_locks() moves B to slot 0 and empties slot 1, whose memo
    // (B under A) a hit takes as still holding B.
    ld.acquire(A, 0, false, 0, null);
    ld.acquire(B, 0, false, 0, null);
    ld.release(A);
    ld.release(B);
    ld.acquire(A, 0, false, 0, null);
    ld.acquire(B, 0, false, 0, null);
    expect(ld.isHeld(B)).toBe(true);
    ld.release(B);
    ld.release(A);
    expect(env.bugs).toEqual([]);
  });

  it('lock_sync() of a map taken and released many times: clean alone, recursive inside its own read', () => {
    const { env, ld, lock } = setup();
    const S = lock('srcu_s', 'rwsem');
    for (let i = 0; i < REPEATS; i++) {
      ld.acquire(S, 0, false, 0, null);
      ld.release(S);
    }
    // The same map at the same depth on the same (empty) chain: the memo would match an acquire.
    ld.sync(S);
    expect(env.bugs).toEqual([]);
    ld.acquire(S, 0, false, 2, null);
    ld.sync(S);
    expect(env.bugs.map((b) => b.kind)).toEqual(['recursive']);
  });
});
