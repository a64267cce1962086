/*
 * rt_mutex priority inheritance in a guest: real worker threads, the holder on CPU 0 and a
 * SCHED_FIFO waiter on CPU 1 (test_support/rtmutex_pi.ts). The holder is boosted to the waiter's
 * prio while it waits and restored after the unlock; the planted rtmutex.test_broken_pi=1 is
 * caught by the PI check with the kernel's WARNING.
 */

import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../../harness/guest/run_guest.js';
import { runTestGuest } from '../../harness/test_support/run_until.js';

const modules = [distModuleUrl('kernels/locking/test_support/rtmutex_pi')];
const guest = (bootParams: Record<string, string>) => runTestGuest({ nrCpus: 2, durationSec: 30, kconfig: { CONFIG_PROVE_LOCKING: 'y' }, bootParams, modules });

describe('rt_mutex priority inheritance across CPUs', () => {
  it('boosts a SCHED_NORMAL holder to its SCHED_FIFO waiter\'s prio while it waits, restores it after unlock; a planted broken boost is caught', async () => {
    const [good, broken] = await Promise.all([guest({}), guest({ 'rtmutex.test_broken_pi': '1' })]);
    const c = good.console;
    expect(c).toMatch(/rtmutex_pi: holder pi_low\/\d+ prio 120 -> 49 while pid \d+ \(prio 49\) waits/);
    expect(c).toMatch(/rtmutex_pi: holder pi_low\/\d+ prio after unlock 120/);
    expect(c).toMatch(/rtmutex_pi: waiter pi_high\/\d+ prio 49 took the lock/);
    expect(c).toContain('rtmutex_pi: done');
    expect(c).not.toContain('WARNING');
    expect(good.result?.findings ?? []).toEqual([]);

    const b = broken.console;
    expect(b).toMatch(/rtmutex_pi: holder pi_low\/\d+ prio 120 -> 120 while pid \d+ \(prio 49\) waits/);
    expect(b).toMatch(/WARNING: CPU: 0 PID: \d+ at pi_low\n/);
    expect(b).toContain("rt_mutex owner at prio 120 below its top waiter's prio 49: not boosted");
    expect(broken.result?.findings.join('\n')).toMatch(/owner not boosted/);
  });
});

describe('rt_mutex deadlock detection in a guest (CONFIG_PROVE_LOCKING: the full chain walk)', () => {
  const dl = (which: string, kconfig: Record<string, string>) =>
    runTestGuest({ nrCpus: 2, durationSec: 30, kconfig, bootParams: { 'rtmutex_deadlock.case': which }, modules: [distModuleUrl('kernels/locking/test_support/rtmutex_deadlock')] });

  it('an ABBA of two tasks is lockdep\'s circular dependency and the chain walk\'s -EDEADLK; without PROVE_LOCKING it is not seen; AA always is', async () => {
    const [abba, quiet, aa] = await Promise.all([dl('abba', { CONFIG_PROVE_LOCKING: 'y' }), dl('abba', {}), dl('aa', {})]);
    expect(abba.console).toContain('WARNING: possible circular locking dependency detected');
    expect(abba.console).toMatch(/rtmutex deadlock detected\n.*WARNING: CPU: \d+ PID: \d+ at rt_mutex_handle_deadlock\n/);
    expect(abba.console).toContain('rtmutex_deadlock: watcher done');
    expect(abba.console).not.toContain('took both');
    expect(quiet.console).toContain('rtmutex_deadlock: dl_ba takes its second lock');
    expect(quiet.console).not.toContain('rtmutex deadlock detected');
    expect(quiet.console).toContain('rtmutex_deadlock: watcher done');
    expect(aa.console).toMatch(/rtmutex deadlock detected\n.*WARNING: CPU: 0 PID: \d+ at rt_mutex_handle_deadlock\n/);
  });
});
