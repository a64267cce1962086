import { afterEach, describe, expect, it } from 'vitest';
import { Condition, disableLockdep, enableLockdep, Mutex, RwLock, Semaphore } from './index.js';
import { runLocks } from './test_support/run_locks.js';

afterEach(() => disableLockdep());

describe('torture/locks on real worker threads', () => {
  it('Mutex: mutual exclusion under contention (4 threads, sync and async waiters)', async () => {
    for (const async of [false, true]) {
      const m = new Mutex({ name: 'counter_lock' });
      const run = await runLocks({ scenario: 'exclusion', threads: 4, iters: 5_000, locks: [m.handle], async });
      expect(run.results.map((r) => r.violations)).toEqual([0, 0, 0, 0]);
      expect(Math.max(...run.results.map((r) => r.counter))).toBe(20_000);
      expect(run.results[0]?.maxInside).toBe(1);
      expect(m.tryLock()).toBe(true);
    }
  });

  it('the exclusion check fails when the threads skip the lock (the test can fail)', async () => {
    const run = await runLocks({ scenario: 'exclusion', threads: 4, iters: 5_000, locks: [new Mutex().handle], unlocked: true });
    const lost = 20_000 - Math.max(...run.results.map((r) => r.counter));
    expect(run.results.some((r) => r.violations > 0) || lost > 0).toBe(true);
    expect(run.results[0]?.maxInside).toBeGreaterThan(1);
  });

  it('RwLock: readers hold it together, the writer waits for all of them and is alone', async () => {
    const l = new RwLock({ name: 'table_lock' });
    const run = await runLocks({ scenario: 'rwlock', threads: 4, iters: 1_000, locks: [l.handle] });
    expect(run.results.map((r) => r.violations)).toEqual([0, 0, 0, 0]);
    // (each reader waited inside for the others: a reader excluded by another would count a violation)
    expect(l.tryWriteLock()).toBe(true);
    expect(l.tryReadLock()).toBe(false);
    l.writeUnlock();
    expect(l.tryReadLock() && l.tryReadLock()).toBe(true);
    expect(l.tryWriteLock()).toBe(false);
  });

  it('Semaphore: never more than its permits inside, and exactly that many at once', async () => {
    const sem = new Semaphore({ name: 'pool', permits: 2 });
    const run = await runLocks({ scenario: 'semaphore', threads: 4, iters: 2_000, locks: [sem.handle], permits: 2 });
    expect(run.results.map((r) => r.violations)).toEqual([0, 0, 0, 0]);
    expect(run.results[0]?.maxInside).toBe(2);
    expect(sem.permits).toBe(2);
  });

  it('Condition: every notified item is consumed, sync and async waiters (no lost wake-up)', async () => {
    for (const async of [false, true]) {
      const m = new Mutex({ name: 'queue_lock' });
      const c = new Condition({ name: 'queue_nonempty' });
      const run = await runLocks({ scenario: 'condition', threads: 2, iters: 5_000, locks: [m.handle, c.handle], async });
      expect(Math.max(...run.results.map((r) => r.consumed))).toBe(5_000);
    }
  });

  it('timeouts: lock, read/write lock, semaphore and condition give up after their timeout', async () => {
    const m = new Mutex();
    m.lock();
    expect(m.lock(30)).toBe(false);
    expect(await m.lockAsync(30)).toBe(false);
    m.unlock();
    expect(m.lock(30)).toBe(true);
    m.unlock();
    const l = new RwLock();
    l.readLock();
    expect(l.writeLock(20)).toBe(false);
    expect(await l.writeLockAsync(20)).toBe(false);
    l.readUnlock();
    const sem = new Semaphore({ permits: 0 });
    expect(sem.acquire(20)).toBe(false);
    expect(await sem.acquireAsync(20)).toBe(false);
    const c = new Condition();
    m.lock();
    expect(c.wait(m, 20)).toBe(false);
    expect(m.tryLock()).toBe(false); // held again after the wait
    m.unlock();
  });

  it('bad input is one clear error', () => {
    expect(() => new Mutex({ name: '' })).toThrow("Cannot create a mutex as 'name' must be a non-empty string: current value is \"\"");
    expect(() => new Mutex({ buffer: new SharedArrayBuffer(8), index: 1 })).toThrow("Cannot create a mutex as 'index' must be an integer from 0 to 0 (the lock takes 2 Int32 words of the buffer): current value is 1");
    expect(() => new Mutex().lock(-1)).toThrow("Cannot wait as 'timeoutMs' must be a number >= 0 or Infinity: current value is -1");
    expect(() => Mutex.from(new RwLock().handle)).toThrow("Cannot attach a mutex as 'handle' must be the `handle` of a mutex (kind, buffer, index, name, lockdep): current value is a rwlock handle");
    expect(() => new Semaphore({ permits: -1 })).toThrow("Cannot create a semaphore as 'permits' must be an integer from 0 to 1073741823: current value is -1");
  });

  it('a handle with lockdep in a thread that did not switch it on is refused with the way out', async () => {
    await enableLockdep();
    const h = new Mutex({ name: 'x' }).handle;
    disableLockdep();
    expect(() => Mutex.from(h)).toThrow('Cannot attach a lock that carries lockdep as this thread has not switched lockdep on: call `await enableLockdep()` here first, or set TORTURE_LOCKDEP=1');
  });
});
