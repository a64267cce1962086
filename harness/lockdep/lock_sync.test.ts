/*
 * lock_sync() (validator.ts `sync()`, synchronize_srcu()'s srcu_lock_sync()): validated as an
 * exclusive acquisition but never held and marking no irq-enabled usage, as the kernel's
 * hlock->sync: inside a recursive reader of the same map it is `possible recursive locking
 * detected`; a cycle it closes ends its scenario with `sync(`; readers in softirq context and
 * syncs in task context with softirqs on are not an inconsistent lock state.
 */
import { describe, expect, it } from 'vitest';
import { LOCK_TYPE_PROPS, type LockClassKey, type LockdepMap, type LockType } from '../kapi.js';
import { lockdepInit, regionWords } from './index.js';
import { SimEnv, SimTask } from './sim_env.js';
import type { LockdepLimits } from './types.js';

const SMALL: LockdepLimits = { MAX_LOCKDEP_KEYS: 64, MAX_LOCKDEP_ENTRIES: 256, MAX_LOCKDEP_CHAINS: 256, MAX_STACK_TRACE_ENTRIES: 8192, ARENA_WORDS: 1 << 16 };

function setup() {
  const i32 = new Int32Array(new SharedArrayBuffer(regionWords(SMALL) * 4 + 256));
  const env = new SimEnv(new SimTask(100, 'task-a'));
  const ld = lockdepInit(i32, 16, env, { resetRegion: true, limits: SMALL, continueAfterReport: false });
  let addr = 0;
  const lock = (name: string, type: LockType, waitType?: number): LockdepMap => {
    const key = { name, ordinal: 0, type, waitType: waitType ?? LOCK_TYPE_PROPS[type].waitType } as LockClassKey;
    addr += 64;
    return { key, addr, name };
  };
  return { env, ld, lock };
}

describe('lock_sync()', () => {
  it('inside a recursive read of the same map: possible recursive locking detected', () => {
    const { env, ld, lock } = setup();
    const s = lock('srcu0', 'rwsem', 0);
    ld.acquire(s, 0, false, 2, null);
    ld.sync(s);
    expect(env.bugs.map((b) => b.kind)).toEqual(['recursive']);
    expect(env.lines.join('\n')).toContain('WARNING: possible recursive locking detected');
  });

  it('is never held, and a cycle it closes prints sync(...)', () => {
    const { env, ld, lock } = setup();
    const s = lock('srcu0', 'rwsem', 0);
    const m = lock('mut0', 'mutex');
    ld.sync(s);
    expect(ld.isHeld(s)).toBe(false);
    ld.acquire(s, 0, false, 2, null);
    ld.acquire(m, 0, false, 0, null);
    ld.release(m);
    ld.release(s);
    ld.acquire(m, 0, false, 0, null);
    ld.sync(s);
    expect(env.bugs.map((b) => b.kind)).toEqual(['circular']);
    const text = env.lines.join('\n');
    expect(text).toContain('  lock(mut0);\n');
    expect(text).toMatch(/\n {2}sync\(srcu0\);\n/);
  });

  it('marks no irq-enabled usage: softirq readers and task-context syncs are consistent', () => {
    const { env, ld, lock } = setup();
    const s = lock('srcu_ctl', 'rwsem', 0);
    env.irq.softirq = true;
    ld.acquire(s, 0, false, 2, null);
    ld.release(s);
    env.irq.softirq = false;
    ld.sync(s);
    expect(env.bugs).toEqual([]);
    // An exclusive acquisition with softirqs on would be {IN-SOFTIRQ-R} -> {SOFTIRQ-ON-W}.
    ld.acquire(s, 0, false, 0, null);
    expect(env.bugs.map((b) => b.kind)).toEqual(['inconsistent']);
  });
});
