/*
 * debug_check_no_locks_freed() on the validator alone (the slab's guest test is
 * kernels/mm/slub_debug.test.ts): a held lock inside the freed range is reported once, in
 * print_freed_lock_bug()'s shape, and turns lockdep off; a lock outside it, or released, is not.
 */
import { describe, expect, it } from 'vitest';
import type { LockClassKey, LockdepMap } from '../kapi.js';
import { lockdepInit, regionWords } from './index.js';
import { SimEnv, SimTask } from './sim_env.js';
import type { LockdepLimits } from './types.js';

const SMALL: LockdepLimits = { MAX_LOCKDEP_KEYS: 64, MAX_LOCKDEP_ENTRIES: 256, MAX_LOCKDEP_CHAINS: 256, MAX_STACK_TRACE_ENTRIES: 8192, ARENA_WORDS: 1 << 16 };

function setup() {
  const i32 = new Int32Array(new SharedArrayBuffer(regionWords(SMALL) * 4 + 256));
  const env = new SimEnv(new SimTask(100, 'task-a'));
  const ld = lockdepInit(i32, 16, env, { resetRegion: true, limits: SMALL });
  const lock = (name: string, addr: number): LockdepMap => {
    const key: LockClassKey = { name, ordinal: 0, type: 'spinlock', waitType: 2 };
    return { key, addr, name };
  };
  return { env, ld, lock };
}

describe('held lock freed (freed_locks.ts)', () => {
  it('a held lock in the freed range: the report, once, and lockdep off', () => {
    const { env, ld, lock } = setup();
    const outside = lock('outside_lock', 0x1000);
    const inside = lock('obj_lock', 0x2010);
    ld.acquire(outside, 0, false, 0, null);
    ld.acquire(inside, 0, false, 0, null);
    ld.checkNoLocksFreed(0x3000, 64);
    expect(env.bugs).toEqual([]);
    ld.checkNoLocksFreed(0x2000, 64);
    expect(env.bugs.map((b) => b.kind)).toEqual(['held_lock_freed']);
    const text = env.lines.join('\n');
    expect(text).toMatch(
      /={25}\nWARNING: held lock freed!\n.* Not tainted\n-{25}\ntask-a\/100 is freeing memory ffffffff80002000-ffffffff8000203f, with a lock still held there!\nffffffff80002010 \(obj_lock\)\{\+\.\+\.\}-\{2:2\}, at: .*\n2 locks held by task-a\/100:\n #0: ffffffff80001000 \(outside_lock\).*\n #1: ffffffff80002010 \(obj_lock\).*\n\nstack backtrace:\nCPU: /,
    );
    expect(ld.enabled).toBe(false);
    ld.checkNoLocksFreed(0x2000, 64);
    expect(env.bugs).toHaveLength(1);
  });

  it('a lock released before the free is no report', () => {
    const { env, ld, lock } = setup();
    const inside = lock('obj_lock', 0x2010);
    ld.acquire(inside, 0, false, 0, null);
    ld.release(inside);
    ld.checkNoLocksFreed(0x2000, 64);
    expect(env.bugs).toEqual([]);
    expect(ld.enabled).toBe(true);
  });
});
