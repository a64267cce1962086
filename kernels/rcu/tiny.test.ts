/*
 * Tiny RCU (kernels/rcu/tiny.ts) on real worker-thread CPUs (compiled dist/): its API, the
 * planted early callback caught, and the TINY01/TINY02 scenarios under rcutorture through the
 * driver, as a user runs them.
 */
import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../../harness/guest/run_guest.js';
import { runTestGuest, runTorture, scenarioConsole } from '../../harness/test_support/run_until.js';

const UP = { CONFIG_SMP: 'n', CONFIG_PREEMPT: 'n', CONFIG_PREEMPT_NONE: 'y' };

describe('Tiny RCU', { timeout: 120_000 }, () => {
  it('rcu.ts binds Tiny RCU on !SMP && !PREEMPT; callbacks wait for a context switch, in order; polled API, rcu_barrier(), cond_resched()', async () => {
    const run = await runTestGuest({ suite: 'rcu', nrCpus: 1, kconfig: UP, durationSec: 10, modules: [distModuleUrl('kernels/rcu/test_support/tiny_api')] });
    expect(run.console).toContain('tiny-api: OK callbacks=201');
    expect(run.console).not.toContain('WARNING:');
    expect(run.result?.end).toBe('poweroff');
  });

  it('a callback queued by an interrupt handler waits for the reader the interrupt hit', async () => {
    const run = await runTestGuest({ suite: 'rcu', nrCpus: 1, kconfig: UP, durationSec: 10, modules: [distModuleUrl('kernels/rcu/test_support/tiny_irq_update')] });
    expect(run.console).toMatch(/tiny-irq-update: OK rcu=tiny rounds=20 timers=\d+ freed=\d+/);
  });

  it('rcutiny.test_early_cb=1 (every tick a quiescent state): that callback runs inside the reader', async () => {
    const run = await runTestGuest({
      suite: 'rcu',
      nrCpus: 1,
      kconfig: UP,
      bootParams: { 'rcutiny.test_early_cb': '1' },
      durationSec: 10,
      modules: [distModuleUrl('kernels/rcu/test_support/tiny_irq_update')],
    });
    expect(run.console).toMatch(/tiny-irq-update: FAIL: a callback queued by an interrupt handler ran inside the reader it interrupted rcu=tiny rounds=\d+/);
  });

  it('TINY01 and TINY02 under rcutorture: SUCCESS, Tiny\'s End-test line, no Tree RCU, no expected coverage missing', async () => {
    const run = await runTorture(['--configs', 'TINY01 TINY02', '--duration', '6s']);
    expect(run.code).toBe(0);
    for (const s of ['TINY01', 'TINY02']) {
      const c = scenarioConsole(run, s);
      expect(c).toContain('rcu-torture:--- End of test: SUCCESS');
      // kernel/rcu/rcu.h: rcu_get_gp_seq() and rcutorture_get_gp_data() are 0 on Tiny.
      expect(c).toMatch(/\] rcu:  End-test grace-period state: g0 f0 total-gps=0\n/);
      expect(c).not.toContain('Hierarchical RCU implementation');
      expect(c).toMatch(/coverage: begin points=\d+ expected=\d+ cold=0 suite=rcu torture_type=rcu onoff=0 preempt=0 smp=0/);
      expect(c).not.toContain('!!!');
    }
    // TINY02.boot: rcupdate.rcu_self_test=1, update.c's early-boot call_rcu() test on Tiny RCU.
    expect(scenarioConsole(run, 'TINY02')).toContain('RCU test callback executed 1');
  });

  it('with one CPU and no preemption, rcutorture cannot see a grace period cut short: even `busted` passes', async () => {
    // Why the planted early callback is caught by the test above and not by rcutorture: its
    // updaters are tasks, and no task runs while another is inside a reader (configs/rcu/README.md).
    const run = await runTorture(['--configs', 'TINY01', '--duration', '5s', '--bootargs', 'rcutorture.torture_type=busted']);
    const c = scenarioConsole(run, 'TINY01');
    expect(c).toContain('busted-torture:--- End of test: SUCCESS');
    expect(c).toMatch(/busted-torture: Reader Pipe: {2}\d+ 0 0 0 0 0 0 0 0 0 0\n/);
  });
});
