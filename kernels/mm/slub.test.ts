/*
 * The SLUB model under real concurrency (kernels/mm/test_support/slab_stress.ts): one kthread per
 * CPU allocating and freeing, frees handed to other CPUs, softirq allocations on every CPU, and a
 * CPU going offline and back all along. A correct allocator never hands out an object twice,
 * never writes into a live object and loses nothing; the planted slub.test_local_lock_irqs_on=1
 * (the slow path without irqs off) is lockdep's inconsistent-lock-state report on &n->list_lock.
 */
import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../../harness/guest/run_guest.js';
import { runTestGuest } from '../../harness/test_support/run_until.js';

const STRESS = {
  suite: 'rcu' as const,
  nrCpus: 4,
  kconfig: { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '4', CONFIG_PREEMPT: 'n', CONFIG_HOTPLUG_CPU: 'y', CONFIG_PROVE_LOCKING: 'y' },
  durationSec: 30,
  modules: [distModuleUrl('kernels/cpu/hotplug'), distModuleUrl('kernels/mm/test_support/slab_stress')],
};

describe('SLUB per-CPU slabs under stress', () => {
  it('remote frees, softirq allocations and CPU offline: no double allocation, no corruption, nothing lost; lockdep clean', async () => {
    const run = await runTestGuest({ ...STRESS, bootParams: { 'slab_stress.secs': '2' } });
    const c = run.console;
    const m = /slab-stress: OK allocs=(\d+) remote-frees=(\d+) irq-rounds=(\d+) offlines=(\d+) flushed=(\d+)\/(\d+)/.exec(c);
    expect(m, c.slice(-3000)).not.toBeNull();
    for (const k of [1, 2, 3, 4, 5]) expect(Number(m?.[k] ?? 0)).toBeGreaterThan(0);
    expect(c).not.toContain('still has objects');
    expect(c).not.toMatch(/WARNING:|BUG:/);
    expect(run.result?.findings).toEqual([]);
  });

  it('slub.test_local_lock_irqs_on=1: &n->list_lock taken with softirqs on and in softirq is the inconsistent-lock-state report', async () => {
    const run = await runTestGuest({ ...STRESS, bootParams: { 'slab_stress.secs': '2', 'slub.test_local_lock_irqs_on': '1', watchdog_thresh: '1' } });
    const c = run.console;
    expect(c).toContain('WARNING: inconsistent lock state');
    expect(c).toMatch(/inconsistent \{SOFTIRQ-ON-W\} -> \{IN-SOFTIRQ-W\} usage\.|inconsistent \{IN-SOFTIRQ-W\} -> \{SOFTIRQ-ON-W\} usage\./);
    expect(c).toMatch(/\(&n->list_lock\)\{[^}]*\}-\{2:2\}, at: get_partial \(kernels\/mm\/slub\.ts:\d+\)/);
    expect(c).toMatch(/ ___slab_alloc \(kernels\/mm\/slub\.ts:\d+\)\n.* kmem_cache_alloc /);
    expect(run.result?.findings.some((f) => f.includes('inconsistent lock state'))).toBe(true);
  });
});
