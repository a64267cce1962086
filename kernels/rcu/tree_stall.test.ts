/*
 * RCU CPU stall warnings in real guests: each planted stall (switched by boot parameters and a
 * test-only module, never by editing tree.ts) gives tree_stall.h's report and fails the guest;
 * rcupdate.rcu_cpu_stall_suppress silences it; an unmodified rcutorture run with the same short
 * timeout and CPU hotplug reports nothing.
 */
import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../../harness/guest/run_guest.js';
import { runGuestUntil, runTestGuest } from '../../harness/test_support/run_until.js';
import { parseConsole } from '../../harness/recheck/parse_console.js';

const KC = { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '4', CONFIG_PREEMPT: 'n', CONFIG_HOTPLUG_CPU: 'y' };
const MODULES = [distModuleUrl('kernels/cpu/hotplug'), distModuleUrl('kernels/rcu/test_support/stall_planted')];

describe('RCU CPU stall warnings', () => {
  it('a CPU that never reports a quiescent state self-detects the stall (rcutree.test_lost_qs_cpu)', async () => {
    const run = await runTestGuest({
      suite: 'rcu',
      nrCpus: 4,
      kconfig: KC,
      bootParams: { 'rcutree.test_lost_qs_cpu': '1', 'stall_test.cpu': '1', 'stall_test.mode': 'busy', 'stall_test.secs': '5', 'rcupdate.rcu_cpu_stall_timeout': '3' },
      durationSec: 5,
      modules: MODULES,
    });
    const c = run.console;
    expect(c).toMatch(/\] rcu: INFO: rcu_sched self-detected stall on CPU\n/);
    expect(c).toMatch(/\] rcu: \t1-\.\.\.\?: \(\d+ ticks this GP\) idle=[0-9a-f]{4}\/1\/0x4000000000000000 softirq=\d+\/\d+ fqs=\d+\n/);
    expect(c).toMatch(/\] rcu: \t\(t=(\d+) jiffies g=-?\d+ q=\d+ ncpus=4\)\n/);
    const t = Number(/\(t=(\d+) jiffies/.exec(c)?.[1]);
    expect(t).toBeGreaterThanOrEqual(3000);
    expect(c).toContain('stall-test: updater still waiting');
    expect(run.result?.findings).toContainEqual(expect.stringMatching(/rcu: INFO: rcu_sched (self-detected stall on CPU|detected stalls on CPUs\/tasks)/));
    const facts = parseConsole(c, 'console.log', 'STALL');
    expect(facts.badness.stalls).toBeGreaterThanOrEqual(1);
    expect(facts.lines).toContainEqual(expect.stringMatching(/^WARNING: Summary: .*Stalls: \d+/));
  });

  it('rcupdate.rcu_cpu_stall_suppress=1 silences the same stall', async () => {
    const run = await runTestGuest({
      suite: 'rcu',
      nrCpus: 4,
      kconfig: KC,
      bootParams: {
        'rcutree.test_lost_qs_cpu': '1',
        'stall_test.mode': 'busy',
        'stall_test.secs': '4',
        'rcupdate.rcu_cpu_stall_timeout': '3',
        'rcupdate.rcu_cpu_stall_suppress': '1',
      },
      durationSec: 4,
      modules: MODULES,
    });
    expect(run.console).toContain('stall-test: updater still waiting');
    expect(run.console).not.toMatch(/stall on CPU|detected stalls/);
  });

  it('a CPU spinning with preemption off starves the GP kthread: other CPUs report stall and starvation', async () => {
    const run = await runTestGuest({
      suite: 'rcu',
      nrCpus: 4,
      kconfig: KC,
      bootParams: { 'stall_test.cpu': '0', 'stall_test.mode': 'spin', 'stall_test.spin_secs': '5', 'stall_test.secs': '6', 'rcupdate.rcu_cpu_stall_timeout': '3' },
      durationSec: 6,
      modules: MODULES,
    });
    const c = run.console;
    expect(c).toMatch(/\] rcu: INFO: rcu_sched detected stalls on CPUs\/tasks:\n/);
    expect(c).toMatch(/\] rcu: \t\(detected by [1-3], t=\d+ jiffies, g=-?\d+, q=\d+ ncpus=4\)\n/);
    expect(c).toMatch(/\] rcu: rcu_sched kthread starved for \d+ jiffies! g-?\d+ f0x[01] RCU_GP_\w+\(\d\) ->state=0x[0-9a-f]+ ->cpu=0\n/);
    expect(c).toContain('rcu: \tUnless rcu_sched kthread gets sufficient CPU time, OOM is now expected behavior.');
    const facts = parseConsole(c, 'console.log', 'STALL');
    expect(facts.badness.stalls).toBeGreaterThanOrEqual(1);
    expect(facts.badness.starves).toBeGreaterThanOrEqual(1);
  });

  it('rcutorture.stall_cpu: the stalled CPU is named by the others, and the stall ends', { timeout: 240_000 }, async () => {
    // 12 s, longer (up to 48 s) until the stall is reported: boot alone may take seconds on a loaded host.
    const run = await runGuestUntil(
      (secs) => ({
        suite: 'rcu',
        nrCpus: 4,
        kconfig: KC,
        bootParams: {
          'rcutorture.stall_cpu': '6',
          'rcutorture.fwd_progress': '0', // as the kernel's TREE07: the two tests conflict
          'rcutorture.stall_cpu_holdoff': '1',
          'rcupdate.rcu_cpu_stall_timeout': '3',
          'rcutorture.stat_interval': '2',
          'rcutorture.shutdown_secs': String(secs),
          'rcutorture.onoff_interval': '0',
        },
        durationSec: secs,
      }),
      (r) => r.console.includes('rcu_torture_stall end.') && r.console.includes('detected stalls on CPUs/tasks:'),
      { fromSec: 12, capSec: 48 },
    );
    const c = run.console;
    expect(c).toContain('rcu_torture_stall_one start stall episode 1 on CPU 3.');
    expect(c).toMatch(/\] rcu: INFO: rcu_sched detected stalls on CPUs\/tasks:\n.*\] rcu: \t3-\.\.\.\?: \(/);
    expect(c).toMatch(/\] rcu: \t\(detected by [0-2], t=\d+ jiffies, g=-?\d+, q=\d+ ncpus=4\)\n/);
    expect(c).toMatch(/\] Task dump for CPU 3:\n.*\] task:rcu_torture_sta state:R  running task     stack:0     pid:\d+ +tgid:\d+ +ppid:2      flags:0x00004000\n/);
    expect(c).toContain('rcu_torture_stall end.');
    expect(run.result?.findings).toContainEqual(expect.stringMatching(/rcu: INFO: rcu_sched (self-detected stall on CPU|detected stalls on CPUs\/tasks)/));
  });

  it('an unmodified rcutorture run with hotplug and a 3 s timeout reports no stall', async () => {
    const run = await runTestGuest({
      suite: 'rcu',
      nrCpus: 4,
      kconfig: KC,
      bootParams: {
        'rcupdate.rcu_cpu_stall_timeout': '3',
        'rcutorture.stat_interval': '2',
        'rcutorture.shutdown_secs': '6',
        'rcutorture.onoff_interval': '100',
        'rcutorture.onoff_holdoff': '1',
      },
      durationSec: 6,
    });
    expect(run.console).toContain('End of test: SUCCESS');
    expect(run.console).not.toMatch(/stall on CPU|detected stalls|kthread starved/);
  });
});
