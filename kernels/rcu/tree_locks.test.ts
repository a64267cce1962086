/*
 * Lockdep over Tree RCU's own locks, in real guests with CONFIG_PROVE_LOCKING=y: the rcu_node
 * locks (one class per level, rcu_node_0 at the root), rcu_state.barrier_lock and the
 * expedited/barrier mutexes are validated like any other lock, and raw spinlocks count in the
 * preempt count. Planted bugs (boot parameters and test-only modules; tree.ts is not edited):
 * an ABBA between barrier_lock and a leaf rcu_node lock is reported by lockdep although the two
 * orders never run at the same time (so nothing deadlocks), and sleeping under an rcu_node lock
 * is `BUG: scheduling while atomic`; a mutex_lock() under a raw spinlock is `BUG: sleeping
 * function called from invalid context`.
 */
import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../../harness/guest/run_guest.js';
import { runGuestUntil, runTestGuest } from '../../harness/test_support/run_until.js';

const KC = {
  CONFIG_SMP: 'y',
  CONFIG_NR_CPUS: '4',
  CONFIG_PREEMPT: 'n',
  CONFIG_HOTPLUG_CPU: 'y',
  CONFIG_RCU_FANOUT: '2',
  CONFIG_RCU_FANOUT_LEAF: '2',
  CONFIG_PROVE_LOCKING: 'y',
  CONFIG_DEBUG_LOCK_ALLOC: 'y',
};
const HOTPLUG_CBS = [distModuleUrl('kernels/cpu/hotplug'), distModuleUrl('kernels/rcu/test_support/hotplug_cbs')];

describe('lockdep over the RCU model\'s own locks', () => {
  it('the kernel\'s order (barrier_lock, then rcu_node) is clean', async () => {
    const run = await runTestGuest({ suite: 'rcu', nrCpus: 4, kconfig: KC, bootParams: {}, durationSec: 5, modules: HOTPLUG_CBS });
    expect(run.console).toContain('hotplug-cbs: done remove=0 add=0');
    expect(run.console).not.toMatch(/WARNING: |BUG: /);
    expect(run.result?.findings ?? []).toEqual([]);
  });

  it('an ABBA between rcu_state.barrier_lock and rcu_node_1 is reported before anything deadlocks (rcutree.test_lock_inversion)', async () => {
    const run = await runTestGuest({ suite: 'rcu', nrCpus: 4, kconfig: KC, bootParams: { 'rcutree.test_lock_inversion': '1' }, durationSec: 5, modules: HOTPLUG_CBS });
    const c = run.console;
    expect(c).toContain('WARNING: possible circular locking dependency detected');
    expect(c).toMatch(/is trying to acquire lock:\n.*\] [0-9a-f]+ \(rcu_state\.barrier_lock\)\{....\}-\{2:2\}, at: rcu_cpu_starting/);
    expect(c).toMatch(/but task is already holding lock:\n.*\] [0-9a-f]+ \(rcu_node_1\)\{....\}-\{2:2\}, at: /);
    expect(c).toMatch(/-> #1 \(rcu_node_1\)\{....\}-\{2:2\}:[\s\S]*rcutree_migrate_callbacks/);
    // Found by lockdep; the run itself went on to the end.
    expect(c).toContain('hotplug-cbs: done remove=0 add=0');
    expect(run.result?.findings).toContainEqual(expect.stringMatching(/lockdep: WARNING: possible circular locking dependency detected/));
  });

  it('sleeping while holding an rcu_node lock is BUG: scheduling while atomic, naming the lock (rcutree.test_sleep_under_rcu_node)', { timeout: 180_000 }, async () => {
    // 8 s, longer (up to 32 s) until the BUG is reported: boot alone may take seconds on a loaded host.
    const run = await runGuestUntil(
      (secs) => ({
        suite: 'rcu',
        nrCpus: 4,
        kconfig: KC,
        bootParams: {
          'rcutree.test_sleep_under_rcu_node': '1',
          'rcutree.gp_init_delay': '1',
          'rcutorture.gp_normal': '1',
          'rcutorture.stat_interval': '1',
          'rcutorture.shutdown_secs': String(secs),
          'rcutorture.onoff_interval': '0',
        },
        durationSec: secs,
      }),
      (r) => r.console.includes('BUG: scheduling while atomic: rcu_sched/'),
      { fromSec: 8, capSec: 32 },
    );
    const c = run.console;
    expect(c).toMatch(/\] BUG: scheduling while atomic: rcu_sched\/\d+\/0x00000002\n/);
    expect(c).toMatch(/scheduling while atomic[^\n]*\n.*\] 1 lock held by rcu_sched\/\d+:\n.*\]  #0: [0-9a-f]+ \(rcu_node_[01]\)\{....\}-\{2:2\}, at: rcu_gp_init/);
    expect(c).toMatch(/scheduling while atomic[\s\S]*?Modules linked in:\n.*\] CPU: 0 PID: \d+ Comm: rcu_sched [^\n]*\n.*\] Call Trace:\n.*\]  rcu_gp_slow[^\n]*\n.*\]  rcu_gp_init/);
    expect(run.result?.findings).toContainEqual(expect.stringMatching(/scheduling while atomic: rcu_sched/));
  });

  it('mutex_lock() under a raw spinlock is BUG: sleeping function called from invalid context', async () => {
    const run = await runTestGuest({
      suite: 'rcu',
      nrCpus: 2,
      kconfig: { ...KC, CONFIG_NR_CPUS: '2', CONFIG_HOTPLUG_CPU: 'n' },
      durationSec: 3,
      modules: [distModuleUrl('kernels/locking/test_support/atomic_sleep')],
    });
    const c = run.console;
    expect(c).toMatch(/\] BUG: sleeping function called from invalid context at kernels\/locking\/mutex\.ts:\d+\n/);
    expect(c).toMatch(/\] in_atomic\(\): 1, irqs_disabled\(\): 0, non_block: 0, pid: \d+, name: atomic_sleeper\n.*\] preempt_count: 1, expected: 0\n/);
    expect(c).toMatch(/\] 1 lock held by atomic_sleeper\/\d+:\n.*\]  #0: [0-9a-f]+ \(atomic_sleep_lock\)/);
    expect(c).toContain('atomic-sleep: done');
    expect(run.result?.findings).toContainEqual(expect.stringMatching(/sleeping function called from invalid context at kernels\/locking\/mutex\.ts:\d+/));
  });
});
