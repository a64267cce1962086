import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../../harness/guest/run_guest.js';
import { runTestGuest } from '../../harness/test_support/run_until.js';

const BLOCKED = /INFO: task (ww_abba_\d):(\d+) blocked for more than (\d+) seconds\./;
const DONE = /ww_abba: done: rounds=(\d+) backoffs=(\d+)/;

function tail(console: string): string {
  return `console tail:\n${console.split('\n').slice(-40).join('\n')}`;
}

/** A coverage counter from the guest's closing block (`coverage: NAME COUNT ...`). */
function covCount(console: string, name: string): number {
  const m = new RegExp(`coverage: ${name.replace('.', '\\.')} (\\d+)`).exec(console);
  return Number(m?.[1] ?? -1);
}

describe('ww_mutex: two contexts take the same two locks in opposite orders (kernels/locking/test_support/ww_abba.ts)', () => {
  it('wait-die and wound-wait: one context backs off with -EDEADLK each round and both complete; with ww_mutex.test_broken_wound=1 they deadlock and khungtaskd reports them', async () => {
    const modules = [distModuleUrl('kernels/locking/test_support/ww_abba')];
    // Lockdep on in the good runs: the two ww_mutexes share one class, taken under the context's
    // nest_lock, which must not be a recursive-locking report; nor may any DEBUG_LOCKS_WARN_ON fire.
    const kconfig = { CONFIG_PROVE_LOCKING: 'y', CONFIG_DEBUG_LOCK_ALLOC: 'y' };
    // The boot-time locking self-test runs the ww family on CPU 0 on a kapi of its own first: the
    // CPU's kapi, and what the ww code reads from it (Kconfig, the planted switch), must survive it.
    const selftests = { CONFIG_DEBUG_LOCKING_API_SELFTESTS: 'y' };
    const [waitDie, woundWait, broken] = await Promise.all([
      runTestGuest({ nrCpus: 2, durationSec: 60, kconfig: { ...kconfig, ...selftests }, modules }),
      runTestGuest({ nrCpus: 2, durationSec: 60, kconfig, bootParams: { 'ww_abba.wound_wait': '1' }, modules }),
      runTestGuest({ nrCpus: 2, durationSec: 60, kconfig: selftests, bootParams: { 'ww_mutex.test_broken_wound': '1', hung_task_timeout_secs: '3' }, modules }),
    ]);
    for (const run of [waitDie, woundWait]) {
      const m = DONE.exec(run.console);
      expect(m, tail(run.console)).not.toBeNull();
      // Every round is a real AB-BA: exactly one of the two backs off in each.
      expect(m?.[2]).toBe(m?.[1]);
      expect(run.console).not.toMatch(/WARNING:|BUG:|possible recursive locking|DEBUG_LOCKS_WARN_ON/);
      expect(run.code).toBe(0);
      expect(covCount(run.console, 'ww_mutex.kill')).toBe(20);
      expect(covCount(run.console, 'ww_mutex.lock_slow')).toBe(20);
    }
    for (const run of [waitDie, broken]) {
      expect(run.console).toContain('  | Wound/wait tests |');
      expect(run.console).toMatch(/Good, all \d+ testcases passed! \|/);
    }
    // Wound-wait: the older context wounded the younger holder, which was woken out of its wait.
    expect(covCount(woundWait.console, 'ww_mutex.wound')).toBeGreaterThan(0);
    expect(covCount(waitDie.console, 'ww_mutex.wound')).toBe(0);

    // One of the pair's blocks (the report lists every hung task, in pid order).
    const m = BLOCKED.exec(broken.console);
    expect(m?.[1], tail(broken.console)).toMatch(/^ww_abba_[01]$/);
    expect([...broken.console.matchAll(new RegExp(BLOCKED, 'g'))].map((x) => x[1]).sort()).toEqual(['ww_abba_0', 'ww_abba_1']);
    expect(Number(m?.[3])).toBeGreaterThanOrEqual(3);
    expect(broken.console).toMatch(/Call Trace:\n.*<TASK>\n.* __ww_mutex_wait \(kernels\/locking\/ww_mutex\.ts:\d+\)/);
    // Each waits for the lock the other holds.
    expect(broken.console).toMatch(/waiting \d+s for lock: [0-9a-f]+ \(ww_([ab])\)\n.*held by: ww_abba_[01]\/\d+ on CPU \d+ \(blocked, itself waiting for [0-9a-f]+ \(ww_(?!\1)[ab]\)\)/);
    expect(broken.console).not.toMatch(DONE);
    expect(covCount(broken.console, 'ww_mutex.kill')).toBe(0);
    expect(broken.result?.end).toBe('hang');
    expect(broken.code).toBe(1);
  }, 300_000);
});

describe('ww_mutex API misuse under DEBUG_WW_MUTEXES (kernels/locking/test_support/ww_misuse.ts)', () => {
  it('a context of another class, a lock after ww_acquire_done(), ww_mutex_lock_slow() without a back-off: each one DEBUG_LOCKS_WARN_ON WARNING', async () => {
    const modules = [distModuleUrl('kernels/locking/test_support/ww_misuse')];
    const kconfig = { CONFIG_PROVE_LOCKING: 'y', CONFIG_DEBUG_LOCK_ALLOC: 'y' };
    const cases = [
      ['1', 'ww_ctx->ww_class != ww->ww_class', 'ww_mutex_lock_acquired'],
      ['2', 'ww_ctx->done_acquire', 'ww_mutex_lock_acquired'],
      ['3', '!ctx->contending_lock', 'ww_mutex_lock_slow'],
    ] as const;
    const runs = await Promise.all(cases.map(([c]) => runTestGuest({ nrCpus: 2, durationSec: 30, kconfig, bootParams: { 'ww_misuse.case': c }, modules })));
    cases.forEach(([c, cond, fn], k) => {
      const run = runs[k];
      expect(run?.console, tail(run?.console ?? '')).toContain(`ww_misuse: case ${c} done`);
      // __warn()'s block: cut here, the condition, WARNING naming the checking function.
      expect(run?.console).toMatch(new RegExp(`-{12}\\[ cut here \\]-{12}\\n.*DEBUG_LOCKS_WARN_ON\\(${cond.replace(/[()!>-]/g, '\\$&')}\\)\\n.*WARNING: CPU: 0 PID: \\d+ at ${fn} \\(kernels/locking/ww_mutex\\.ts:\\d+\\)`));
      // debug_locks went off: the one warning of the guest.
      expect(run?.console.match(/DEBUG_LOCKS_WARN_ON\(/g)).toHaveLength(1);
      // A finding of the guest (recheck's WARNING count fails the scenario).
      expect(run?.result?.findings).toEqual([expect.stringMatching(new RegExp(`^CPU 0: WARNING: CPU: 0 PID: \\d+ at ${fn} `))]);
    });
  }, 300_000);
});
