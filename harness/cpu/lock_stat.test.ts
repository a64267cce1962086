/*
 * The lock_stat recorder in-process (no workers): the hooks' bookkeeping as lockdep.c's
 * __lock_contended()/__lock_acquired()/lock_release_holdtime() do it, on two executors that
 * share one region, summed by lockStats().
 */

import { describe, expect, it } from 'vitest';
import type { LockClassKey, LockdepHooks, LockdepMap } from '../kapi.js';
import { LD_WAIT } from '../kapi.js';
import { lockStatRegion, lockStatWords } from '../shm/layout.js';
import { LockStat, type LockStatTask, withLockStat } from './lock_stat.js';

const key: LockClassKey = { name: 'torture_rwlock', ordinal: 0, waitType: LD_WAIT.CONFIG, type: 'rwlock' };
const map: LockdepMap = { key, addr: 4096, name: key.name };

function machine(): { i32: Int32Array; cpus: LockStat[]; clock: { now: number } } {
  const base = 16;
  const i32 = new Int32Array(new SharedArrayBuffer((lockStatRegion(base, 2).end + 16) * 4));
  expect(lockStatWords(2)).toBeGreaterThan(0);
  const clock = { now: 1000 };
  const cpus = [0, 1].map((c) => new LockStat(i32, base, 2, c, () => clock.now, () => c));
  return { i32, cpus, clock };
}

describe('lock_stat recorder', () => {
  it('counts wait and hold times, bounces and points per class', async () => {
    const { i32, cpus, clock } = machine();
    const [c0, c1] = cpus as [LockStat, LockStat];
    const t0: LockStatTask = {};
    const t1: LockStatTask = {};
    // CPU 0 takes the lock uncontended and holds it 500 ns.
    c0.acquire(t0, map, 0, false, 0);
    clock.now += 500;
    // CPU 1 contends for 2,000 ns, a reader; CPU 0 releases meanwhile.
    c1.acquire(t1, map, 0, false, 1);
    c1.contended(t1, map);
    c0.release(t0, map);
    clock.now += 2000;
    c1.acquired(t1, map);
    clock.now += 300;
    c1.release(t1, map);
    // A trylock on CPU 1: held 100 ns, no lock_acquired() (no acquisition bounce).
    c1.acquire(t1, map, 0, true, 0);
    clock.now += 100;
    c1.release(t1, map);
    const { lockStats } = await import('./lock_stat.js');
    const [s] = lockStats(i32, 16, 2);
    expect(s?.name).toBe('torture_rwlock');
    expect(s?.writeHold).toEqual({ nr: 2, min: 100, max: 500, total: 600 });
    expect(s?.readHold).toEqual({ nr: 1, min: 300, max: 300, total: 300 });
    expect(s?.readWait).toEqual({ nr: 1, min: 2000, max: 2000, total: 2000 });
    expect(s?.writeWait.nr).toBe(0);
    // acquired_write: CPU 0's first (the lock was first seen on CPU 0: none); acquired_read: CPU 1
    // after CPU 0 (1); contended_read: CPU 1 against CPU 0's (1).
    expect(s?.bounces).toEqual([0, 1, 0, 1]);
    expect(s?.contentionPoints.map((p) => p.count)).toEqual([1]);
    // The site is the caller outside the machinery (harness/cpu is hidden, as in lockdep's `at:`): none here.
    expect(s?.contentionPoints[0]?.site).toBe('0x0');
    // CPU 0 took it without contention: no ip recorded, so no contending point.
    expect(s?.contendingPoints).toEqual([]);
  });

  it('gives subclasses and same-named classes their own rows', async () => {
    const { i32, cpus } = machine();
    const c0 = cpus[0] as LockStat;
    const t: LockStatTask = {};
    const key2: LockClassKey = { ...key, ordinal: 1 };
    c0.acquire(t, map, 1, false, 0);
    c0.acquire(t, { key: key2, addr: 8192, name: key.name }, 0, false, 0);
    c0.release(t, map);
    c0.release(t, { key: key2, addr: 8192, name: key.name });
    const { lockStats } = await import('./lock_stat.js');
    const names = lockStats(i32, 16, 2).map((c) => `${c.name}#${c.version}/${c.subclass}:${c.writeHold.nr}`).sort();
    expect(names).toEqual(['torture_rwlock#1/1:1', 'torture_rwlock#2/0:1']);
  });

  it('forwards every hook of the lockdep it wraps, the optional ones included', () => {
    const { cpus } = machine();
    const calls: string[] = [];
    let enabled = true;
    const base: LockdepHooks = {
      get enabled() {
        return enabled;
      },
      acquire: () => void calls.push('acquire'),
      release: () => void calls.push('release'),
      contended: () => void calls.push('contended'),
      acquired: () => void calls.push('acquired'),
      assertHeld: () => void calls.push('assertHeld'),
      isHeld: () => (calls.push('isHeld'), false),
      checkNoLocksFreed: () => void calls.push('checkNoLocksFreed'),
      rcuSuspicious: () => void calls.push('rcuSuspicious'),
      sync: () => void calls.push('sync'),
      debugLocksOff: () => (calls.push('debugLocksOff'), true),
    };
    const t: LockStatTask = {};
    const h = withLockStat(base, cpus[0] as LockStat, () => t);
    h.acquire(map, 0, false, 0, null);
    h.contended(map);
    h.acquired(map);
    h.release(map);
    h.assertHeld(map);
    expect(h.isHeld(map)).toBe(false);
    h.checkNoLocksFreed(0, 8);
    h.rcuSuspicious('f.ts', 1, 'm');
    // lock_sync() (synchronize_srcu()'s) and debug_locks_off() must reach lockdep under lock_stat.
    h.sync?.(map);
    expect(h.debugLocksOff?.()).toBe(true);
    expect(calls).toEqual(['acquire', 'contended', 'acquired', 'release', 'assertHeld', 'isHeld', 'checkNoLocksFreed', 'rcuSuspicious', 'sync', 'debugLocksOff']);
    expect(h.enabled).toBe(true);
    enabled = false;
    expect(h.enabled).toBe(false);
    // Without lockdep's optional hooks lock_stat adds none.
    const { sync: _s, debugLocksOff: _d, ...bareBase } = base;
    const bare = withLockStat({ ...bareBase, enabled: false }, cpus[0] as LockStat, () => t);
    expect(bare.sync).toBeUndefined();
    expect(bare.debugLocksOff).toBeUndefined();
  });
});
