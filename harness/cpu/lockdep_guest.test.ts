import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../guest/run_guest.js';
import { runGuestUntil, runTestGuest } from '../test_support/run_until.js';

describe('lockdep in a guest', () => {
  it('reports A->B on CPU 0 then, a second later, B->A on CPU 1 as a circular dependency with both stacks', async () => {
    const run = await runTestGuest({
      nrCpus: 2,
      durationSec: 10,
      kconfig: { CONFIG_PROVE_LOCKING: 'y' },
      modules: [distModuleUrl('harness/cpu/test_support/abba')],
    });
    const c = run.console;
    expect(c).toContain('WARNING: possible circular locking dependency detected');
    expect(c).toMatch(/abba_second\/\d+ is trying to acquire lock:\n.*\(lock_a\)\{\+\.\+\.\}-\{3:3\}, at: take_b_then_a/);
    expect(c).toMatch(/-> #1 \(lock_b\)\{\+\.\+\.\}-\{3:3\}:\n.*mutex_lock \(kernels\/locking\/mutex\.ts:\d+\)\n.*take_a_then_b/);
    expect(c).toMatch(/-> #0 \(lock_a\)\{\+\.\+\.\}-\{3:3\}:\n.*mutex_lock \(kernels\/locking\/mutex\.ts:\d+\)\n.*take_b_then_a/);
    expect(c).toMatch(/CPU: 1 PID: \d+ Comm: abba_second Not tainted/);
    expect(run.result?.findings.join('\n')).toMatch(/lockdep: .*circular/);
    expect(run.result?.end).toBe('poweroff');
  });
});

describe('sleeping in an RCU reader', () => {
  it('is suspicious RCU usage under PROVE_LOCKING (PREEMPT_NONE)', async () => {
    const run = await runTestGuest({
      nrCpus: 1,
      durationSec: 10,
      kconfig: { CONFIG_PROVE_LOCKING: 'y' },
      modules: [distModuleUrl('harness/cpu/test_support/rcu_sleep')],
    });
    expect(run.console).toContain('WARNING: suspicious RCU usage');
    expect(run.console).toMatch(/harness\/cpu\/test_support\/rcu_sleep\.ts:\d+ Illegal context switch in RCU read-side critical section!/);
    expect(run.result?.findings.length).toBeGreaterThan(0);
  });

  it('is a WARN with preemptible RCU', async () => {
    const run = await runTestGuest({
      nrCpus: 1,
      durationSec: 10,
      kconfig: { CONFIG_PREEMPT: 'y' },
      modules: [distModuleUrl('harness/cpu/test_support/rcu_sleep')],
    });
    expect(run.console).toContain('Voluntary context switch within RCU read-side critical section!');
    expect(run.console).toMatch(/WARNING: CPU: 0 PID: \d+ at harness\/cpu\/test_support\/rcu_sleep\.ts:\d+ rcu_note_context_switch/);
  });
});

describe('CONFIG_DEBUG_LOCKING_API_SELFTESTS=y', () => {
  it('runs the locking API selftest at boot and prints the kernel table', { timeout: 120_000 }, async () => {
    // 2 s of locktorture after the selftest, longer until the run has ended in its own time.
    const run = await runGuestUntil(
      (secs) => ({
        suite: 'lock',
        nrCpus: 2,
        durationSec: secs + 1,
        kconfig: { CONFIG_PROVE_LOCKING: 'y', CONFIG_DEBUG_LOCKING_API_SELFTESTS: 'y' },
        bootParams: { 'locktorture.shutdown_secs': String(secs), 'locktorture.stat_interval': '1' },
      }),
      (r) => r.console.includes('End of test: SUCCESS'),
      { fromSec: 2, capSec: 16 },
    );
    expect(run.console).toContain('| Locking API testsuite:');
    expect(run.console).toMatch(/Good, all +\d+ testcases passed! \|/);
    expect(run.console).toContain('End of test: SUCCESS');
  });
});
