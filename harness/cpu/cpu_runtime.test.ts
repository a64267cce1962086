import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../guest/run_guest.js';
import { runTestGuest } from '../test_support/run_until.js';

describe('CpuRuntime in a real guest', () => {
  it('passes a token around 4 CPUs with cross-CPU sleeps and wake-ups, timers in softirq', async () => {
    const run = await runTestGuest({ nrCpus: 4, durationSec: 20, modules: [distModuleUrl('harness/cpu/test_support/token_ring')] });
    expect(run.console).toContain('token_ring: 200 rounds over 4 CPUs, token 800');
    expect(run.console).toContain('timer: softirq=true hardirq=false task=false interrupt=true');
    expect(run.console).toContain('flags: irqsoff=true bh_in_interrupt=true after=false/false');
    expect(run.console).toMatch(/^\[ {4}0\.\d{6}\] Linux version /m);
    expect(run.code).toBe(0);
    expect(run.result?.end).toBe('poweroff');
  });

  it('wakes sleepers on CPUs beyond 32: a 40-CPU ring on one wait queue (multi-word CPU masks)', async () => {
    // Sleeps without a timeout: a wake-up lost for a CPU >= 32 strands the ring, a hung task.
    const run = await runTestGuest({
      nrCpus: 40,
      durationSec: 60,
      bootParams: { 'token_ring.rounds': '3' },
      modules: [distModuleUrl('harness/cpu/test_support/token_ring')],
    });
    expect(run.console).toContain('smp: Brought up 1 node, 40 CPUs');
    expect(run.console).toContain('token_ring: 3 rounds over 40 CPUs, token 120');
    expect(run.code).toBe(0);
    expect(run.result?.end).toBe('poweroff');
  });

  it('prints an Oops with the stack of the failing task and fails only that task', async () => {
    const run = await runTestGuest({ nrCpus: 2, durationSec: 10, modules: [distModuleUrl('harness/cpu/test_support/oops')] });
    expect(run.console).toMatch(/Oops: TypeError: boom from a kernel task \[#1\] SMP/);
    expect(run.console).toMatch(/CPU: 0 PID: \d+ Comm: oops_task/);
    expect(run.console).toMatch(/rcu_torture_boom \(harness\/cpu\/test_support\/oops\.ts:\d+\)/);
    expect(run.console).toContain('survivor: still running after the oops');
    expect(run.code).toBe(1);
    expect(run.result?.problems.join('\n')).toContain('Oops on CPU 0');
  });

  it('detects a task blocked on a lock, says who holds it, and stops the guest', async () => {
    const run = await runTestGuest({
      nrCpus: 2,
      durationSec: 30,
      bootParams: { 'oops_test.hang': '1', hung_task_timeout_secs: '1' },
      modules: [distModuleUrl('harness/cpu/test_support/oops')],
    });
    expect(run.console).toMatch(/INFO: task waiter:\d+ blocked for more than 1 seconds\./);
    expect(run.console).toMatch(/held by: holder\/\d+ on CPU 0 \(blocked\)/);
    expect(run.console).toMatch(/1 lock held by holder\/\d+:/);
    expect(run.result?.end).toBe('hang');
    expect(run.code).toBe(1);
  });

  it.each([['PREEMPT_NONE', 'n'], ['PREEMPT', 'y']])(
    'takes a CPU down under a task holding a mutex: the task unlocks on another CPU, a bound task parks, lockdep stays clean (%s)',
    async (_name, preempt) => {
      const run = await runTestGuest({
        nrCpus: 3,
        durationSec: 60,
        kconfig: { CONFIG_PREEMPT: preempt, CONFIG_PROVE_LOCKING: 'y', CONFIG_DEBUG_LOCK_ALLOC: 'y' },
        bootParams: { 'hotplug_migrate.cycles': '10' },
        modules: [distModuleUrl('kernels/cpu/hotplug'), distModuleUrl('harness/cpu/test_support/hotplug_migrate')],
      });
      // Every cycle: locked on CPU 1, CPU 1 offline under the holder, unlocked elsewhere.
      const reader = preempt === 'y' ? 10 : 0;
      expect(run.console).toContain(`hotplug_migrate: offlines=10 moved=10 reader_moved=${reader} bound_ran=yes violations=0 online=true`);
      expect(run.console).toMatch(/hotplug_migrate: cycle 10: locked on CPU 1, unlocked on CPU [02]\b/);
      expect(run.console).not.toMatch(/WARNING|BUG|possible .* dependency|lockdep/);
      expect(run.code).toBe(0);
      expect(run.result?.end).toBe('poweroff');
    },
  );
});

describe('idleHaltMs(): an idle CPU wakes when its timer is due', () => {
  it('halts to the jiffy boundary itself, not a whole jiffy past floor(now)', async () => {
    const { idleHaltMs } = await import('./cpu_runtime.js');
    // 100.9 ms after boot (jiffy 100), a timer due at jiffy 101 is due in 0.1 ms (the slack aside).
    expect(idleHaltMs(100.9, 101)).toBeGreaterThanOrEqual(0.1);
    expect(idleHaltMs(100.9, 101)).toBeLessThan(0.2);
    expect(idleHaltMs(100.0, 101)).toBeCloseTo(1.02, 5);
    // Due already: no halt. Far or none: the idle slice, so power-off and heartbeats are seen.
    expect(idleHaltMs(101.5, 101)).toBe(0);
    expect(idleHaltMs(0, 10_000)).toBe(100);
    expect(idleHaltMs(0, Infinity)).toBe(100);
    // A fractional expiry is due at the jiffy after it (jiffies() is a floor): no zero halt before.
    expect(idleHaltMs(100.5, 100.7)).toBeGreaterThan(0.5);
  });
});
