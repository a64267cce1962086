/*
 * SRCU on real worker-thread CPUs (compiled dist/): Tree SRCU (4 CPUs) and Tiny SRCU (CONFIG_SMP=n)
 * through kernels/rcu/test_support/srcu_check.ts: a sleeping reader holds synchronize_srcu() up,
 * the polled API agrees, and srcu_barrier() sees every call_srcu() callback exactly once (Tree SRCU:
 * also one that is being invoked, off its list, while srcu_barrier() is called on another CPU).
 */
import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../../harness/guest/run_guest.js';
import { runTestGuest } from '../../harness/test_support/run_until.js';

describe('SRCU API', () => {
  for (const [name, nrCpus, kconfig] of [
    ['Tree SRCU', 4, { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '4', CONFIG_PREEMPT: 'y' }],
    ['Tiny SRCU', 1, { CONFIG_SMP: 'n' }],
  ] as const) {
    it(`${name}: sync waits for a sleeping reader, polled cookies, srcu_barrier()`, async () => {
      const run = await runTestGuest({
        suite: 'rcu',
        nrCpus,
        kconfig,
        durationSec: 60,
        modules: [distModuleUrl('kernels/cpu/hotplug'), distModuleUrl('kernels/rcu/test_support/srcu_check')],
      });
      console.log(run.console.split('\n').filter((l) => l.includes('srcu-check')).join('\n'));
      expect(run.console).toContain('srcu-check: sync waited for the reader');
      expect(run.console).toContain('srcu-check: poll done after the reader');
      expect(run.console).toMatch(/srcu-check: barrier (\d+)\/\1/);
      if (nrCpus > 1) expect(run.console).toContain('srcu-check: barrier waited for an invoking callback');
      expect(run.console).toContain('srcu-check: done');
      expect(run.console).not.toContain('FAIL');
      expect(run.console).not.toContain('WARNING:');
    });
  }
});
