import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { stripStamp } from '../formats/console_lines.js';
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

/** debug_show_all_locks()'s dump in a hung-task report: per task, the locks it holds and the one it waits to acquire. */
function heldLocksDump(report: string): { task: string; held: string[]; waiting: string | null }[] {
  const lines = report.split('\n').map(stripStamp);
  const out: { task: string; held: string[]; waiting: string | null }[] = [];
  for (const l of lines.slice(lines.indexOf('Showing all locks held in the system:') + 1)) {
    if (l.startsWith('=====')) break;
    const head = /^\d+ locks? held by (\S+):$/.exec(l);
    if (head !== null) out.push({ task: head[1] ?? '', held: [], waiting: null });
    const lock = /^ #\d+: \S+ \((\S+)\)( \(waiting to acquire\))?$/.exec(l);
    const t = out.at(-1);
    if (lock === null || t === undefined) continue;
    if (lock[2] === undefined) t.held.push(lock[1] ?? '');
    else t.waiting = lock[1] ?? '';
  }
  return out;
}

/**
 * The hung-task report of the seed order's deadlock: it panics, and the ABBA pair is in its
 * held-locks dump, which names what each task holds and waits for. The first `INFO: task` block
 * may be one of the deadlock's consequences, not the pair (an rcu_torture_fakewriter waiting for
 * the barrier_mutex of an rcu_barrier() whose callback sits on the CPU whose offline is stuck:
 * HUNG_BY_CONSEQUENCE below, a real run's report from before reports listed every hung task).
 */
function expectAbbaHang(c: string): void {
  const hung = c.indexOf('INFO: task ');
  const tail = c.slice(hung);
  expect(stripStamp(tail.split('\n')[0] ?? '')).toMatch(/^INFO: task \S+:\d+ blocked for more than \d+ seconds\.$/);
  // Not the first block's wait-for chain: the first executor's hung tasks may wait for an event
  // (an rcu_barrier()'s completion), not a lock; the chain's format is hung_task.test.ts's.
  const dump = heldLocksDump(tail);
  const holdsWaits = (held: string, waits: string): string[] => dump.filter((t) => t.held.includes(held) && t.waiting === waits).map((t) => t.task);
  expect(holdsWaits('slab_mutex', 'cpu_hotplug_lock'), tail).toEqual([expect.stringMatching(/^rcu_torture_sta\/\d+$/)]);
  expect(holdsWaits('cpu_hotplug_lock', 'slab_mutex'), tail).toEqual([expect.stringMatching(/^torture_onoff\/\d+$/)]);
  expect(tail).toContain('Kernel panic - not syncing: hung_task: blocked tasks');
}

/**
 * Each of the pair has its own `INFO: task` block before the dump: the report lists every hung
 * task of the guest, in pid order, as the kernel's khungtaskd does, whichever executors they ran
 * on (harness/cpu/khungtaskd.ts).
 */
function expectAbbaBlocks(c: string): void {
  const tail = c.slice(c.indexOf('INFO: task '));
  const blocks = tail.slice(0, tail.indexOf('Showing all locks held in the system:'));
  expect(blocks, tail).toMatch(/INFO: task rcu_torture_sta:\d+ blocked for more than \d+ seconds\./);
  expect(blocks, tail).toMatch(/INFO: task torture_onoff:\d+ blocked for more than \d+ seconds\./);
}

/** The report of a run whose first hung task was a consequence of the deadlock (timestamps cut). */
const HUNG_BY_CONSEQUENCE = `INFO: task rcu_torture_fak:24 blocked for more than 10 seconds.
      Not tainted 0.1.0-torture #1
"echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.
task:rcu_torture_fak state:D stack:0     pid:24    tgid:24    ppid:2      flags:0x00004000
Call Trace:
 <TASK>
 __mutex_lock_slowpath (kernels/locking/mutex.ts:122)
 mutex_lock (kernels/locking/mutex.ts:154)
 rcu_barrier (kernels/rcu/tree.ts:1190)
 rcu_torture_fakewriter (harness/torture/rcu_torture_writer.ts:144)
 kthread (harness/torture/common.ts:262)
 </TASK>
 waiting 14s for lock: ffffffff80c22b00 (rcu_state.barrier_mutex)
 held by: rcu_torture_bar/22 on CPU 4 (blocked)
 also waiting: rcu_torture_fak/4, rcu_torture_fak/7, rcu_torture_fak/16

Showing all locks held in the system:
1 lock held by torture_shutdow/2:
 #0: ffffffff80be2440 (cpu_add_remove_lock) (waiting to acquire)
1 lock held by rcu_torture_fak/4:
 #0: ffffffff80c22b00 (rcu_state.barrier_mutex) (waiting to acquire)
3 locks held by torture_onoff/5:
 #0: ffffffff80be2440 (cpu_add_remove_lock)
 #1: ffffffff80be2200 (cpu_hotplug_lock)
 #2: ffffffff80c22f40 (slab_mutex) (waiting to acquire)
1 lock held by rcu_torture_fak/7:
 #0: ffffffff80c22b00 (rcu_state.barrier_mutex) (waiting to acquire)
2 locks held by rcu_torture_sta/14:
 #0: ffffffff80c22f40 (slab_mutex)
 #1: ffffffff80be2200 (cpu_hotplug_lock) (waiting to acquire)
1 lock held by rcu_torture_fak/16:
 #0: ffffffff80c22b00 (rcu_state.barrier_mutex) (waiting to acquire)
1 lock held by rcu_torture_bar/22:
 #0: ffffffff80c22b00 (rcu_state.barrier_mutex)
1 lock held by rcu_torture_fak/24:
 #0: ffffffff80c22b00 (rcu_state.barrier_mutex) (waiting to acquire)
1 lock held by torture_shuffle/26:
 #0: ffffffff80be2200 (cpu_hotplug_lock) (waiting to acquire)

=============================================
Kernel panic - not syncing: hung_task: blocked tasks
`;

describe('the seed deadlock\'s hung-task report', () => {
  it('names the ABBA pair from the held-locks dump when the first hung task is a consequence', () => {
    expectAbbaHang(HUNG_BY_CONSEQUENCE);
    // Without the pair in the dump, the check fails.
    expect(() => expectAbbaHang(HUNG_BY_CONSEQUENCE.replace(' #1: ffffffff80be2200 (cpu_hotplug_lock) (waiting to acquire)\n1 lock held by rcu_torture_fak/16', '1 lock held by rcu_torture_fak/16'))).toThrow();
  });
});

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
    // (wake-ups are not polled, so a deadlock stays one). If it bites, the hung-task report must
    // hold the ABBA pair and the run still ends; otherwise rcutorture itself saw nothing.
    if (!c.includes('INFO: task ')) expect(c).toContain('End of test: SUCCESS');
    else {
      expectAbbaHang(c);
      expectAbbaBlocks(c);
    }
  });
});
