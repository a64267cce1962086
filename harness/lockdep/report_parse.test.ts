import { describe, expect, it } from 'vitest';
import { cycleEdges, parseCircularReports } from './report_parse.js';

// The seed's circular report as a guest's console prints it (trimmed stacks).
const REPORT = `[    3.393447] ======================================================
[    3.393447] WARNING: possible circular locking dependency detected
[    3.393447] 0.1.0-torture #1 Not tainted
[    3.393447] ------------------------------------------------------
[    3.393447] rcu_torture_sta/16 is trying to acquire lock:
[    3.393447] ffffffff80c01a00 (cpu_hotplug_lock){++++}-{0:0}, at: static_key_enable (kernels/jump_label.ts:68)
[    3.393447] 
[    3.393447] but task is already holding lock:
[    3.393447] ffffffff80c42340 (slab_mutex){+.+.}-{3:3}, at: kmem_cache_create_usercopy (kernels/mm/slab_common.ts:49)
[    3.393447] 
[    3.393447] which lock already depends on the new lock.
[    3.393447] 
[    3.393447] the existing dependency chain (in reverse order) is:
[    3.393447] 
[    3.393447] -> #1 (slab_mutex){+.+.}-{3:3}:
[    3.393447]       mutex_lock (kernels/locking/mutex.ts:117)
[    3.393447]       slub_cpu_dead (kernels/mm/slub.ts:270)
[    3.393447] 
[    3.393447] -> #0 (cpu_hotplug_lock){++++}-{0:0}:
[    3.393447]       percpu_down_read (kernels/locking/percpu_rwsem.ts:107)
[    3.393447]       cpus_read_lock (kernels/cpu/hotplug.ts:73)
[    3.393447] 
[    3.393447] other info that might help us debug this:
[    3.393447] 
[    3.393447]  Possible unsafe locking scenario:
`;

describe('parseCircularReports', () => {
  it('reads the task, both locks, the chain with its stacks and the cycle', () => {
    const [r, more] = parseCircularReports(`[    1.0] boot\n${REPORT}[    4.0] later\n`);
    expect(more).toBeUndefined();
    expect(r?.task).toBe('rcu_torture_sta/16');
    expect(r?.acquiring).toBe('cpu_hotplug_lock');
    expect(r?.held).toBe('slab_mutex');
    expect(r?.chain.map((c) => [c.index, c.cls, c.stack.length])).toEqual([
      [0, 'cpu_hotplug_lock', 2],
      [1, 'slab_mutex', 2],
    ]);
    expect(r?.chain[0]?.stack[0]).toBe('percpu_down_read (kernels/locking/percpu_rwsem.ts:107)');
    expect(r?.cycle).toEqual(['cpu_hotplug_lock', 'slab_mutex']);
    // #1 was taken holding #0; the new dependency closes the cycle from the held lock.
    expect(cycleEdges(r?.cycle ?? [])).toEqual([
      ['cpu_hotplug_lock', 'slab_mutex'],
      ['slab_mutex', 'cpu_hotplug_lock'],
    ]);
  });

  it('reads unstamped text (torture lockdep output) and finds nothing in a clean console', () => {
    expect(parseCircularReports(REPORT.replace(/^\[[^\]]*\] ?/gm, ''))[0]?.cycle).toEqual(['cpu_hotplug_lock', 'slab_mutex']);
    expect(parseCircularReports('[    1.0] rcu-torture: --- End of test: SUCCESS\n')).toEqual([]);
  });
});
