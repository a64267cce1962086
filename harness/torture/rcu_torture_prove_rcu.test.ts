/*
 * rcutorture.test_prove_rcu=N: each planted RCU-usage bug is reported by PROVE_RCU in the kernel's
 * shape, line by line, fails the run, and recheck classifies it; an unplanted run under
 * PROVE_LOCKING (readers in tasks and timers dereferencing rcu_torture_current through
 * rcu_dereference_check(), the writer through its `current == writer_task` condition) is clean.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { stripStamp } from '../formats/console_lines.js';
import type { GuestRun } from '../guest/run_guest.js';
import { repoRoot } from '../lib/repo_root.js';
import { runGuestUntil, runTortureUntil, scenarioConsole } from '../test_support/run_until.js';

const PLANT_FILE = 'harness/torture/rcu_torture_prove_rcu.ts';
const SOURCE = readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'rcu_torture_prove_rcu.ts'), 'utf8').split('\n');
const LOCKDEP_SOURCE = readFileSync(path.join(repoRoot(), 'kernels', 'rcu', 'rcupdate_lockdep.ts'), 'utf8').split('\n');

/** 1-based line of the first line of `src` containing `text`. */
function lineOf(src: readonly string[], text: string): number {
  const i = src.findIndex((l) => l.includes(text));
  if (i < 0) throw new Error(`no line with ${text}`);
  return i + 1;
}

const KC = { CONFIG_NR_CPUS: '2', CONFIG_PREEMPT: 'n', CONFIG_HOTPLUG_CPU: 'n', CONFIG_PROVE_LOCKING: 'y' };

function plantedRun(n: number, kconfig: Record<string, string> = {}): Promise<GuestRun> {
  return runGuestUntil(
    (secs) => ({
      suite: 'rcu',
      nrCpus: 2,
      kconfig: { ...KC, ...kconfig },
      bootParams: { 'rcutorture.test_prove_rcu': String(n), 'rcutorture.shutdown_secs': String(secs), 'rcutorture.onoff_interval': '0', 'rcutorture.stat_interval': '1' },
      durationSec: secs,
    }),
    (r) => (n === 0 || r.console.includes(`rcu-torture: test_prove_rcu=${n} planted`)) && r.console.includes('End of test'),
    { fromSec: 4, capSec: 32 },
  );
}

/** The suspicious-RCU report whose `file:line msg!` line is `first`, checked line by line; its index. */
function expectSuspicious(lines: readonly string[], first: string, held: readonly RegExp[]): number {
  const at = lines.indexOf(first);
  expect(at, first).toBeGreaterThan(4);
  expect(lines.slice(at - 4, at)).toEqual(['=============================', 'WARNING: suspicious RCU usage', '0.1.0-torture #1 Not tainted', '-----------------------------']);
  expect(lines.slice(at + 1, at + 6)).toEqual(['', 'other info that might help us debug this:', '', '', 'rcu_scheduler_active = 2, debug_locks = 1']);
  if (held.length === 0) {
    expect(lines[at + 6]).toMatch(/^no locks held by rcu_prove_rcu\/\d+\.$/);
  } else {
    expect(lines[at + 6]).toMatch(new RegExp(`^${held.length} locks? held by rcu_prove_rcu/\\d+:$`));
    held.forEach((re, i) => expect(lines[at + 7 + i]).toMatch(re));
  }
  const bt = at + 7 + held.length;
  expect(lines.slice(bt, bt + 2)).toEqual(['', 'stack backtrace:']);
  expect(lines[bt + 2]).toMatch(/^CPU: \d+ PID: \d+ Comm: rcu_prove_rcu Not tainted 0\.1\.0-torture #1$/);
  expect(lines.slice(bt + 3, bt + 5)).toEqual(['Hardware name: torture guest (Node.js worker threads)', 'Call Trace:']);
  return at;
}

function consoleLines(run: GuestRun): string[] {
  return run.console.split('\n').map(stripStamp);
}

function suspiciousCount(run: GuestRun): number {
  return consoleLines(run).filter((l) => l === 'WARNING: suspicious RCU usage').length;
}

describe('rcutorture.test_prove_rcu', () => {
  it('2: rcu_dereference_check() without the lock it names is suspicious RCU usage at that line; with the lock it is not', { timeout: 180_000 }, async () => {
    const run = await plantedRun(2);
    const lines = consoleLines(run);
    expectSuspicious(lines, `${PLANT_FILE}:${lineOf(SOURCE, '// the planted bug: lock not held')} suspicious rcu_dereference_check() usage!`, []);
    expect(suspiciousCount(run)).toBe(1);
    expect(run.result?.findings).toContainEqual(expect.stringMatching(/lockdep: WARNING: suspicious RCU usage$/));
  });

  it('3: a sleep inside rcu_read_lock_bh() is scheduling while atomic and an illegal context switch in RCU-bh', { timeout: 180_000 }, async () => {
    const run = await plantedRun(3);
    const lines = consoleLines(run);
    const bug = lines.findIndex((l) => /^BUG: scheduling while atomic: rcu_prove_rcu\/\d+\/0x00000201$/.test(l));
    expect(bug).toBeGreaterThanOrEqual(0);
    const heldBh = /^ #0: [0-9a-f]{16} \(rcu_read_lock_bh\)\{....\}-\{1:2\}, at: rcu_prove_rcu_sleep_in_bh_reader \(harness\/torture\/rcu_torture_prove_rcu\.ts:\d+\)$/;
    expect(lines[bug + 1]).toMatch(/^1 lock held by rcu_prove_rcu\/\d+:$/);
    expect(lines[bug + 2]).toMatch(heldBh);
    const site = `kernels/rcu/rcupdate_lockdep.ts:${lineOf(LOCKDEP_SOURCE, "'Illegal context switch in RCU-bh read-side critical section'")}`;
    const at = expectSuspicious(lines, `${site} Illegal context switch in RCU-bh read-side critical section!`, [heldBh]);
    expect(at).toBeGreaterThan(bug);
    expect(lines.slice(at).some((l) => l.includes(`rcu_prove_rcu_sleep_in_bh_reader (${PLANT_FILE}:${lineOf(SOURCE, '// the planted bug: a sleep with bottom halves')})`))).toBe(true);
    expect(suspiciousCount(run)).toBe(1);
    expect(run.result?.findings).toContainEqual(expect.stringMatching(/scheduling while atomic: rcu_prove_rcu/));
  });

  it('4: cond_resched() inside rcu_read_lock() (a reader reporting a QS inside itself) is an illegal context switch with PREEMPT_NONE', { timeout: 180_000 }, async () => {
    const run = await plantedRun(4);
    const lines = consoleLines(run);
    const site = `kernels/rcu/rcupdate_lockdep.ts:${lineOf(LOCKDEP_SOURCE, "'Illegal context switch in RCU read-side critical section'")}`;
    const at = expectSuspicious(lines, `${site} Illegal context switch in RCU read-side critical section!`, [
      /^ #0: [0-9a-f]{16} \(rcu_read_lock\)\{....\}-\{1:2\}, at: rcu_prove_rcu_qs_in_reader \(harness\/torture\/rcu_torture_prove_rcu\.ts:\d+\)$/,
    ]);
    expect(lines.slice(at).some((l) => l.includes(`rcu_prove_rcu_qs_in_reader (${PLANT_FILE}:${lineOf(SOURCE, '// the planted bug: cond_resched() inside')})`))).toBe(true);
    expect(suspiciousCount(run)).toBe(1);
  });

  it('4 with preemptible RCU: allowed, as the kernel allows it (rcu_preempt_sleep_check() is empty)', { timeout: 180_000 }, async () => {
    const run = await plantedRun(4, { CONFIG_PREEMPT: 'y' });
    expect(run.console).not.toMatch(/WARNING|BUG/);
  });

  it('without a plant, PROVE_LOCKING readers (tasks and timers) and the writer are clean', { timeout: 180_000 }, async () => {
    const run = await plantedRun(0, { CONFIG_HOTPLUG_CPU: 'y' });
    expect(run.console).toContain('End of test: SUCCESS');
    expect(run.console).not.toMatch(/WARNING|BUG/);
    expect(run.result?.findings).toEqual([]);
  });
});

describe('a planted bug through the driver and recheck', () => {
  it('TREE05 with rcutorture.test_prove_rcu=1 fails with the report; recheck re-derives it', { timeout: 300_000 }, async () => {
    const r = await runTortureUntil(['--configs', 'TREE05', '--bootargs', 'rcutorture.test_prove_rcu=1'], (x) => scenarioConsole(x, 'TREE05').includes('rcu-torture: test_prove_rcu=1 planted'), { fromSec: 5, capSec: 40 });
    expect(r.code).toBe(1);
    const lines = scenarioConsole(r, 'TREE05').split('\n').map(stripStamp);
    const at = lines.indexOf(`${PLANT_FILE}:${lineOf(SOURCE, '// the planted bug: no reader')} suspicious rcu_dereference_check() usage!`);
    expect(at).toBeGreaterThan(0);
    expect(lines.filter((l) => l === 'WARNING: suspicious RCU usage')).toHaveLength(1);
    expect(r.out).toMatch(/WARNING: Summary: .*lockdep: 1/);
    const summary = JSON.parse(readFileSync(path.join(r.dir, 'TREE05', 'summary.json'), 'utf8')) as { verdict: string; reasons: string[] };
    expect(summary.verdict).toBe('failure');
    expect(summary.reasons).toContain('lockdep: WARNING: suspicious RCU usage');
    const again = spawnSync(process.execPath, [path.join(repoRoot(), 'bin', 'torture.js'), 'recheck', r.dir], { encoding: 'utf8' });
    expect(again.status).toBe(1);
    expect(again.stdout + again.stderr).toMatch(/lockdep: 1/);
  });
});
