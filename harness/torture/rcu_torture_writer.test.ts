/* The writers' grace-period waits: never shorter than 6.12's torture_hrtimeout_jiffies(% 16) sleep. */
import { describe, expect, it } from 'vitest';
import { rcu_torture_gp_wait_ticks } from './rcu_torture_writer.js';
import { seededRandomState, torture_random } from './torture_random.js';

describe('rcu_torture_gp_wait_ticks', () => {
  it('sleeps j + 1 ticks, (j, j + 1] jiffies, for the kernel\'s j jiffies plus a fuzz under one: never 0, up to 16', () => {
    const a = seededRandomState(7, 'rcu_torture_writer/0');
    const b = seededRandomState(7, 'rcu_torture_writer/0');
    const seen = new Set<number>();
    for (let k = 0; k < 2000; k++) {
      const j = torture_random(b) % 16; // the kernel's base, from the same stream
      torture_random(b); // and its fuzz: the stream stays in step only if the helper draws it too
      const ticks = rcu_torture_gp_wait_ticks(a);
      // A tick timer of n ticks lasts (n - 1, n] jiffies; the kernel's sleep is [j, j + 1).
      expect([ticks - 1, ticks]).toEqual([j, j + 1]);
      seen.add(ticks);
    }
    expect(Math.min(...seen)).toBe(1);
    expect(Math.max(...seen)).toBe(16);
  });
});
