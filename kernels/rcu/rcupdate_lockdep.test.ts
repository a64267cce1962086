/*
 * RCU-lockdep (PROVE_RCU) in a real guest: every check of rcupdate_lockdep.ts where it holds
 * (silent) and where it does not (the kernel's report, naming the offending line, once per site),
 * through the test module test_support/rcu_lockdep_checks.ts; and nothing at all without
 * PROVE_LOCKING, as PROVE_RCU is def_bool PROVE_LOCKING.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { distModuleUrl } from '../../harness/guest/run_guest.js';
import { stripStamp } from '../../harness/formats/console_lines.js';
import { runTestGuest } from '../../harness/test_support/run_until.js';

const MODULE = 'kernels/rcu/test_support/rcu_lockdep_checks.ts';
const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE = readFileSync(path.join(HERE, 'test_support', 'rcu_lockdep_checks.ts'), 'utf8').split('\n');
const SOURCE_TREE = readFileSync(path.join(HERE, 'tree.ts'), 'utf8').split('\n');
const SOURCE_LOCKDEP = readFileSync(path.join(HERE, 'rcupdate_lockdep.ts'), 'utf8').split('\n');

/** The 1-based line of the `// bad: name` marker in the test module. */
function badLine(name: string): number {
  const i = SOURCE.findIndex((l) => l.endsWith(`// bad: ${name}`));
  if (i < 0) throw new Error(`no marker for ${name}`);
  return i + 1;
}

const KC = { CONFIG_NR_CPUS: '1', CONFIG_PREEMPT: 'n', CONFIG_HOTPLUG_CPU: 'n' };

async function checks(kconfig: Record<string, string>): Promise<{ lines: string[]; console: string; findings: readonly string[] }> {
  const run = await runTestGuest({ suite: 'rcu', nrCpus: 1, kconfig: { ...KC, ...kconfig }, durationSec: 20, modules: [distModuleUrl('kernels/rcu/test_support/rcu_lockdep_checks')] });
  expect(run.console).toContain('rcu-lockdep-checks: done');
  return { lines: run.console.split('\n').map(stripStamp), console: run.console, findings: run.result?.findings ?? [] };
}

describe('PROVE_RCU checks', () => {
  it('report each wrong use once, in lockdep_rcu_suspicious()\'s shape, and nothing for the right ones', { timeout: 120_000 }, async () => {
    const { lines, console: c, findings } = await checks({ CONFIG_PROVE_LOCKING: 'y' });
    // Nothing before the right uses end.
    const goodEnd = lines.findIndex((l) => l === 'rcu-lockdep-checks: good done');
    expect(goodEnd).toBeGreaterThan(0);
    expect(lines.slice(0, goodEnd).filter((l) => /WARNING|BUG/.test(l))).toEqual([]);

    /** The report of `name`'s bad use: at `site` (default: the bad line itself, as for the kernel's macros). */
    const suspicious = (name: string, msg: string, site = `${MODULE}:${badLine(name)}`): number => {
      const at = lines.indexOf(`${site} ${msg}!`);
      expect(at, `${name}: ${msg}`).toBeGreaterThan(goodEnd);
      // lockdep_rcu_suspicious(), line by line.
      expect(lines.slice(at - 4, at)).toEqual(['=============================', 'WARNING: suspicious RCU usage', '0.1.0-torture #1 Not tainted', '-----------------------------']);
      const after = lines.slice(at + 1, at + 6);
      expect(after).toEqual(['', 'other info that might help us debug this:', '', '', 'rcu_scheduler_active = 2, debug_locks = 1']);
      expect(lines[at + 6]).toMatch(/^(no locks held by rcu_ld_checks\/\d+\.|\d+ locks? held by rcu_ld_checks\/\d+:)$/);
      const bt = lines.indexOf('stack backtrace:', at);
      expect(lines[bt - 1]).toBe('');
      expect(lines[bt + 1]).toMatch(/^CPU: 0 PID: \d+ Comm: rcu_ld_checks Not tainted 0\.1\.0-torture #1$/);
      expect(lines.slice(bt + 2, bt + 4)).toEqual(['Hardware name: torture guest (Node.js worker threads)', 'Call Trace:']);
      expect(lines.slice(bt + 4, bt + 12).some((l) => l.includes(`bad (${MODULE}:${badLine(name)})`))).toBe(true);
      return at;
    };
    suspicious('rcu_dereference', 'suspicious rcu_dereference_check() usage');
    suspicious('rcu_dereference_bh', 'suspicious rcu_dereference_check() usage');
    suspicious('rcu_dereference_sched', 'suspicious rcu_dereference_check() usage');
    suspicious('rcu_dereference_protected', 'suspicious rcu_dereference_protected() usage');
    // synchronize_rcu()'s own RCU_LOCKDEP_WARN() (tree.c's line in the kernel), listing the held
    // rcu_read_lock (its `at:` is the task's first acquisition of that chain: harness/lockdep/README.md, "Sites").
    const syncLine = SOURCE_TREE.findIndex((l) => l.includes("RCU_LOCKDEP_WARN(rcu_lock_maps_held(), 'Illegal synchronize_rcu() in")) + 1;
    const sync = suspicious('synchronize_rcu', 'Illegal synchronize_rcu() in RCU read-side critical section', `kernels/rcu/tree.ts:${syncLine}`);
    expect(lines[sync + 6]).toMatch(/^1 lock held by rcu_ld_checks\/\d+:$/);
    expect(lines[sync + 7]).toMatch(/^ #0: [0-9a-f]{16} \(rcu_read_lock\)\{....\}-\{1:2\}, at: (good|bad) \(kernels\/rcu\/test_support\/rcu_lockdep_checks\.ts:\d+\)$/);

    // The lockdep_assert_in_rcu_*() family: WARN_ON_ONCE() at the assertion's line.
    for (const name of ['lockdep_assert_in_rcu_read_lock', 'lockdep_assert_in_rcu_read_lock_bh', 'lockdep_assert_in_rcu_read_lock_sched', 'lockdep_assert_in_rcu_reader']) {
      const w = lines.filter((l) => new RegExp(`^WARNING: CPU: 0 PID: \\d+ at bad \\(${MODULE.replace(/\./g, '\\.')}:${badLine(name)}\\)$`).test(l));
      expect(w, name).toHaveLength(1);
    }
    // Sleeping in the readers: rcu_sleep_check()'s lines in rcupdate_lockdep.ts, from the
    // scheduler; rcu_read_lock_sched() also counts in the preempt count (scheduling while atomic).
    const sleepSite = (msg: string): string => `kernels/rcu/rcupdate_lockdep.ts:${SOURCE_LOCKDEP.findIndex((l) => l.includes(`'${msg}'`)) + 1}`;
    const plain = suspicious('sleep in rcu_read_lock', 'Illegal context switch in RCU read-side critical section', sleepSite('Illegal context switch in RCU read-side critical section'));
    expect(lines[plain + 6]).toMatch(/^1 lock held by rcu_ld_checks\/\d+:$/);
    expect(lines[plain + 7]).toMatch(/ \(rcu_read_lock\)\{....\}-\{1:2\}, at: /);
    const sched = suspicious('sleep in rcu_read_lock_sched', 'Illegal context switch in RCU-sched read-side critical section', sleepSite('Illegal context switch in RCU-sched read-side critical section'));
    expect(lines[sched + 7]).toMatch(/ \(rcu_read_lock_sched\)\{....\}-\{1:2\}, at: /);
    const bug = lines.findIndex((l) => /^BUG: scheduling while atomic: rcu_ld_checks\/\d+\/0x00000002$/.test(l));
    expect(bug).toBeGreaterThan(plain);
    expect(bug).toBeLessThan(sched);
    expect(lines.filter((l) => l.startsWith('BUG: '))).toHaveLength(1);

    // Three rounds of the bad uses, each site reported once: 5 suspicious-RCU reports and 4 WARNs,
    // then the two sleeps' reports.
    expect(lines.filter((l) => l === 'WARNING: suspicious RCU usage')).toHaveLength(7);
    expect(lines.filter((l) => /^WARNING: CPU: /.test(l))).toHaveLength(4);
    expect(c).not.toContain('Possible false positive');
    expect(findings.filter((f) => f.endsWith('lockdep: WARNING: suspicious RCU usage'))).toHaveLength(7);
  });

  it('check nothing without PROVE_LOCKING (PROVE_RCU is def_bool PROVE_LOCKING)', { timeout: 120_000 }, async () => {
    const { console: c } = await checks({ CONFIG_PROVE_LOCKING: 'n' });
    expect(c).not.toMatch(/WARNING/);
    // The sleeps are still the scheduler's BUGs: in rcu_read_lock() (PREEMPT_NONE) and under
    // rcu_read_lock_sched()'s preempt_disable().
    expect(c.match(/BUG: [^\n]*/g) ?? []).toEqual([
      'BUG: sleeping function called from invalid context (RCU read-side critical section)',
      expect.stringMatching(/^BUG: scheduling while atomic: rcu_ld_checks\/\d+\/0x00000002$/),
    ]);
  });
});
