import { describe, expect, it } from 'vitest';
import { EDEADLK, MAX_PRIO, may_take_rt_mutex, rt_mutex_adjust_pi, rt_mutex_adjust_prio, rt_mutex_adjust_prio_chain, rt_mutex_top_waiter, type PiState } from './rtmutex_chain.js';

/** The PI state on plain maps: locks own by pid, waiters in blocking order, normal and inherited prios. */
class MapPi implements PiState {
  readonly owners = new Map<number, number>();
  readonly waitList = new Map<number, number[]>();
  readonly normal = new Map<number, number>();
  readonly pi = new Map<number, number>();
  owner = (lock: number): number => this.owners.get(lock) ?? 0;
  waiters = (lock: number): readonly number[] => this.waitList.get(lock) ?? [];
  blockedOn(pid: number): number {
    for (const [lock, ws] of this.waitList) if (ws.includes(pid)) return lock;
    return -1;
  }
  ownedWithWaiters = (pid: number): number[] => [...this.owners].filter(([l, o]) => o === pid && this.waiters(l).length > 0).map(([l]) => l);
  prio = (pid: number): number => Math.min(this.normal.get(pid) ?? 120, this.pi.get(pid) ?? MAX_PRIO);
  setPiPrio = (pid: number, prio: number): void => {
    this.pi.set(pid, prio);
  };
  task(pid: number, prio: number): this {
    this.normal.set(pid, prio);
    return this;
  }
  own(lock: number, pid: number): this {
    this.owners.set(lock, pid);
    return this;
  }
  /** task_blocks_on_rt_mutex(): enqueue, then walk from the owner as rt_mutex_slowlock() does. */
  block(pid: number, lock: number, detect = true, depth = 1024, broken = false) {
    this.waitList.set(lock, [...this.waiters(lock), pid]);
    return rt_mutex_adjust_prio_chain(this, this.owner(lock), lock, pid, detect, depth, broken);
  }
}

const L1 = 1;
const L2 = 2;
const L3 = 3;

describe('rt_mutex priority inheritance (the algorithm, in-process)', () => {
  it('the top waiter is the best prio, FIFO among equals', () => {
    const s = new MapPi().task(11, 120).task(12, 49).task(13, 49).own(L1, 10);
    s.waitList.set(L1, [11, 12, 13]);
    expect(rt_mutex_top_waiter(s, L1)).toBe(12);
    s.task(13, 10);
    expect(rt_mutex_top_waiter(s, L1)).toBe(13);
    expect(rt_mutex_top_waiter(s, L2)).toBe(0);
  });

  it('a SCHED_FIFO waiter boosts a SCHED_NORMAL owner, and the boost goes when the lock does', () => {
    const s = new MapPi().task(10, 120).task(20, 49).own(L1, 10);
    expect(s.block(20, L1)).toEqual({ ret: 0, why: 'done', adjusted: [10] });
    expect(s.prio(10)).toBe(49);
    // rt_mutex_slowunlock(): the lock leaves the owner, which adjusts to what it still holds.
    s.owners.delete(L1);
    rt_mutex_adjust_prio(s, 10, false);
    expect(s.prio(10)).toBe(120);
  });

  it('the boost walks the chain: a waiter boosts the owner of the lock its lock owner waits for', () => {
    // 10 owns L1 and waits for L2, owned by 20; 30 (prio 10) blocks on L1.
    const s = new MapPi().task(10, 120).task(20, 120).task(30, 10).own(L1, 10).own(L2, 20);
    expect(s.block(10, L2).ret).toBe(0);
    expect(s.block(30, L1)).toEqual({ ret: 0, why: 'done', adjusted: [10, 20] });
    expect([s.prio(10), s.prio(20)]).toEqual([10, 10]);
  });

  it('detects an ABBA cycle (-EDEADLK) with the full walk; the minimal walk stops at an unchanged prio', () => {
    const s = new MapPi().task(10, 120).task(20, 120).own(L1, 10).own(L2, 20);
    expect(s.block(10, L2).ret).toBe(0); // 10 holds L1, waits for L2
    expect(s.block(20, L1, true)).toMatchObject({ ret: -EDEADLK, why: 'deadlock' }); // 20 holds L2, waits for L1
    const m = new MapPi().task(10, 120).task(20, 120).own(L1, 10).own(L2, 20);
    m.block(10, L2, false);
    expect(m.block(20, L1, false)).toMatchObject({ ret: 0, why: 'done' });
  });

  it('a three-lock cycle is -EDEADLK too, and a chain longer than max_lock_depth is refused', () => {
    const s = new MapPi().task(10, 120).task(20, 120).task(30, 120).own(L1, 10).own(L2, 20).own(L3, 30);
    s.block(10, L2);
    s.block(20, L3);
    expect(s.block(30, L1)).toMatchObject({ ret: -EDEADLK, why: 'deadlock' });
    const d = new MapPi().task(10, 120).task(20, 120).task(30, 120).task(40, 49).own(L1, 10).own(L2, 20).own(L3, 30);
    d.block(10, L2);
    d.block(20, L3);
    expect(d.block(40, L1, true, 2)).toMatchObject({ ret: -EDEADLK, why: 'max_lock_depth' });
  });

  it('rt_mutex_adjust_pi(): a waiter that changes its own policy re-boosts or deboosts the chain below it', () => {
    const s = new MapPi().task(10, 120).task(20, 120).task(30, 49).own(L1, 10).own(L2, 20);
    s.block(10, L2); // 10 holds L1 and waits for L2 (owned by 20)
    s.block(30, L1); // 30 (prio 49) waits for L1: boosts 10, then 20
    expect([s.prio(10), s.prio(20)]).toEqual([49, 49]);
    s.task(30, 120); // sched_set_normal(30)
    expect(rt_mutex_adjust_pi(s, 30, 1024, false)).toEqual({ ret: 0, why: 'done', adjusted: [10, 20] });
    expect([s.prio(10), s.prio(20)]).toEqual([120, 120]);
    s.task(30, 10); // sched_setscheduler(30, FIFO 89)
    rt_mutex_adjust_pi(s, 30, 1024, false);
    expect([s.prio(10), s.prio(20)]).toEqual([10, 10]);
    expect(rt_mutex_adjust_pi(s, 20, 1024, false).adjusted).toEqual([]); // 20 waits for nothing
  });

  it('the planted bug (test_broken_pi) leaves the owner unboosted', () => {
    const s = new MapPi().task(10, 120).task(20, 49).own(L1, 10);
    s.block(20, L1, true, 1024, true);
    expect(s.prio(10)).toBe(120);
  });

  it('try_to_take_rt_mutex(): the top waiter takes an ownerless lock; only a strictly better prio steals', () => {
    const s = new MapPi().task(11, 100).task(12, 120).task(13, 99).task(14, 100);
    s.waitList.set(L1, [11, 12]);
    expect(may_take_rt_mutex(s, L1, 11)).toBe(true);
    expect(may_take_rt_mutex(s, L1, 12)).toBe(false);
    expect(may_take_rt_mutex(s, L1, 13)).toBe(true); // better prio than the top waiter: a steal
    expect(may_take_rt_mutex(s, L1, 14)).toBe(false); // equal prio: FIFO
    s.own(L1, 11);
    expect(may_take_rt_mutex(s, L1, 13)).toBe(false);
  });
});
