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

describe('lockdep misuse reports in a guest (test module lockdep_misuse)', () => {
  const modules = [distModuleUrl('harness/cpu/test_support/lockdep_misuse')];
  const guest = (bug: string, kconfig: Record<string, string> = {}) =>
    runTestGuest({ nrCpus: 2, durationSec: 20, kconfig: { CONFIG_PROVE_LOCKING: 'y', ...kconfig }, bootParams: bug === '' ? {} : { 'lockdep_misuse.bug': bug }, modules });

  it('each planted misuse is its kernel report and fails the guest; unplanted, even with PROVE_RAW_LOCK_NESTING, the guest is clean', async () => {
    const [clean, cleanNesting, rawOff, rawOn, unlock, exit] = await Promise.all([
      guest(''),
      guest('', { CONFIG_PROVE_RAW_LOCK_NESTING: 'y' }),
      guest('raw_nesting'),
      guest('raw_nesting', { CONFIG_PROVE_RAW_LOCK_NESTING: 'y' }),
      guest('bad_unlock'),
      guest('exit_held'),
    ]);
    for (const r of [clean, cleanNesting, rawOff]) {
      expect(r.console).toContain('lockdep_misuse: done');
      expect(r.console).not.toMatch(/={10,}/);
      expect(r.code).toBe(0);
    }
    // check_wait_context(): spinlock_t (LD_WAIT_CONFIG, 3) inside raw_spinlock_t (LD_WAIT_SPIN, 2).
    const w = rawOn.console;
    expect(w).toMatch(/\] =============================\n.*\] \[ BUG: Invalid wait context \]\n.*\] 0\.1\.0-torture #1 Not tainted\n.*\] -----------------------------\n/);
    expect(w).toMatch(/\] misuse_main\/\d+ is trying to lock:\n.*\] [0-9a-f]{16} \(misuse_spin_lock\)\{\.\.\.\.\}-\{3:3\}, at: misuse_raw_nesting \(harness\/cpu\/test_support\/lockdep_misuse\.ts:\d+\)\n.*\] other info that might help us debug this:\n.*\] context-\{2:2\}\n.*\] 1 lock held by misuse_main\/\d+:\n.*\]  #0: [0-9a-f]{16} \(misuse_raw_lock\)\{\+\.\+\.\}-\{2:2\}, at: /);
    expect(w).toMatch(/\] stack backtrace:\n.*\] CPU: 0 PID: \d+ Comm: misuse_main Not tainted/);
    expect(rawOn.result?.findings.join('\n')).toMatch(/lockdep: \[ BUG: Invalid wait context \]/);
    // print_unlock_imbalance_bug().
    expect(unlock.console).toMatch(/\] =====================================\n.*\] WARNING: bad unlock balance detected!\n.*\n.*\] -------------------------------------\n.*\] misuse_main\/\d+ is trying to release lock \(misuse_mutex\) at:\n.*\] \[<[0-9a-f]{16}>\] misuse_release_others \(harness\/cpu\/test_support\/lockdep_misuse\.ts:\d+\)\n.*\] but there are no more locks to release!\n.*\] \n.*\] other info that might help us debug this:\n.*\] no locks held by misuse_main\/\d+\.\n/);
    expect(unlock.result?.findings.join('\n')).toMatch(/lockdep: WARNING: bad unlock balance detected!/);
    // print_held_locks_bug() from the task's exit (do_exit()'s debug_check_no_locks_held()).
    expect(exit.console).toMatch(/\] ====================================\n.*\] WARNING: misuse_exiter\/\d+ still has locks held!\n.*\n.*\] ------------------------------------\n.*\] 1 lock held by misuse_exiter\/\d+:\n.*\]  #0: [0-9a-f]{16} \(misuse_exit_mutex\)\{\+\.\+\.\}-\{3:3\}, at: /);
    expect(exit.result?.findings.join('\n')).toMatch(/lockdep: WARNING: misuse_exiter\/\d+ still has locks held!/);
    for (const r of [rawOn, unlock, exit]) expect(r.result?.findings.length).toBeGreaterThan(0);
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
