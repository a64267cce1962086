import { describe, expect, it } from 'vitest';
import { jitterThreads, parseJitter, startJitter } from './jitter.js';

describe('--jitter', () => {
  it("parses kvm.sh's syntax and counts threads as kvm.sh does", () => {
    expect(parseJitter('3')).toEqual({ count: 3, maxSleepUs: 1_000_000, maxSpinUs: 1000 });
    expect(parseJitter('-1 500 200')).toEqual({ count: -1, maxSleepUs: 500, maxSpinUs: 200 });
    expect(jitterThreads(parseJitter('-1'), 0)).toBe(1);
    expect(jitterThreads(parseJitter('-1'), 12)).toBe(12);
    expect(() => parseJitter('-2')).toThrow(/--jitter/);
  });

  it('N host threads really spin, each its own seeded stream, and stop on request', async () => {
    // Sleeps of at most 1 ms, spins of at most 50 ms: the threads are busy most of the time.
    const j = startJitter({ count: 2, maxSleepUs: 1000, maxSpinUs: 50_000 }, 0, 7);
    expect(j.threads).toBe(2);
    // Meet the threads on their shared spin counters, not on a sleep.
    const end = Date.now() + 30_000;
    while (Date.now() < end && j.spunMs().some((ms) => ms < 100)) await new Promise((r) => setTimeout(r, 20));
    const spun = j.spunMs();
    await j.stop();
    for (const ms of spun) expect(ms).toBeGreaterThanOrEqual(100);
  });
});
