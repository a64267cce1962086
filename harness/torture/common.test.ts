/*
 * torture.c machinery in a real guest: torture_shuffle really moves the torture kthreads, and
 * none of them is scheduled on the shuffle-idle CPU while it is excluded, unless
 * torture.random_shuffle lets it keep its old mask (test_support/shuffle_watch.ts; the executor
 * model is harness/cpu/README.md).
 */
import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../guest/run_guest.js';
import { runTestGuest } from '../test_support/run_until.js';

describe('torture_shuffle', () => {
  it('moves every torture kthread off its CPU when that CPU is idled, and never schedules one on the idle CPU', async () => {
    const run = await runTestGuest({
      nrCpus: 4,
      durationSec: 60,
      bootParams: { 'shuffle_watch.interval': '40', 'shuffle_watch.run_jiffies': '1200' },
      modules: [distModuleUrl('kernels/cpu/hotplug'), distModuleUrl('harness/torture/test_support/shuffle_watch')],
    });
    expect(run.console).toContain('shuffle_watch: tasks=3 moved=3 on_idle=0 silent=0 samples=yes');
    // Each task's CPU history: where it started, then at least one other CPU.
    for (let k = 0; k < 3; k++) expect(run.console).toMatch(new RegExp(`shuffle_watch: task ${k}: cpus \\d+(>\\d+)+ migrations [1-9]\\d* on_idle 0`));
    expect(run.console).toContain('shuffle_watch-torture: torture_shuffle task started');
    expect(run.code).toBe(0);
  });

  it('with torture.random_shuffle=1 a task takes each new mask only half the time: some stay on the idled CPU', async () => {
    const run = await runTestGuest({
      nrCpus: 4,
      durationSec: 60,
      bootParams: { 'shuffle_watch.interval': '40', 'shuffle_watch.run_jiffies': '1200', 'torture.random_shuffle': '1' },
      modules: [distModuleUrl('kernels/cpu/hotplug'), distModuleUrl('harness/torture/test_support/shuffle_watch')],
    });
    // Without random_shuffle on_idle is 0 (above); here tasks that kept their old mask were found
    // on the idle CPU, and the shuffles still moved every task at some point.
    const m = /shuffle_watch: tasks=3 moved=(\d) on_idle=(\d+) silent=0 samples=yes/.exec(run.console);
    expect(m, run.console.split('\n').slice(-20).join('\n')).not.toBeNull();
    expect(Number(m?.[1])).toBeGreaterThanOrEqual(1);
    expect(Number(m?.[2])).toBeGreaterThan(0);
    expect(run.code).toBe(0);
  });
});
