import { describe, expect, it } from 'vitest';
import { LD_WAIT, type LockdepMap, type LockType, type WaitType } from '../kapi.js';
import { lockdepInit, regionWords } from './index.js';
import { Machine } from './selftest_machine.js';
import { WAIT_CONTEXT_ROWS } from './selftest_wait_context.js';
import { SimEnv, SimTask } from './sim_env.js';
import type { LockdepLimits } from './types.js';

const SMALL: LockdepLimits = { MAX_LOCKDEP_KEYS: 64, MAX_LOCKDEP_ENTRIES: 256, MAX_LOCKDEP_CHAINS: 256, MAX_STACK_TRACE_ENTRIES: 8192, ARENA_WORDS: 1 << 16 };

function setup(waitContext: boolean, rawLockNesting: boolean) {
  const i32 = new Int32Array(new SharedArrayBuffer(regionWords(SMALL) * 4 + 256));
  const env = new SimEnv(new SimTask(7, 'wc_task'));
  env.captureStack = () => ['take_inner (t.ts:9)', 'wc_test (t.ts:20)'];
  const ld = lockdepInit(i32, 16, env, { resetRegion: true, limits: SMALL, waitContext, rawLockNesting });
  let addr = 0;
  const lock = (name: string, type: LockType, waitType: WaitType): LockdepMap => {
    addr += 64;
    return { key: { name, ordinal: 0, type, waitType }, addr, name };
  };
  return { env, ld, lock };
}

describe('check_wait_context()', () => {
  it('spinlock_t inside raw_spinlock_t is `[ BUG: Invalid wait context ]` with PROVE_RAW_LOCK_NESTING, in the kernel shape', () => {
    const { env, ld, lock } = setup(true, true);
    const raw = lock('raw_A', 'spinlock', LD_WAIT.SPIN);
    const spin = lock('spin_B', 'spinlock', LD_WAIT.CONFIG);
    ld.acquire(raw, 0, false, 0, null);
    ld.acquire(spin, 0, false, 0, null);
    expect(env.bugs.map((b) => b.kind)).toEqual(['invalid_wait_context']);
    expect(env.bugs[0]?.title).toBe('[ BUG: Invalid wait context ]');
    expect(env.lines.slice(0, 12)).toEqual([
      '=============================',
      '[ BUG: Invalid wait context ]',
      '0.1.0-torture #1 Not tainted',
      '-----------------------------',
      'wc_task/7 is trying to lock:',
      // check_wait_context() runs before mark_usage(): a class taken for the first time has no usage yet.
      'ffffffff80000080 (spin_B){....}-{3:3}, at: take_inner (t.ts:9)',
      'other info that might help us debug this:',
      'context-{2:2}',
      '1 lock held by wc_task/7:',
      ' #0: ffffffff80000040 (raw_A){+.+.}-{2:2}, at: take_inner (t.ts:9)',
      'stack backtrace:',
      'CPU: 0 PID: 7 Comm: wc_task Not tainted 0.1.0-torture #1',
    ]);
  });

  it('without PROVE_RAW_LOCK_NESTING LD_WAIT_CONFIG is LD_WAIT_SPIN: the same nesting is clean, a mutex inside either is not', () => {
    const a = setup(true, false);
    const raw = a.lock('raw_A', 'spinlock', LD_WAIT.SPIN);
    const spin = a.lock('spin_B', 'spinlock', LD_WAIT.CONFIG);
    const mutex = a.lock('mutex_C', 'mutex', LD_WAIT.SLEEP);
    a.ld.acquire(raw, 0, false, 0, null);
    a.ld.acquire(spin, 0, false, 0, null);
    expect(a.env.bugs).toEqual([]);
    a.ld.acquire(mutex, 0, false, 0, null);
    expect(a.env.bugs.map((b) => b.kind)).toEqual(['invalid_wait_context']);
    // SLEEP prints as 3 and the context as 2, as the kernel numbers them without the option.
    expect(a.env.lines).toContain('context-{2:2}');
    expect(a.env.lines.some((l) => l.includes('(mutex_C){....}-{3:3}, at: '))).toBe(true);
    // A trylock is never checked; nor is anything with the check off (traces, the user API).
    const b = setup(true, true);
    b.ld.acquire(b.lock('raw', 'spinlock', LD_WAIT.SPIN), 0, false, 0, null);
    b.ld.acquire(b.lock('m', 'mutex', LD_WAIT.SLEEP), 0, true, 0, null);
    expect(b.env.bugs).toEqual([]);
    const c = setup(false, true);
    c.ld.acquire(c.lock('raw', 'spinlock', LD_WAIT.SPIN), 0, false, 0, null);
    c.ld.acquire(c.lock('m', 'mutex', LD_WAIT.SLEEP), 0, false, 0, null);
    expect(c.env.bugs).toEqual([]);
  });

  it('rcu_read_lock() may be entered anywhere (outer FREE) but nothing that sleeps inside it (inner CONFIG); a hardirq allows SPIN only', () => {
    const { env, ld, lock } = setup(true, true);
    const rcu = lock('rcu_read_lock', 'rcu', LD_WAIT.CONFIG);
    const raw = lock('raw', 'spinlock', LD_WAIT.SPIN);
    ld.acquire(raw, 0, false, 0, null);
    ld.acquire(rcu, 0, false, 2, null);
    ld.release(rcu);
    ld.release(raw);
    expect(env.bugs).toEqual([]);
    expect(env.lines).toEqual([]);
    env.irq.hardirq = true;
    env.irq.irqsDisabled = true;
    ld.acquire(lock('spin', 'spinlock', LD_WAIT.CONFIG), 0, false, 0, null);
    expect(env.bugs.map((b) => b.kind)).toEqual(['invalid_wait_context']);
    expect(env.lines).toContain('context-{2:2}');
    expect(env.lines).toContain('no locks held by wc_task/7.');
  });

  it("the self-test family's FAILURE cases are caught by the check itself (quiet with it off)", () => {
    let failures = 0;
    for (const r of WAIT_CONTEXT_ROWS) {
      for (const [tc, expected] of r.cases) {
        const on = new Machine(true);
        tc(on);
        expect(on.ld.enabled, r.desc).toBe(expected);
        if (expected) continue;
        failures++;
        const off = new Machine(false);
        tc(off);
        // Without the check only irq-usage rules remain, and none of these breaks one.
        expect(off.ld.enabled, r.desc).toBe(true);
      }
    }
    // mutex in the five limited contexts; spinlock_t and mutex in the three non-preemptible ones.
    expect(failures).toBe(11);
  });
});
