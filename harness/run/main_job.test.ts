import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runTortureUntil, scenarioConsole, type TortureRun } from '../test_support/run_until.js';

// The README's main job, end to end through bin/torture.js: TREE05 (8 CPUs, hotplug, lockdep)
// for 10 s (longer until it shows what it must), clean with the fix and caught with the seed bug's lock order.

interface Summary {
  verdict: string;
  gps: number;
  lockdepReports: number;
  hotplug: { onlineOk: number; offlineOk: number } | null;
  endOfTest: string | null;
}

function summaryOf(r: TortureRun): Summary | null {
  const f = path.join(r.dir, 'TREE05', 'summary.json');
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as Summary) : null;
}

/** 10 s, longer (up to 40 s) until the run shows `saw`: grace periods and an offline, or the seed report. */
const UNTIL = { fromSec: 10, capSec: 40 };

describe('torture --allcpus --duration 10s --configs TREE05', { timeout: 240_000 }, () => {
  it('ends End of test: SUCCESS, lockdep clean, with grace periods and CPU hotplug', async () => {
    const r = await runTortureUntil(['--allcpus', '--configs', 'TREE05'], (x) => (summaryOf(x)?.gps ?? 0) > 0 && (summaryOf(x)?.hotplug?.offlineOk ?? 0) > 0, UNTIL);
    expect(r.code, r.out).toBe(0);
    const summary = summaryOf(r);
    if (summary === null) throw new Error(`no TREE05/summary.json:\n${r.out}`);
    expect(summary.verdict).toBe('success');
    expect(summary.endOfTest).toBe('SUCCESS');
    expect(summary.lockdepReports).toBe(0);
    expect(summary.gps).toBeGreaterThan(0);
    expect(summary.hotplug?.offlineOk ?? 0).toBeGreaterThan(0);
    expect(r.out).toMatch(/^TREE05 ------- \d+ GPs \([\d.]+\/s\) \[rcu: g-?\d+ f\S+/m);
  });

  it('with slub.debug_key_under_slab_mutex=1 prints the seed report and fails, whether or not the inversion also deadlocks', async () => {
    const r = await runTortureUntil(['--allcpus', '--configs', 'TREE05', '--bootargs', 'slub.debug_key_under_slab_mutex=1'], (x) => scenarioConsole(x, 'TREE05').includes('WARNING: possible circular locking dependency detected'), UNTIL);
    expect(r.code, r.out).toBe(1);
    const c = scenarioConsole(r, 'TREE05');
    expect(c).toContain('WARNING: possible circular locking dependency detected');
    expect(c).toMatch(/rcu_torture_sta\/\d+ is trying to acquire lock:\n.*\(cpu_hotplug_lock\)\{\+\+\+\+\}-\{0:0\}, at: static_key_enable/);
    expect(c).toMatch(/but task is already holding lock:\n.*\(slab_mutex\)\{\+\.\+\.\}-\{3:3\}, at: kmem_cache_create_usercopy/);
    const chain1 = c.slice(c.indexOf('-> #1 (slab_mutex)'), c.indexOf('-> #0 (cpu_hotplug_lock)'));
    const offline = ['slub_cpu_dead', 'cpuhp_invoke_callback', '_cpu_down', 'cpu_down', 'remove_cpu', 'torture_offline', 'torture_onoff'];
    let at = 0;
    for (const fn of offline) {
      const i = chain1.indexOf(` ${fn} (`, at);
      expect(i, fn).toBeGreaterThan(0);
      at = i;
    }
    expect(r.out).toMatch(/lockdep: 1/);
    // Lockdep reports the order before it bites. Whether the guest then also deadlocks depends on
    // whether a kmem_cache_create() meets a CPU offline inside the window: both outcomes are real
    // (wake-ups are not polled, so a deadlock stays one). If it bites, the hung-task detector
    // must name the ABBA pair and the run still ends; otherwise rcutorture itself saw nothing.
    const hung = c.indexOf('INFO: task ');
    if (hung < 0) {
      expect(c).toContain('End of test: SUCCESS');
    } else {
      const tail = c.slice(hung);
      expect(tail).toMatch(/waiting \d+s for lock: \S+ \((cpu_hotplug_lock|slab_mutex)\)/);
      expect(tail).toMatch(/held by: \S+ on CPU \d+ \(blocked, itself waiting for \S+ \((slab_mutex|cpu_hotplug_lock)\)\)/);
      expect(tail).toContain('Kernel panic - not syncing: hung_task: blocked tasks');
    }
  });
});
