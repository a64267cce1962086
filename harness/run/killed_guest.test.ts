import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { distModuleUrl, guestMainPath } from '../guest/run_guest.js';
import type { GuestSpec } from '../guest/guest_spec.js';
import { SHOW_STATE_DEADLINE_SEC } from '../guest/show_state_request.js';
import { stateDumpStuck } from '../formats/console_lines.js';
import { launchGuest } from './guest_launch.js';
import { guestArgv } from './kvm_files.js';
import { makeTestTempDir } from '../test_support/temp_dir.js';

// A guest the monitor kills is explained: asked for its state (sysrq-t) before the SIGKILL, it
// prints show_state() into its console, and the kill line, recheck and summary.json name what
// was stuck.
const repo = path.resolve(import.meta.dirname, '..', '..');
const dirs: string[] = [];

function tempDir(prefix: string): string {
  const d = makeTestTempDir(prefix.replace(/^torture-/, '').replace(/-$/, ''));
  dirs.push(d);
  return d;
}

afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Poll `cond` every 50 ms for at most `ms` (a bounded wait for another process's output). */
async function until(cond: () => boolean, ms: number): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

function readOr(file: string): string {
  return existsSync(file) ? readFileSync(file, 'utf8') : '';
}

describe('a guest the monitor kills', () => {
  it('is asked for its state first: the dump names each deadlocked task, the lock it waits for and its holder', async () => {
    const resdir = tempDir('torture-killed-');
    const spec: GuestSpec = {
      scenario: 'ABBA',
      suite: 'lock',
      resdir,
      kconfig: { CONFIG_SMP: 'y', CONFIG_NR_CPUS: '2' },
      bootParams: {},
      bootLine: '',
      nrCpus: 2,
      durationSec: 120,
      shutdownGraceSec: 0,
      modules: [distModuleUrl('harness/cpu/test_support/abba_deadlock')],
    };
    const specPath = path.join(resdir, 'guest-spec.json');
    writeFileSync(specPath, JSON.stringify(spec));
    const log: string[] = [];
    // The kill timer is only the cap: the test asks for the dump once both tasks took their first lock.
    const guest = launchGuest({ tag: 'ABBA 2', name: 'ABBA', scenarioDir: resdir, argv: guestArgv(spec, guestMainPath(), specPath, undefined), killAfterSec: 120, log: (l) => log.push(l), date: () => 'DATE' });
    const consoleLog = path.join(resdir, 'console.log');
    const deadlocked = (): boolean => (readOr(consoleLog).match(/abba_deadlock: deadlock_[ab] holds/g) ?? []).length === 2;
    expect(await until(deadlocked, 60_000), readOr(consoleLog)).toBe(true);
    guest.showStateAndKill('deadlocked');
    const exit = await guest.done;
    expect(exit).toMatchObject({ killed: true, retval: 137 });

    const con = readOr(consoleLog);
    expect(con).toMatch(/\] sysrq: Show State\n/);
    expect(con).toMatch(/\] task:deadlock_a +state:D stack:0 +pid:\d+ +tgid:\d+ +ppid:2 +flags:0x[0-9a-f]{8}\n.*\]  waiting \d+s for lock: [0-9a-f]+ \(lock_b\)\n.*\]  held by: deadlock_b\/\d+ on CPU 1 \(blocked, itself waiting for [0-9a-f]+ \(lock_a\)\)/);
    expect(con).toMatch(/\]  held by: deadlock_a\/\d+ on CPU 0 \(blocked, itself waiting for [0-9a-f]+ \(lock_b\)\)/);
    expect(con).toContain('Showing all locks held in the system:');
    expect(con).toMatch(/2 locks held by deadlock_a\/\d+:\n.*\]  #0: [0-9a-f]+ \(lock_a\)\n.*\]  #1: [0-9a-f]+ \(lock_b\) \(waiting to acquire\)/);
    expect(con).toContain('sysrq: Show backtrace of all active CPUs');
    const stuck = stateDumpStuck(con.split('\n'));
    // Each task, the lock it waits for and its holder, in task-slot order (either may have started first).
    const parts = (stuck ?? '').split('; ').sort();
    expect(parts).toHaveLength(2);
    expect(parts[0]).toMatch(/^deadlock_a\/\d+ waits for [0-9a-f]+ \(lock_b\) held by deadlock_b\/\d+$/);
    expect(parts[1]).toMatch(/^deadlock_b\/\d+ waits for [0-9a-f]+ \(lock_a\) held by deadlock_a\/\d+$/);
    expect(log).toContain('---- ABBA 2: Asking guest at pid ' + String(guest.pid) + ' for its state (sysrq t). DATE');
    expect(log).toContain(`---- ABBA 2: Killing guest at pid ${String(guest.pid)}: deadlocked; state dump: ${stuck ?? ''}. DATE`);
  });

  it('that does not answer within the deadline is killed all the same, and the kill line says so', async () => {
    const dir = tempDir('torture-killed-');
    const log: string[] = [];
    // A "guest" with an IPC channel that never answers (its main thread would be wedged).
    const guest = launchGuest({ tag: 'MUTE 1', name: 'MUTE', scenarioDir: dir, argv: ['-e', 'setInterval(() => {}, 1000)'], killAfterSec: 0.1, log: (l) => log.push(l), date: () => 'DATE' });
    const exit = await guest.done;
    expect(exit).toMatchObject({ killed: true, retval: 137 });
    expect(exit.seconds).toBeGreaterThanOrEqual(SHOW_STATE_DEADLINE_SEC);
    expect(log.some((l) => l.endsWith(`(duration + shutdown grace 0.1 s); killed; no state dump within ${SHOW_STATE_DEADLINE_SEC} s. DATE`))).toBe(true);
  });

  it('wedged by a user lock that loses wake-ups (--ops lost_wakeup.mjs): the summary names the waiters and the free lock', async () => {
    const results = tempDir('torture-killed-');
    const args = ['--torture', 'lock', '--configs', 'LOCK01', '--ops', path.join(repo, 'configs', 'lock', 'examples', 'lost_wakeup.mjs')];
    // The writers wedge within a second of Start of test and then sleep (the CPUs idle): the
    // duration is room for a slow boot on a loaded host, not test time.
    const driver = spawn(process.execPath, [path.join(repo, 'bin', 'torture.js'), ...args, '--duration', '8s', '--shutdown-grace', '2', '--results', results, '--datestamp', 'run'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    driver.stdout.on('data', (b: Buffer) => (out += b.toString()));
    const code = await new Promise<number | null>((resolve) => driver.once('exit', (c) => resolve(c)));
    expect(code, out).toBe(1);
    const res = path.join(results, 'run');
    const con = readOr(path.join(res, 'LOCK01', 'console.log'));
    expect(con).toMatch(/\] task:lock_torture_wr state:D stack:0 +pid:\d+ .*\n.*\]  waiting \d+s for lock: [0-9a-f]+ \(user_lock_ops\.lost_wakeup\)\n.*\]  held by: no task \(nobody holds it: a lost wake-up, or an owner that died\)/);
    const stuck = /^Guest killed: (lock_torture_wr\/\d+ waits for [0-9a-f]+ \(user_lock_ops\.lost_wakeup\) held by no task.*)$/m.exec(out)?.[1];
    expect(stuck, out).toBeDefined();
    expect(readOr(path.join(res, 'log'))).toMatch(/---- LOCK01 4: Killing guest at pid \d+: still running after .*; killed; state dump: lock_torture_wr\/\d+ waits for .*\(user_lock_ops\.lost_wakeup\) held by no task/);
    const summary = JSON.parse(readOr(path.join(res, 'summary.json'))) as { scenarios: { reasons: string[]; killed: boolean }[] };
    expect(summary.scenarios[0]?.killed).toBe(true);
    expect(summary.scenarios[0]?.reasons[0]).toBe(`guest killed (SIGKILL): ${stuck ?? ''}`);
  });
});
