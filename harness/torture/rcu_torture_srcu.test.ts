/*
 * rcutorture's SRCU flavours end to end in real guests: Tree SRCU's planted bug
 * (`srcutree.test_broken_flip=1`: the post-flip scan leaves out the last CPU's counters) is caught
 * by rcutorture's pipe check, and the flavours' stats lines keep the kernel's shapes
 * (srcu_torture_stats_print() of srcutree.c and srcutiny.c).
 */
import { describe, expect, it } from 'vitest';
import { runGuestUntil } from '../test_support/run_until.js';

const SRCU_N = { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '4', CONFIG_PREEMPT: 'n', CONFIG_HOTPLUG_CPU: 'n' };

function boot(type: string, secs: number, extra: Record<string, string> = {}): Record<string, string> {
  return { 'rcutorture.torture_type': type, 'rcutorture.stat_interval': '1', 'rcutorture.shutdown_secs': String(secs), 'rcutorture.stutter': '0', ...extra };
}

describe('rcutorture srcu and srcud', () => {
  it('srcutree.test_broken_flip=1: readers see elements a grace period too old (!!!)', { timeout: 240_000 }, async () => {
    const run = await runGuestUntil(
      (secs) => ({ suite: 'rcu', nrCpus: 4, kconfig: SRCU_N, bootParams: boot('srcu', secs, { 'srcutree.test_broken_flip': '1' }), durationSec: secs }),
      (r) => r.console.includes('srcu-torture: !!! Reader Pipe:'),
      { fromSec: 8, capSec: 32 },
    );
    expect(run.console).toContain('srcu-torture: !!! Reader Pipe:');
    expect(run.console).toContain('Too-short grace period');
  });

  it('Tree SRCU (big, srcud) and Tiny SRCU print their stats lines; clean runs succeed', { timeout: 240_000 }, async () => {
    const [treeRun, tinyRun] = await Promise.all([
      runGuestUntil(
        (secs) => ({
          suite: 'rcu',
          nrCpus: 4,
          kconfig: { ...SRCU_N, CONFIG_PREEMPT: 'y', CONFIG_RCU_FANOUT: '2', CONFIG_RCU_FANOUT_LEAF: '2' },
          bootParams: boot('srcud', secs, { 'srcutree.big_cpu_lim': '4' }),
          durationSec: secs,
        }),
        (r) => r.console.includes('End of test:') && r.console.includes('Tree SRCU'),
        { fromSec: 3, capSec: 24 },
      ),
      runGuestUntil(
        (secs) => ({ suite: 'rcu', nrCpus: 1, kconfig: { CONFIG_SMP: 'n', CONFIG_PREEMPT: 'n' }, bootParams: boot('srcu', secs), durationSec: secs }),
        (r) => r.console.includes('End of test:') && r.console.includes('Tiny SRCU'),
        { fromSec: 3, capSec: 24 },
      ),
    ]);
    const t = treeRun.console;
    expect(t).toContain('srcu_init: Setting srcu_struct sizes to big.');
    expect(t).toMatch(/srcud-torture: Tree SRCU g-?\d+ state 8 \(SRCU_SIZE_BIG\) per-CPU\(idx=[01]\):( \d\(-?\d+,-?\d+ [C.]\)){4} T\(-?\d+,-?\d+\)\n/);
    expect(t).toContain('srcud-torture:--- End of test: SUCCESS');
    const y = tinyRun.console;
    expect(y).toMatch(/srcu-torture: Tiny SRCU per-CPU\(idx=[01]\): \(-?\d+,-?\d+\) gp: \d+->\d+\n/);
    expect(y).toContain('srcu-torture:--- End of test: SUCCESS');
    expect(t + y).not.toContain('WARNING:');
  });
});
