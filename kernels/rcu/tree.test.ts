/*
 * Tree RCU under rcutorture in real guests (worker-thread CPUs, compiled dist/): a deliberately
 * broken grace period is caught by the pipe check, and preemptible RCU with readers preempted
 * inside their critical sections passes.
 */
import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../../harness/guest/run_guest.js';
import { runGuestUntil, runTestGuest } from '../../harness/test_support/run_until.js';

const BASE = {
  CONFIG_SMP: 'y',
  CONFIG_NR_CPUS: '4',
  CONFIG_HOTPLUG_CPU: 'y',
  CONFIG_RCU_FANOUT: '2',
  CONFIG_RCU_FANOUT_LEAF: '2',
};

function boot(extra: Record<string, string>, secs = 4): Record<string, string> {
  return {
    'rcutorture.stat_interval': '1',
    'rcutorture.shutdown_secs': String(secs),
    'rcutorture.onoff_interval': '100',
    'rcutorture.onoff_holdoff': '1',
    'rcutorture.n_barrier_cbs': '2',
    'rcutorture.stutter': '0',
    ...extra,
  };
}

function lastPipe(console: string): number[] {
  const lines = console.split('\n').filter((l) => l.includes('Reader Pipe:'));
  const last = lines[lines.length - 1] ?? '';
  return (last.split('Reader Pipe:')[1] ?? '').trim().split(/\s+/).map(Number);
}

describe('Tree RCU', () => {
  it('a reader preempted inside its critical section holds up synchronize_rcu() (PREEMPT=y)', async () => {
    const run = await runTestGuest({
      suite: 'rcu',
      nrCpus: 2,
      kconfig: { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '2', CONFIG_PREEMPT: 'y' },
      durationSec: 5,
      modules: [distModuleUrl('kernels/cpu/hotplug'), distModuleUrl('kernels/rcu/test_support/preempted_reader')],
    });
    expect(run.console).toContain('preempted-reader: OK');
    expect(run.result?.end).toBe('poweroff');
  });

  it('migrates a dead CPU\'s callbacks; rcu_barrier() then sees each run exactly once', async () => {
    const run = await runTestGuest({
      suite: 'rcu',
      nrCpus: 3,
      kconfig: { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '3', CONFIG_PREEMPT: 'n', CONFIG_HOTPLUG_CPU: 'y' },
      durationSec: 5,
      modules: [distModuleUrl('kernels/cpu/hotplug'), distModuleUrl('kernels/rcu/test_support/cb_migrate')],
    });
    expect(run.console).toContain('cb-migrate: OK remove_cpu=0 pending-before=20 pending-after=0 adopted=20 invoked=20/20');
    expect(run.console).not.toContain('WARNING:');
  });

  it('rcutree.test_skip_migrate=1: callbacks left on the offline CPU are the kernel\'s WARN_ONCE in rcutree_migrate_callbacks()', async () => {
    const run = await runTestGuest({
      suite: 'rcu',
      nrCpus: 3,
      kconfig: { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '3', CONFIG_PREEMPT: 'n', CONFIG_HOTPLUG_CPU: 'y' },
      bootParams: { 'rcutree.test_skip_migrate': '1' },
      durationSec: 5,
      modules: [distModuleUrl('kernels/cpu/hotplug'), distModuleUrl('kernels/rcu/test_support/cb_migrate')],
    });
    const c = run.console;
    expect(c).toContain('------------[ cut here ]------------');
    expect(c).toMatch(/\] rcu_cleanup_dead_cpu: Callbacks on offline CPU 1: qlen=20, 1stCB=[0-9a-f]{16}\n/);
    expect(c).toMatch(/WARNING: CPU: 0 PID: \d+ at rcutree_migrate_callbacks \(kernels\/rcu\/tree\.ts:\d+\)/);
    expect(c).toContain('cb-migrate: FAIL remove_cpu=0 pending-before=20 pending-after=20 adopted=0');
    expect(run.result?.findings ?? []).not.toEqual([]);
  });
});

/** total-gps of the End-test grace-period state line (0 without one). */
function totalGps(console: string): number {
  const m = /End-test grace-period state: g(-?\d+) f\S+ total-gps=(\d+)/.exec(console);
  return Number(m?.[2] ?? 0);
}

/** rcutorture runs: 4 s, twice as long up to 16 s until the event the test expects. */
const UNTIL = { fromSec: 4, capSec: 16 };

describe('Tree RCU under rcutorture', { timeout: 120_000 }, () => {
  it('catches a grace period that ends before its readers finish (rcutree.test_broken_gp=1)', async () => {
    // 4 s, longer until the pipe check has caught it.
    const run = await runGuestUntil(
      (secs) => ({ suite: 'rcu', nrCpus: 4, kconfig: { ...BASE, CONFIG_PREEMPT: 'n' }, bootParams: boot({ 'rcutree.test_broken_gp': '1', 'rcutorture.gp_sync': '1' }, secs), durationSec: secs }),
      (r) => r.console.includes('rcu-torture: !!! Reader Pipe:'),
      UNTIL,
    );
    expect(run.console).toContain('rcu-torture: !!! Reader Pipe:');
    expect(run.console).toContain('rcu-torture:--- End of test: FAILURE');
    const pipe = lastPipe(run.console);
    expect(pipe).toHaveLength(11);
    expect(pipe.slice(2).some((v) => v > 0)).toBe(true);
  });

  it('preemptible RCU: readers preempted inside critical sections hold up GPs, and the run passes', async () => {
    // 4 s, longer until more than 50 grace periods have ended.
    const run = await runGuestUntil(
      (secs) => ({ suite: 'rcu', nrCpus: 4, kconfig: { ...BASE, CONFIG_PREEMPT: 'y' }, bootParams: boot({ 'rcutree.gp_init_delay': '1' }, secs), durationSec: secs }),
      (r) => totalGps(r.console) > 50,
      UNTIL,
    );
    expect(run.result?.end).toBe('poweroff');
    expect(run.console).toContain('rcu-torture:--- End of test: SUCCESS');
    expect(run.console).not.toContain('!!!');
    expect(totalGps(run.console)).toBeGreaterThan(50);
    const pipe = lastPipe(run.console);
    expect(pipe.slice(2).every((v) => v === 0)).toBe(true);
  });
});
