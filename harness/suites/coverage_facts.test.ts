import { describe, expect, it } from 'vitest';
import { coverageFactsOf } from './coverage_facts.js';

describe('coverageFactsOf', () => {
  it('takes the torture_type as booted, else the module default, and hotplug only with CONFIG_HOTPLUG_CPU=y and onoff_interval > 0', () => {
    const hot = { CONFIG_HOTPLUG_CPU: 'y', CONFIG_PREEMPT: 'y' };
    expect(coverageFactsOf({ suite: 'lock', kconfig: hot, bootParams: { 'locktorture.onoff_interval': '100' } })).toEqual({ suite: 'lock', tortureType: 'spin_lock', onoff: true, preempt: true, smp: true });
    expect(coverageFactsOf({ suite: 'lock', kconfig: {}, bootParams: { 'locktorture.torture_type': 'rwsem_lock', 'locktorture.onoff_interval': '100' } })).toEqual({
      suite: 'lock',
      tortureType: 'rwsem_lock',
      onoff: false,
      preempt: false,
      smp: true,
    });
    // One CPU (TREE09): no migration, no other CPU's slab.
    expect(coverageFactsOf({ suite: 'rcu', kconfig: { ...hot, CONFIG_NR_CPUS: '1' }, bootParams: {} }).smp).toBe(false);
    expect(coverageFactsOf({ suite: 'rcu', kconfig: hot, bootParams: {} })).toEqual({ suite: 'rcu', tortureType: 'rcu', onoff: false, preempt: true, smp: true });
    // CONFIG_SMP=n (TINY01, which sets no CONFIG_NR_CPUS) is one CPU.
    expect(coverageFactsOf({ suite: 'rcu', kconfig: { CONFIG_SMP: 'n' }, bootParams: {} }).smp).toBe(false);
  });
});
