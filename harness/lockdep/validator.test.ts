import { describe, expect, it } from 'vitest';
import { LOCK_TYPE_PROPS, type LockClassKey, type LockdepMap, type LockType } from '../kapi.js';
import { lockdepInit, regionWords } from './index.js';
import { H_GRAPH_LOCK } from './layout.js';
import { SimEnv, SimTask } from './sim_env.js';
import type { LockdepLimits } from './types.js';

const SMALL: LockdepLimits = { MAX_LOCKDEP_KEYS: 64, MAX_LOCKDEP_ENTRIES: 256, MAX_LOCKDEP_CHAINS: 256, MAX_STACK_TRACE_ENTRIES: 8192, ARENA_WORDS: 1 << 16 };

function setup(limits: LockdepLimits = SMALL, continueAfterReport = false, captureStack?: () => string[]) {
  const i32 = new Int32Array(new SharedArrayBuffer(regionWords(limits) * 4 + 256));
  const env = new SimEnv(new SimTask(100, 'task-a'));
  env.captureStack = captureStack;
  const ld = lockdepInit(i32, 16, env, { resetRegion: true, limits, continueAfterReport });
  let addr = 0;
  const lock = (name: string, type: LockType = 'mutex', ordinal = 0): LockdepMap => {
    const key: LockClassKey = { name, ordinal, type, waitType: LOCK_TYPE_PROPS[type].waitType };
    addr += 64;
    return { key, addr, name };
  };
  return { i32, env, ld, lock };
}

describe('lockdep validator (one thread)', () => {
  it('reports AB-BA as a circular dependency with both stacks', () => {
    const { env, ld, lock } = setup();
    const A = lock('lock_a');
    const B = lock('lock_b');
    ld.acquire(A, 0, false, 0, null);
    ld.acquire(B, 0, false, 0, null);
    ld.release(B);
    ld.release(A);
    env.task = new SimTask(101, 'task-b');
    ld.acquire(B, 0, false, 0, null);
    ld.acquire(A, 0, false, 0, null);
    expect(env.bugs.map((b) => b.kind)).toEqual(['circular']);
    const text = env.lines.join('\n');
    expect(text).toContain('WARNING: possible circular locking dependency detected');
    expect(text).toContain('task-b/101 is trying to acquire lock:');
    expect(text).toContain('-> #1 (lock_b){+.+.}-{3:3}:');
    expect(text).toContain('-> #0 (lock_a){+.+.}-{3:3}:');
    expect(ld.enabled).toBe(false);
  });

  it("names each held lock's own acquisition site, not that of the task that validated the chain first", () => {
    // Guests capture stacks (no stack tokens): the site is captured when the task takes the chain.
    let site = '';
    const { env, ld, lock } = setup(SMALL, false, () => [site]);
    const A = lock('a');
    const B = lock('b');
    const take = (m: LockdepMap, at: string): void => {
      site = at;
      ld.acquire(m, 0, false, 0, null);
    };
    take(A, 'first_task_a (t.ts:1)');
    take(B, 'first_task_b (t.ts:2)');
    ld.release(B);
    ld.release(A);
    env.task = new SimTask(101, 'task-b');
    take(A, 'second_task_a (t.ts:3)');
    take(B, 'second_task_b (t.ts:4)');
    take(A, 'second_task_again (t.ts:5)');
    expect(env.bugs.map((b) => b.kind)).toEqual(['recursive']);
    const text = env.lines.join('\n');
    expect(text).toContain('(a){+.+.}-{3:3}, at: second_task_a (t.ts:3)');
    expect(text).toContain('(b){+.+.}-{3:3}, at: second_task_b (t.ts:4)');
    expect(text).toContain('(a){+.+.}-{3:3}, at: second_task_again (t.ts:5)');
    expect(text).not.toContain('first_task');
  });

  it('stays quiet for consistent orders and counts one validation per chain', () => {
    const { env, ld, lock } = setup();
    const A = lock('a');
    const B = lock('b');
    const C = lock('c');
    for (let i = 0; i < 100; i++) {
      ld.acquire(A, 0, false, 0, null);
      ld.acquire(B, 0, false, 0, null);
      ld.acquire(C, 0, false, 0, null);
      ld.release(C);
      ld.release(B);
      ld.release(A);
    }
    expect(env.bugs).toEqual([]);
    expect(ld.validations).toBe(3);
    ld.acquire(A, 0, false, 0, null);
    ld.acquire(C, 0, false, 0, null);
    ld.release(C);
    ld.release(A);
    expect(ld.validations).toBe(4);
    expect(env.bugs).toEqual([]);
  });

  it('reports recursive locking (AA) and allows rwlock recursive read', () => {
    const { env, ld, lock } = setup();
    const R = lock('rw', 'rwlock');
    ld.acquire(R, 0, false, 2, null);
    ld.acquire(R, 0, false, 2, null);
    ld.release(R);
    ld.release(R);
    expect(env.bugs).toEqual([]);
    const M = lock('m');
    ld.acquire(M, 0, false, 0, null);
    ld.acquire(M, 0, false, 0, null);
    expect(env.bugs.map((b) => b.kind)).toEqual(['recursive']);
    expect(env.lines.join('\n')).toContain(' May be due to missing lock nesting notation');
  });

  it('reports recursive rwsem read (non-recursive readers)', () => {
    const { env, ld, lock } = setup();
    const S = lock('sem', 'rwsem');
    ld.acquire(S, 0, false, 1, null);
    ld.acquire(S, 0, false, 1, null);
    expect(env.bugs.map((b) => b.kind)).toEqual(['recursive']);
  });

  it('no false positive for rwlock reads recursive in interrupt (read=2 vs write)', () => {
    const { env, ld, lock } = setup();
    const X = lock('x', 'rwlock');
    const Y = lock('y', 'spinlock');
    // task: read_lock(X) -> Y ; other: Y -> read_lock(X) recursive. Reader-reader cannot deadlock.
    ld.acquire(X, 0, false, 2, null);
    ld.acquire(Y, 0, false, 0, null);
    ld.release(Y);
    ld.release(X);
    ld.acquire(Y, 0, false, 0, null);
    ld.acquire(X, 0, false, 2, null);
    ld.release(X);
    ld.release(Y);
    expect(env.bugs).toEqual([]);
  });

  it('trylock adds no dependency on held locks', () => {
    const { env, ld, lock } = setup();
    const A = lock('a');
    const B = lock('b');
    ld.acquire(A, 0, false, 0, null);
    ld.acquire(B, 0, true, 0, null);
    ld.release(B);
    ld.release(A);
    ld.acquire(B, 0, false, 0, null);
    ld.acquire(A, 0, false, 0, null);
    ld.release(A);
    ld.release(B);
    expect(env.bugs).toEqual([]);
  });

  it('reports bad unlock balance and locks held at exit', () => {
    const a = setup();
    a.ld.release(a.lock('never'));
    expect(a.env.bugs.map((b) => b.kind)).toEqual(['unlock_imbalance']);
    expect(a.env.lines).toContain('but there are no more locks to release!');
    const b = setup();
    b.ld.acquire(b.lock('kept'), 0, false, 0, null);
    b.ld.taskExit(b.env.task);
    expect(b.env.bugs.map((x) => x.title)).toEqual(['WARNING: task-a/100 still has locks held!']);
  });

  it('reports inconsistent lock state (softirq-on then in-softirq)', () => {
    const { env, ld, lock } = setup();
    const L = lock('l', 'spinlock');
    ld.acquire(L, 0, false, 0, null);
    ld.release(L);
    env.irq.softirq = true;
    env.irq.bhDisabled = true;
    ld.acquire(L, 0, false, 0, null);
    expect(env.bugs.map((b) => b.kind)).toEqual(['inconsistent']);
    expect(env.lines).toContain('inconsistent {SOFTIRQ-ON-W} -> {IN-SOFTIRQ-W} usage.');
  });

  it('reports HARDIRQ-safe -> HARDIRQ-unsafe order', () => {
    const { env, ld, lock } = setup();
    const S = lock('safe', 'spinlock');
    const U = lock('unsafe', 'spinlock');
    env.irq.hardirq = true;
    env.irq.irqsDisabled = true;
    ld.acquire(S, 0, false, 0, null);
    ld.release(S);
    env.irq.hardirq = false;
    env.irq.irqsDisabled = false;
    ld.acquire(U, 0, false, 0, null);
    ld.release(U);
    env.irq.irqsDisabled = true;
    ld.acquire(S, 0, false, 0, null);
    ld.acquire(U, 0, false, 0, null);
    expect(env.bugs.map((b) => b.title)).toEqual(['WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected']);
  });

  it('prints name#N and name/N', () => {
    const { env, ld, lock } = setup();
    const A = lock('same', 'mutex', 0);
    const A2 = lock('same', 'mutex', 1);
    ld.acquire(A, 0, false, 0, null);
    ld.acquire(A2, 1, false, 0, null);
    ld.acquire(A, 0, false, 0, null);
    expect(env.lines.join('\n')).toContain('(same#2/1)');
  });

  it('continueAfterReport reports each distinct problem once', () => {
    const { env, ld, lock } = setup(SMALL, true);
    const A = lock('a');
    const B = lock('b');
    for (let i = 0; i < 3; i++) {
      ld.acquire(A, 0, false, 0, null);
      ld.acquire(B, 0, false, 0, null);
      ld.release(B);
      ld.release(A);
      ld.acquire(B, 0, false, 0, null);
      ld.acquire(A, 0, false, 0, null);
      ld.release(A);
      ld.release(B);
    }
    const M = lock('m');
    ld.acquire(M, 0, false, 0, null);
    ld.acquire(M, 0, false, 0, null);
    ld.release(M);
    ld.release(M);
    expect(env.bugs.map((b) => b.kind)).toEqual(['circular', 'recursive']);
    expect(ld.enabled).toBe(true);
  });

  it('capacity overflow prints BUG and turns lockdep off', () => {
    const { env, ld, lock } = setup();
    for (let i = 0; i < 65; i++) {
      const m = lock(`k${i}`);
      ld.acquire(m, 0, false, 0, null);
      ld.release(m);
    }
    expect(env.lines).toContain('BUG: MAX_LOCKDEP_KEYS too low!');
    expect(env.lines).toContain('turning off the locking correctness validator.');
    expect(ld.enabled).toBe(false);
    expect(ld.procStats()).toMatch(/ debug_locks: +0$/m);
  });

  it('prints every report after the graph lock is released (circular, inconsistent, irq order, capacity)', () => {
    // lockdep.c prints after graph_unlock(); the word is read at each print and each onReport.
    const seen: number[] = [];
    const watch = (s: ReturnType<typeof setup>): void => {
      s.env.printer = (lines) => {
        seen.push(Atomics.load(s.i32, 16 + H_GRAPH_LOCK));
        s.env.lines.push(...lines);
      };
      const onReport = s.env.onReport.bind(s.env);
      s.env.onReport = (kind, title, finding) => {
        seen.push(Atomics.load(s.i32, 16 + H_GRAPH_LOCK));
        onReport(kind, title, finding);
      };
    };
    const abba = setup();
    watch(abba);
    const A = abba.lock('a');
    const B = abba.lock('b');
    abba.ld.acquire(A, 0, false, 0, null);
    abba.ld.acquire(B, 0, false, 0, null);
    abba.ld.release(B);
    abba.ld.release(A);
    abba.ld.acquire(B, 0, false, 0, null);
    abba.ld.acquire(A, 0, false, 0, null);
    const usage = setup();
    watch(usage);
    const L = usage.lock('l', 'spinlock');
    usage.ld.acquire(L, 0, false, 0, null);
    usage.ld.release(L);
    usage.env.irq.softirq = true;
    usage.env.irq.bhDisabled = true;
    usage.ld.acquire(L, 0, false, 0, null);
    const cap = setup();
    watch(cap);
    for (let i = 0; i < 65; i++) {
      const m = cap.lock(`k${i}`);
      cap.ld.acquire(m, 0, false, 0, null);
      cap.ld.release(m);
    }
    expect([abba, usage, cap].map((s) => s.env.bugs.map((b) => b.kind))).toEqual([['circular'], ['inconsistent'], ['capacity']]);
    expect(seen).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it('procStats has the kernel shape', () => {
    const { ld, lock } = setup();
    const A = lock('a');
    ld.acquire(A, 0, false, 0, null);
    ld.release(A);
    const s = ld.procStats();
    expect(s).toContain(' lock-classes:                            1 [max: 64]');
    expect(s).toContain(' debug_locks:                             1');
  });
  it('nest_lock: many instances of one class under their nest lock; without it, a report', () => {
    const { env, ld, lock } = setup();
    const outer = lock('outer');
    const key = { name: 'inst', ordinal: 0, type: 'mutex' as const, waitType: 4 as const };
    const i1: LockdepMap = { key, addr: 0x1000, name: 'inst' };
    const i2: LockdepMap = { key, addr: 0x1040, name: 'inst' };
    ld.acquire(outer, 0, false, 0, null);
    ld.acquire(i1, 0, false, 0, outer);
    ld.acquire(i2, 0, false, 0, outer);
    ld.release(i2);
    ld.release(i1);
    ld.release(outer);
    expect(env.bugs).toEqual([]);
    ld.acquire(i1, 0, false, 0, outer);
    expect(env.bugs.map((b) => b.title)).toEqual(['WARNING: Nested lock was not taken']);
  });

  it('nest_lock survives a re-add: X, Y1 under X, A, Y2 under X, then A released first (ww_test_spin_nest_lock)', () => {
    const { env, ld, lock } = setup();
    const X = lock('x');
    const A = lock('a');
    const key = { name: 'y', ordinal: 0, type: 'spinlock' as const, waitType: 2 as const };
    const y1: LockdepMap = { key, addr: 0x1000, name: 'y' };
    const y2: LockdepMap = { key, addr: 0x1040, name: 'y' };
    ld.acquire(X, 0, false, 0, null);
    ld.acquire(y1, 0, false, 0, X);
    ld.acquire(A, 0, false, 0, null);
    ld.acquire(y2, 0, false, 0, X);
    // y2 goes back on under X: no recursive locking; it merges into y1's entry, and both release.
    ld.release(A);
    ld.release(y2);
    ld.release(y1);
    ld.release(X);
    expect(env.bugs).toEqual([]);
  });

  it('releasing a lock that is not on top re-adds the locks above it', () => {
    const { env, ld, lock } = setup();
    const A = lock('a');
    const B = lock('b');
    const C = lock('c');
    ld.acquire(A, 0, false, 0, null);
    ld.acquire(B, 0, false, 0, null);
    ld.acquire(C, 0, false, 0, null);
    ld.release(B);
    ld.release(C);
    ld.release(A);
    expect(env.bugs).toEqual([]);
    // A -> C was recorded when C was re-added under A alone: C -> A now closes a cycle.
    ld.acquire(C, 0, false, 0, null);
    ld.acquire(A, 0, false, 0, null);
    expect(env.bugs.map((b) => b.kind)).toEqual(['circular']);
  });

  it('reports a longer cycle with "Chain exists of:"', () => {
    const { env, ld, lock } = setup();
    const [A, B, C] = [lock('a'), lock('b'), lock('c')];
    for (const [x, y] of [[A, B], [B, C]] as const) {
      ld.acquire(x, 0, false, 0, null);
      ld.acquire(y, 0, false, 0, null);
      ld.release(y);
      ld.release(x);
    }
    ld.acquire(C, 0, false, 0, null);
    ld.acquire(A, 0, false, 0, null);
    expect(env.lines).toContain('Chain exists of:');
    expect(env.lines).toContain('  a --> b --> c');
    expect(env.lines).toContain('-> #2 (c){+.+.}-{3:3}:');
  });

  it('suspicious RCU usage prints once per site and leaves lockdep on', () => {
    const { env, ld } = setup();
    ld.rcuSuspicious('kernels/rcu/tree.ts', 12, 'Illegal context switch in RCU read-side critical section');
    ld.rcuSuspicious('kernels/rcu/tree.ts', 12, 'Illegal context switch in RCU read-side critical section');
    expect(env.bugs.map((b) => b.kind)).toEqual(['suspicious_rcu']);
    expect(env.lines).toContain('kernels/rcu/tree.ts:12 Illegal context switch in RCU read-side critical section!');
    expect(ld.enabled).toBe(true);
  });
});
