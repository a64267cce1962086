import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../guest/run_guest.js';
import { runTestGuest } from '../test_support/run_until.js';

/** The end of a console, for assertion messages. */
function tail(console: string): string {
  return `console tail:\n${console.split('\n').slice(-40).join('\n')}`;
}

describe('interrupts inside critical sections, preemption inside busy-waits', () => {
  const softirq = [distModuleUrl('harness/cpu/test_support/softirq_deadlock')];

  it('a timer taking a spinlock its CPU holds with irqs on really deadlocks: soft lockup, exit 1', async () => {
    const run = await runTestGuest({ nrCpus: 2, durationSec: 30, bootParams: { watchdog_thresh: '2' }, modules: softirq });
    expect(run.console, tail(run.console)).toMatch(/watchdog: BUG: soft lockup - CPU#0 stuck for \d+s! \[softirq_test:\d+\]/);
    expect(run.console).toMatch(/halted in pv_wait\(\) for \d+s on spinlock [0-9a-f]+ \(softirq_test_lock\)\n.*held by: softirq_test\/\d+ on CPU 0/);
    expect(run.console).not.toContain('softirq_test: timer ran');
    expect(run.code).toBe(1);
  });

  it('with lockdep the same timer is the kernel\'s inconsistent lock state report', async () => {
    const run = await runTestGuest({
      nrCpus: 2,
      durationSec: 30,
      kconfig: { CONFIG_PROVE_LOCKING: 'y', CONFIG_DEBUG_LOCK_ALLOC: 'y' },
      bootParams: { watchdog_thresh: '2' },
      modules: softirq,
    });
    expect(run.console, tail(run.console)).toContain('WARNING: inconsistent lock state');
    expect(run.console).toContain('inconsistent {SOFTIRQ-ON-W} -> {IN-SOFTIRQ-W} usage.');
    expect(run.console).toMatch(/softirq_test_lock/);
    expect(run.code).toBe(1);
  });

  it('with spin_lock_bh() the timer waits for the unlock and runs there', async () => {
    const run = await runTestGuest({ nrCpus: 2, durationSec: 30, kconfig: { CONFIG_PROVE_LOCKING: 'y', CONFIG_DEBUG_LOCK_ALLOC: 'y' }, bootParams: { 'softirq_test.bh': '1' }, modules: softirq });
    expect(run.console, tail(run.console)).toContain('softirq_test: timer ran after the unlock');
    expect(run.console).not.toContain('inconsistent lock state');
    expect(run.code).toBe(0);
  });

  const reader = [distModuleUrl('kernels/cpu/hotplug'), distModuleUrl('kernels/rcu/test_support/mdelay_reader')];
  const kconfig = { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '2', CONFIG_PREEMPT: 'y' };

  it('PREEMPT=y: a reader in mdelay() inside rcu_read_lock() is preempted, queued as a blocked reader and holds up the GP', async () => {
    const [good, broken] = await Promise.all([
      runTestGuest({ nrCpus: 2, kconfig, durationSec: 10, modules: reader }),
      runTestGuest({ nrCpus: 2, kconfig, durationSec: 10, bootParams: { 'rcutree.test_broken_gp': '2' }, modules: reader }),
    ]);
    const m = /mdelay-reader: OK preempted=1 blocked=1 gp-waited=(\d+)ms/.exec(good.console);
    expect(m, tail(good.console)).not.toBeNull();
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(200);
    expect(good.code).toBe(0);
    // rcutree.test_broken_gp=2: the GP ignores the blocked reader and ends inside it.
    expect(broken.console, tail(broken.console)).toMatch(/mdelay-reader: FAIL: the grace period ended inside the reader preempted=1 /);
  });

  it('PREEMPT_NONE, 1 CPU: a task the running one wakes, or whose timeout expires, runs at its next cond_resched() after a tick', async () => {
    const run = await runTestGuest({
      nrCpus: 1,
      kconfig: { CONFIG_SMP: 'n', CONFIG_PREEMPT_NONE: 'y' },
      durationSec: 30,
      modules: [distModuleUrl('harness/cpu/test_support/wake_cond_resched')],
    });
    expect(run.console, tail(run.console)).toMatch(/wake_cond_resched: OK woken task ran after \d+ jiffies, timed-out sleeper after \d+/);
    expect(run.code).toBe(0);
  });

  it('a busy-wait with bottom halves off is not preempted (PREEMPT=y), with them on it is', async () => {
    const run = await runTestGuest({
      nrCpus: 1,
      durationSec: 30,
      kconfig: { CONFIG_PREEMPT: 'y' },
      modules: [distModuleUrl('harness/cpu/test_support/bh_preempt')],
    });
    expect(run.console, tail(run.console)).toContain('bh_preempt: OK not preempted with bottom halves off, preempted with them on');
  });
});
