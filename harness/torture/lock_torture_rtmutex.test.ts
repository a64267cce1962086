/*
 * locktorture's rtmutex_lock (lock_torture_rtmutex.ts) as the driver runs it: LOCK09 (eight
 * nested rt_mutex classes, rt_boost on, PI chains through blocked owners) ends SUCCESS, and
 * BUSTED-BOOST (rtmutex.test_broken_pi=1: the boost never happens) is caught by the holder's
 * boost check: a WARNING in the kernel's shape, `Fail: 1 !!!` and `End of test: FAILURE`.
 */

import { describe, expect, it } from 'vitest';
import { runTortureUntil, scenarioConsole } from '../test_support/run_until.js';

describe('locktorture rtmutex_lock', () => {
  it('LOCK09 passes with nested PI chains; BUSTED-BOOST fails with the boost check\'s report', async () => {
    const r = await runTortureUntil(
      ['--torture', 'lock', '--configs', 'LOCK09 BUSTED-BOOST', '--cpus', '8'],
      (x) => scenarioConsole(x, 'BUSTED-BOOST').includes('not boosted') && scenarioConsole(x, 'LOCK09').includes('End of test'),
      { fromSec: 8, capSec: 40 },
    );
    const ok = scenarioConsole(r, 'LOCK09');
    expect(ok).toMatch(/rtmutex_lock-torture:--- End of test: SUCCESS: /);
    expect(ok).toMatch(/rtmutex_lock-torture: Writes: {2}Total: \d+ {2}Max\/Min: \d+\/\d+ .* Fail: 0/);
    expect(ok).not.toContain('WARNING');
    // The nested classes are lockdep's torture_rtmutex_init (CONFIG_PROVE_LOCKING is off in LOCK09: no report either way).
    const bad = scenarioConsole(r, 'BUSTED-BOOST');
    expect(bad).toMatch(/lock_torture_writer: rt_mutex owner at prio 120 below its top waiter's prio 49: not boosted\n.*WARNING: CPU: \d+ PID: \d+ at lock_torture_writer\n/);
    expect(bad).toMatch(/rtmutex_lock-torture: Writes: {2}Total: \d+ {2}Max\/Min: \d+\/\d+ .* Fail: 1 !!!/);
    expect(bad).toMatch(/rtmutex_lock-torture:--- End of test: FAILURE: /);
    expect(r.out).toMatch(/BUG: BUSTED-BOOST FAILURE/);
    expect(r.out).not.toMatch(/BUG: LOCK09/);
  });
});
