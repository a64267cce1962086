/*
 * The seed (kernels/README.md, "The seed bug"): with slub.debug_key_under_slab_mutex=1 (commit 1f0723a4c0df's
 * order) and CPU hotplug, lockdep reports the cpu_hotplug_lock / slab_mutex cycle in the seed's
 * shape; with the default (the fix, afe0c26d1968) the same run is lockdep-clean.
 */
import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../../harness/guest/run_guest.js';
import type { GuestRun } from '../../harness/guest/run_guest.js';
import { runGuestUntil, runTestGuest } from '../../harness/test_support/run_until.js';

const TREE05ISH = {
  CONFIG_SMP: 'y',
  CONFIG_NR_CPUS: '4',
  CONFIG_PREEMPT: 'n',
  CONFIG_HOTPLUG_CPU: 'y',
  CONFIG_RCU_FANOUT: '6',
  CONFIG_RCU_FANOUT_LEAF: '6',
  CONFIG_DEBUG_LOCK_ALLOC: 'y',
  CONFIG_PROVE_LOCKING: 'y',
};

const BOOT = {
  'rcutorture.stat_interval': '1',
  'rcutorture.onoff_interval': '50',
  'rcutorture.onoff_holdoff': '0',
  'rcutorture.stutter': '0',
};

function section(console: string, from: string, to: string): string {
  const a = console.indexOf(from);
  const b = console.indexOf(to, a + 1);
  return a < 0 ? '' : console.slice(a, b < 0 ? undefined : b);
}

/**
 * The TREE05-like rcutorture run of every test here, with extra boot parameters: 4 s, twice as
 * long (up to 16 s) until the console shows what the test waits for.
 */
function seedRun(extra: Readonly<Record<string, string>>, saw: (console: string) => boolean): Promise<GuestRun> {
  return runGuestUntil(
    (secs) => ({ suite: 'rcu', nrCpus: 4, kconfig: TREE05ISH, bootParams: { ...BOOT, 'rcutorture.shutdown_secs': String(secs), ...extra }, durationSec: secs, shutdownGraceSec: 15 }),
    (r) => saw(r.console),
    { fromSec: 4, capSec: 16 },
  );
}

describe('kmem_cache_create vs CPU offline (the seed)', { timeout: 120_000 }, () => {
  it('debug_key_under_slab_mutex=1: the circular report on cpu_hotplug_lock and slab_mutex, seed-shaped', async () => {
    const run = await seedRun({ 'slub.debug_key_under_slab_mutex': '1' }, (c) => c.includes('other info that might help us debug this:'));
    const c = run.console;
    expect(c).toContain('WARNING: possible circular locking dependency detected');
    expect(c).toMatch(/rcu_torture_sta\/\d+ is trying to acquire lock:/);
    expect(c).toMatch(/\(cpu_hotplug_lock\)\{\+\+\+\+\}-\{0:0\}, at: static_key_enable/);
    expect(c).toMatch(/\(slab_mutex\)\{\+\.\+\.\}-\{3:3\}, at: kmem_cache_create_usercopy/);
    const offline = section(c, '-> #1 (slab_mutex)', '-> #0');
    for (const fn of ['slub_cpu_dead', 'cpuhp_invoke_callback', '_cpu_down', 'cpu_down', 'remove_cpu', 'torture_offline', 'torture_onoff']) {
      expect(offline).toContain(fn);
    }
    const create = section(c, '-> #0 (cpu_hotplug_lock)', 'other info');
    for (const fn of ['cpus_read_lock', 'static_key_enable', '__kmem_cache_create', 'kmem_cache_create_usercopy', 'kmem_cache_create', 'rcu_torture_stats']) {
      expect(create).toContain(fn);
    }
  });

  it('the fix (default): same run, no lockdep report, SUCCESS, CPUs went offline', async () => {
    // Until CPUs went offline and back with real work on the offline path.
    const run = await seedRun({}, (c) => Number(lastOnoff(c)?.[3] ?? 0) > 0 && Object.values(deadWork(c)).every((n) => n > 0));
    const c = run.console;
    expect(c).not.toContain('possible circular locking dependency');
    expect(c).not.toMatch(/WARNING:|BUG:/);
    expect(c).toContain('rcu-torture:--- End of test: SUCCESS');
    expect(c).toContain('mem_dump_obj() slab test:');
    expect(c).toMatch(/mem_dump_obj\([0-9a-f]{16}\): slab rcuscale start [0-9a-f]{16} pointer offset 0 allocated at rcu_torture_stats/);
    const onoff = lastOnoff(c);
    expect(Number(onoff?.[3] ?? 0)).toBeGreaterThan(0);
    // The offline path had real work: CPU slabs holding objects, callbacks on dying CPUs.
    const work = deadWork(c);
    expect(work.cpuSlabs).toBeGreaterThan(0);
    expect(work.objects).toBeGreaterThan(0);
    expect(work.callbacks).toBeGreaterThan(0);
    expect(work.rdrAllocs).toBeGreaterThan(0);
  });

  it('slub_debug=FZPU with 1f0723a4c0df\'s order: the same cycle (the create path keys on the caller\'s flags)', async () => {
    const run = await seedRun({ 'slub.debug_key_under_slab_mutex': '1', slub_debug: 'FZPU' }, (c) => c.includes('other info that might help us debug this:'));
    const c = run.console;
    expect(c).toContain('WARNING: possible circular locking dependency detected');
    expect(c).toMatch(/\(cpu_hotplug_lock\)\{\+\+\+\+\}-\{0:0\}, at: static_key_enable/);
    expect(c).toMatch(/\(slab_mutex\)\{\+\.\+\.\}-\{3:3\}, at: kmem_cache_create_usercopy/);
    expect(c).not.toMatch(/\] BUG /);
  });

  it('slub_debug=FZPU with the fix: clean, every cache a debug cache, mem_dump_obj() names the red zone as data offset', async () => {
    const run = await seedRun({ slub_debug: 'FZPU' }, (c) => c.includes('mem_dump_obj() slab test:') && c.includes('End of test'));
    const c = run.console;
    expect(c).not.toMatch(/WARNING:|BUG/);
    expect(c).toContain('rcu-torture:--- End of test: SUCCESS');
    expect(c).toMatch(/mem_dump_obj\(([0-9a-f]{16})\): slab rcuscale start ([0-9a-f]{16}) data offset 8 pointer offset 0 allocated at rcu_torture_stats \(harness\/torture\/rcu_torture_stats\.ts:\d+\)\n.*\]     rcu_torture_stats /);
    expect(c).toMatch(/mem_dump_obj\([0-9a-f]{16}\): slab rcuscale start [0-9a-f]{16} data offset 8 pointer offset 8 allocated at /);
  });

  it('cpuhp.test_dead_early=1 under rcutorture: slub_cpu_dead() warns', async () => {
    const run = await seedRun({ 'cpuhp.test_dead_early': '1' }, (c) => /WARNING: CPU: \d+ PID: \d+ at slub_cpu_dead /.test(c));
    const c = run.console;
    expect(c).toMatch(/\] slub_cpu_dead: CPU [1-3]: a cache flushed while its CPU still runs\n.*WARNING: CPU: \d+ PID: \d+ at slub_cpu_dead \(kernels\/mm\/slub\.ts:\d+\)/);
    expect(run.result?.findings.some((f) => f.includes('at slub_cpu_dead'))).toBe(true);
  });
});

/** The last onoff stats line, parsed ([3]: successful onlines). */
function lastOnoff(c: string): RegExpExecArray | null {
  return /onoff: (\d+)\/(\d+):(\d+)\/(\d+)/.exec(c.split('\n').filter((l) => l.includes('onoff:')).pop() ?? '');
}

/** The last `cpuhp dead work:` stats line of rcutorture. */
function deadWork(c: string): { cpuSlabs: number; objects: number; callbacks: number; rdrAllocs: number } {
  const line = c.split('\n').filter((l) => l.includes('cpuhp dead work:')).pop() ?? '';
  const m = /slub_cpu_dead: \d+ calls (\d+) cpu slabs (\d+) objects rcutree_migrate_callbacks: (\d+) callbacks from \d+ CPUs rdr-allocs: (\d+)/.exec(line);
  return { cpuSlabs: Number(m?.[1] ?? 0), objects: Number(m?.[2] ?? 0), callbacks: Number(m?.[3] ?? 0), rdrAllocs: Number(m?.[4] ?? 0) };
}

describe('slub_cpu_dead()', () => {
  const SLAB_HOTPLUG = {
    suite: 'rcu' as const,
    nrCpus: 2,
    kconfig: { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '2', CONFIG_HOTPLUG_CPU: 'y', CONFIG_PROVE_LOCKING: 'y' },
    durationSec: 5,
    modules: [distModuleUrl('kernels/cpu/hotplug'), distModuleUrl('kernels/mm/test_support/slab_hotplug')],
  };

  it('flushes a dead CPU\'s slab (its private freelist and a remote free) back to the node\'s partial list', async () => {
    const run = await runTestGuest(SLAB_HOTPLUG);
    // 64-byte objects: 32 per 2 KiB slab; CPU 1 kept 3 allocated, so 29 sat on its freelist.
    expect(run.console).toContain('slab-hotplug: OK: slub_cpu_dead flushed 1 cpu slab, 29 objects');
    expect(run.console).not.toContain('WARNING:');
  });

  it('cpuhp.test_dead_early=1: a cache flushed while its CPU still runs is slub_cpu_dead()\'s WARN', async () => {
    const run = await runTestGuest({ ...SLAB_HOTPLUG, bootParams: { 'cpuhp.test_dead_early': '1' } });
    const c = run.console;
    expect(c).toContain('------------[ cut here ]------------');
    expect(c).toMatch(/\] slub_cpu_dead: CPU 1: a cache flushed while its CPU still runs\n.*WARNING: CPU: \d+ PID: \d+ at slub_cpu_dead \(kernels\/mm\/slub\.ts:\d+\)\n/);
    expect(c).toMatch(/Call Trace:\n.* slub_cpu_dead .*\n.* cpuhp_invoke_callback .*\n.* cpuhp_invoke_callback_range .*\n.* _cpu_down /);
    expect(run.result?.findings ?? []).toHaveLength(1);
  });
});
